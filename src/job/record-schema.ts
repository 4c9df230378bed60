import { z } from 'zod';
import { StoreCorruptError } from '../common/errors';
import { describeIssues } from '../common/validation';
import { JOB_STATUSES } from './lifecycle';
import type { JobRecord } from './types';

const isoOrNull = z.string().nullable();
const jobError = z.object({ name: z.string(), message: z.string(), code: z.string().optional() });

/** Schema of a stored `JobRecord`: what a store validates when it reads one from outside (file, Redis). */
export const jobRecordSchema = z.object({
  id: z.string().min(1),
  label: z.string(),
  status: z.enum(JOB_STATUSES as [string, ...string[]]),
  created_at: z.string(),
  started_at: isoOrNull,
  completed_at: isoOrNull,
  updated_at: z.string(),
  result: z.unknown(),
  error: jobError.nullable(),
  progress: z.object({ current: z.number(), total: z.number().optional(), message: z.string().optional() }).nullable(),
  owner: z.string().optional(),
  call: z.object({ target: z.string().min(1), args: z.array(z.unknown()) }).optional(),
  attempt: z.number().int().nonnegative().optional(),
  max_attempts: z.number().int().positive().optional(),
  run_at: isoOrNull.optional(),
  history: z
    .array(
      z.object({
        attempt: z.number().int(),
        status: z.enum(['failed', 'stale']),
        error: jobError.nullable(),
        started_at: isoOrNull,
        ended_at: z.string(),
      }),
    )
    .optional(),
  steps: z.record(z.string(), z.unknown()).optional(),
  retry_of: z.string().optional(),
  trace: z.object({ traceparent: z.string().max(100) }).optional(),
  idempotency: z.object({ key: z.string(), scope: z.string(), fingerprint: z.string() }).optional(),
});

/**
 * Validates a record read from outside.
 * @throws StoreCorruptError saying what is wrong and where it came from.
 */
export function parseJobRecord(value: unknown, where: string): JobRecord {
  const parsed = jobRecordSchema.safeParse(value);
  if (!parsed.success) throw new StoreCorruptError(describeIssues(`Malformed job record in ${where}`, parsed.error, value));
  const job = parsed.data as JobRecord;
  if (job.result === undefined) job.result = null;
  return job;
}
