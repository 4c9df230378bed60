import { createHash } from 'node:crypto';
import { ArgsNotSerialisableError, JobCancelledError, SmartAsyncConfigError, StaleJobError } from '../common/errors';
import { show } from '../common/validation';
import type { JobRecord } from '../job/types';

/** Longest idempotency key. */
const MAX_KEY = 255;

/** @internal Checks a key from outside. @throws SmartAsyncConfigError for an empty, over-long or non-string key. */
export function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY) {
    throw new SmartAsyncConfigError(
      `Expected an idempotency key of 1 to ${MAX_KEY} characters, got ${typeof key === 'string' ? `${key.length} characters` : `\`${show(key).slice(0, 40)}\``}`,
    );
  }
  return key;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** @internal What a store keys a reservation by: the owner, the label (or durable name) and the key, hashed. */
export function keyScope(owner: string | undefined, name: string, key: string): string {
  return sha256(JSON.stringify([owner ?? null, name, key]));
}

/**
 * @internal A fingerprint of a call's arguments: a hash of their JSON (class instances such as
 * DTOs by their own fields).
 * @throws ArgsNotSerialisableError when they have no JSON (a BigInt, a cycle).
 */
export function fingerprintOf(args: readonly unknown[]): string {
  try {
    return sha256(JSON.stringify(args));
  } catch (e) {
    throw new ArgsNotSerialisableError(
      `A call with an idempotency key needs arguments JSON can write: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

/**
 * @internal What a repeated call answers for a job that ended: its stored value, or its error
 * (an `Error` with the job's name, message and code; `JOB_CANCELLED` / `JOB_STALE` for those).
 */
export function outcomeOf(job: JobRecord): unknown {
  if (job.status === 'completed') return job.result;
  const message = job.error?.message ?? `Job ${job.status}`;
  if (job.status === 'cancelled') throw new JobCancelledError(message);
  if (job.status === 'stale') throw new StaleJobError(message);
  const error = new Error(message);
  error.name = job.error?.name ?? 'Error';
  if (job.error?.code !== undefined) (error as Error & { code?: string }).code = job.error.code;
  throw error;
}
