import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { currentJobManager, JOB_STATUSES, type JobManager, type JobStatus } from '../index';
import { toolResult } from './call-tool-result';
import { requesterOf } from './requester';

/** Options of `registerJobTools()` and `registerSmartTool()`. */
export interface McpJobOptions {
  /** The manager that owns the jobs. @default the JobManager of the container given to configureSmartAsync() */
  manager?: JobManager;
}

/** @internal The manager to use for one request. */
export function managerFor(opts: McpJobOptions | undefined): JobManager {
  return opts?.manager ?? currentJobManager();
}

const statusSchema = z.enum(JOB_STATUSES as [JobStatus, ...JobStatus[]]);

/**
 * Adds `job_status {job_id}` → `{ job }`, `job_list {status?, label?, limit?}` → `{ jobs }` and
 * `job_cancel {job_id, reason?}` → `{ job }`. Each client sees only its own jobs (auth client id,
 * else session id); an unknown or foreign id is a tool error saying "not found".
 *
 * @example
 * registerJobTools(server);
 */
export function registerJobTools(server: McpServer, opts?: McpJobOptions): void {
  server.registerTool(
    'job_status',
    {
      title: 'Job status',
      description: 'Status, progress and (once completed) result of a background job started by another tool.',
      inputSchema: { job_id: z.string().min(1).describe('The job_id from a ticket') },
      annotations: { readOnlyHint: true },
    },
    ({ job_id }, extra) => toolResult(() => managerFor(opts).status(job_id, { owner: requesterOf(extra) })),
  );
  server.registerTool(
    'job_list',
    {
      title: 'List jobs',
      description: 'Background jobs, newest first.',
      inputSchema: {
        status: z.union([statusSchema, z.array(statusSchema)]).optional().describe('Only jobs in this status (or these)'),
        label: z.string().optional().describe('Only jobs with this label'),
        limit: z.number().int().min(1).max(200).optional().describe('At most this many (default 20)'),
      },
      annotations: { readOnlyHint: true },
    },
    ({ status, label, limit }, extra) =>
      toolResult(async () => ({ jobs: await managerFor(opts).list({ status, label, limit: limit ?? 20, owner: requesterOf(extra) }) })),
  );
  server.registerTool(
    'job_cancel',
    {
      title: 'Cancel a job',
      description: 'Cancels a pending or running background job; its work is told to stop.',
      inputSchema: { job_id: z.string().min(1).describe('The job_id from a ticket'), reason: z.string().optional().describe('Why') },
      annotations: { destructiveHint: true, idempotentHint: true },
    },
    ({ job_id, reason }, extra) => toolResult(async () => ({ job: await managerFor(opts).cancel(job_id, reason, { owner: requesterOf(extra) }) })),
  );
}
