import { z } from 'zod';
import { canList, JOB_STATUSES, type JobStatus } from '../index';
import { toolResult } from './call-tool-result';
import { cancelVisibleJob, findVisibleJob, listAcross, managerFor, managersOf, type McpJobOptions } from './managers';
import { visibilityOf } from './requester';
import { addTool } from './add-tool';
import type { McpServerLike } from './shapes';

export type { McpJobOptions } from './managers';

const statusSchema = z.enum(JOB_STATUSES as [JobStatus, ...JobStatus[]]);
/** A job id: a UUID (anything else is refused without being echoed back). */
const jobIdSchema = z.string().uuid({ message: 'job_id must be a job id from a ticket (a UUID)' }).describe('The job_id from a ticket');

/**
 * Adds `job_status {job_id}` → `{ job }`, `job_list {status?, label?, limit?}` → `{ jobs }` and
 * `job_cancel {job_id, reason?}` → `{ job }`. Each client sees only its own jobs (auth client id,
 * else session id); a request without identity over HTTP sees by id only jobs created without an
 * owner and lists nothing; over stdio it sees everything. An unknown or foreign id is a tool
 * error saying "not found".
 *
 * @example
 * registerJobTools(server);
 */
export function registerJobTools(server: McpServerLike, opts?: McpJobOptions): void {
  addTool(
    server,
    'job_status',
    {
      title: 'Job status',
      description: 'Status, progress and (once completed) result of a background job started by another tool.',
      inputSchema: z.object({ job_id: jobIdSchema }),
      annotations: { readOnlyHint: true },
    },
    ({ job_id }, extra) =>
      toolResult(async () => ({ job: (await findVisibleJob(managersOf(server, managerFor(opts)), job_id, visibilityOf(extra))).job })),
  );
  addTool(
    server,
    'job_list',
    {
      title: 'List jobs',
      description: 'Background jobs, newest first.',
      inputSchema: z.object({
        status: z
          .union([statusSchema, z.array(statusSchema)])
          .optional()
          .describe('Only jobs in this status (or these)'),
        label: z.string().max(200).optional().describe('Only jobs with this label'),
        limit: z.number().int().min(1).max(200).optional().describe('At most this many (default 20)'),
      }),
      annotations: { readOnlyHint: true },
    },
    ({ status, label, limit }, extra) =>
      toolResult(async () => {
        const v = visibilityOf(extra);
        // An HTTP request without identity lists nothing: ids are capabilities, a list is not.
        if (!canList(v)) return { jobs: [] };
        return { jobs: await listAcross(managersOf(server, managerFor(opts)), { status, label, limit: limit ?? 20, owner: v.owner }) };
      }),
  );
  addTool(
    server,
    'job_cancel',
    {
      title: 'Cancel a job',
      description: 'Cancels a pending or running background job; its work is told to stop.',
      inputSchema: z.object({ job_id: jobIdSchema, reason: z.string().max(1_000).optional().describe('Why') }),
      annotations: { destructiveHint: true, idempotentHint: true },
    },
    ({ job_id, reason }, extra) =>
      toolResult(async () => {
        return { job: await cancelVisibleJob(managersOf(server, managerFor(opts)), job_id, visibilityOf(extra), reason) };
      }),
  );
}
