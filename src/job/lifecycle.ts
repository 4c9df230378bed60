import { isoTime } from '../common/clock';
import { show } from '../common/validation';
import type { AttemptRecord, JobError, JobExpect, JobPatch, JobProgress, JobRecord, JobStatus } from './types';

/**
 * The one definition of a job's life. The JobManager decides every transition with it, the
 * stores apply patches with it (`canApply`), and the Redis store's Lua scripts are generated from
 * the same table (a test proves they agree).
 *
 * ```
 * pending ──► running ──► completed | failed | cancelled | stale
 *    └──────────────────► cancelled | stale
 * ```
 */

/** Every status, in lifecycle order. */
export const JOB_STATUSES: readonly JobStatus[] = ['pending', 'running', 'completed', 'failed', 'cancelled', 'stale'];

/** Statuses of a job whose work may still be going on: `pending`, `running`. */
export const ACTIVE_STATUSES: readonly JobStatus[] = ['pending', 'running'];

/**
 * Final statuses: once a record holds one, its status, result, error and `completed_at` never
 * change again, in any store, whatever happens.
 */
export const FINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled', 'stale'];

/** The same as `FINAL_STATUSES` (the name the 0.1 API used). */
export const SETTLED_STATUSES: readonly JobStatus[] = FINAL_STATUSES;

/** Where each status may go next. Final statuses go nowhere. */
export const TRANSITIONS: Readonly<Record<JobStatus, readonly JobStatus[]>> = {
  pending: ['running', 'cancelled', 'stale'],
  running: ['completed', 'failed', 'cancelled', 'stale', 'pending'], // → pending: a durable job with attempts left
  completed: [],
  failed: [],
  cancelled: [],
  stale: [],
};

/** Whether a job in this status may still change (its work may be going on). */
export function isActive(status: JobStatus): boolean {
  return status === 'pending' || status === 'running';
}

/** Whether this status is final (`completed`, `failed`, `cancelled`, `stale`). */
export function isFinal(status: JobStatus): boolean {
  return status !== 'pending' && status !== 'running';
}

/** Whether a job may go from `from` to `to` (staying in an active status is allowed: progress). */
export function canTransition(from: JobStatus, to: JobStatus): boolean {
  return from === to ? isActive(from) : TRANSITIONS[from].includes(to);
}

/**
 * Whether a store may apply `patch` to `current`: never to a final record; a status change only
 * along `TRANSITIONS`; and, when `expect` is given, only if the current status is one of them.
 * Every store calls this inside its atomic update (the Redis scripts mirror it).
 */
export function canApply(current: JobRecord, patch: JobPatch, expect?: JobExpect): boolean {
  if (isFinal(current.status)) return false;
  const statuses = expect === undefined ? undefined : isStatusList(expect) ? expect : expect.statuses;
  if (statuses !== undefined && !statuses.includes(current.status)) return false;
  if (expect !== undefined && !isStatusList(expect) && expect.attempt !== undefined && current.attempt !== expect.attempt) return false;
  return patch.status === undefined || canTransition(current.status, patch.status);
}

const isStatusList = (expect: JobExpect): expect is readonly JobStatus[] => Array.isArray(expect);

/** The statuses and the attempt an expectation names (for stores that pass them on, as the Redis scripts do). */
export function expectParts(expect: JobExpect | undefined): { statuses: readonly JobStatus[] | undefined; attempt: number | undefined } {
  if (expect === undefined) return { statuses: undefined, attempt: undefined };
  return isStatusList(expect) ? { statuses: expect, attempt: undefined } : { statuses: expect.statuses, attempt: expect.attempt };
}

/** Applies a patch: a new frozen record with a fresh `updated_at` (no checks: see `canApply`). */
export function applyPatch(job: JobRecord, patch: JobPatch, now: string = patch.completed_at ?? patch.started_at ?? isoTime()): JobRecord {
  return Object.freeze({ ...job, ...patch, updated_at: now });
}

// ---- the patches of each transition --------------------------------------------------------

/** pending → running. */
export function startPatch(now: string = isoTime()): JobPatch {
  return { status: 'running', started_at: now };
}

/** running → completed, with the result already turned into JSON. */
export function completedPatch(result: unknown, progress: JobProgress | null, now: string = isoTime()): JobPatch {
  return { status: 'completed', result, error: null, completed_at: now, progress };
}

/** running → failed. */
export function failedPatch(error: JobError, progress: JobProgress | null, now: string = isoTime()): JobPatch {
  return { status: 'failed', error, completed_at: now, progress };
}

/** pending | running → cancelled. */
export function cancelPatch(message: string, now: string = isoTime()): JobPatch {
  return { status: 'cancelled', completed_at: now, error: { name: 'JobCancelledError', message, code: 'JOB_CANCELLED' } };
}

/**
 * pending | running → cancelled, for a job whose create the store confirmed too late: its caller
 * was refused (`STORE_UNAVAILABLE`) and its work stopped, so the record must not stay active.
 */
export function withdrawnPatch(message: string, now: string = isoTime()): JobPatch {
  return { status: 'cancelled', completed_at: now, error: { name: 'StoreUnavailableError', message, code: 'STORE_UNAVAILABLE' } };
}

/** pending → running for a claimed durable job: its next attempt starts now (the store's `claim` applies it). */
export function claimPatch(job: JobRecord, now: string = isoTime()): JobPatch {
  return { status: 'running', started_at: now, attempt: (job.attempt ?? 0) + 1, run_at: null };
}

/**
 * What a lease sweep does to an active job whose runner went silent: a durable job with attempts
 * left goes back to `pending`, due at once, its lost run added to `history` as `stale`; any other
 * job gets `stale` (the sweep's patch). Stores with leases call it inside `expireLeases`.
 */
export function expiryPatch(job: JobRecord, stale: JobPatch, now: string = isoTime()): JobPatch {
  if (!job.call || (job.attempt ?? 1) >= (job.max_attempts ?? 1)) return stale;
  const lost: AttemptRecord = {
    attempt: job.attempt ?? 1,
    status: 'stale',
    error: stale.error ?? null,
    started_at: job.started_at,
    ended_at: now,
  };
  return { status: 'pending', run_at: now, history: [...(job.history ?? []), lost] };
}

/** The `error` of a stale record. */
export function staleError(message: string): JobError {
  return { name: 'StaleJobError', code: 'JOB_STALE', message };
}

/** pending | running → stale: the process running it stopped (died, lost its lease, shut down). */
export function stalePatch(message: string, now: string = isoTime()): JobPatch {
  return { status: 'stale', completed_at: now, error: staleError(message) };
}

/**
 * What a job's `error` says of a thrown value: an Error's name, message and string `code`; any
 * other value as text. Never throws, whatever was thrown (a throwing getter or `toString`).
 */
export function toJobError(thrown: unknown): JobError {
  try {
    return describeThrown(thrown);
  } catch {
    // `instanceof` itself throws for a Proxy whose getPrototypeOf trap throws
    return { name: 'Error', message: '[a thrown value that cannot be inspected]' };
  }
}

function describeThrown(thrown: unknown): JobError {
  const read = (key: string): unknown => {
    try {
      return (thrown as Record<string, unknown>)[key];
    } catch {
      return undefined;
    }
  };
  if (thrown instanceof Error) {
    const name = read('name');
    const message = read('message');
    const code = read('code');
    const error: JobError = {
      name: typeof name === 'string' ? name : 'Error',
      message: typeof message === 'string' ? message : show(message),
    };
    if (typeof code === 'string') error.code = code;
    return error;
  }
  return { name: 'Error', message: typeof thrown === 'string' ? thrown : show(thrown) };
}
