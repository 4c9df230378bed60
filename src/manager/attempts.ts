import { isoTime } from '../common/clock';
import { backoffDelay } from '../job/call';
import { toJobError } from '../job/lifecycle';
import type { AttemptRecord, BackoffOptions, JobExpect, JobPatch, JobRecord, JobStatus } from '../job/types';

/** @internal A durable job's run in this process: its policy and where its attempts stand. */
export interface DurableRun {
  attempt: number;
  readonly maxAttempts: number;
  readonly backoff: BackoffOptions;
  readonly retryOn: ((error: unknown) => boolean) | undefined;
  history: AttemptRecord[];
}

/** Codes of the errors that end a run on purpose: never retried by default. */
const DELIBERATE = new Set(['JOB_CANCELLED', 'JOB_STALE', 'JOB_HANDED_BACK']);

/** @internal What a write of a run expects of the record: the statuses, and for a durable run its attempt (the fencing token). */
export function expectOf(run: DurableRun | undefined, statuses: readonly JobStatus[]): JobExpect {
  return run ? { statuses, attempt: run.attempt } : statuses;
}

/**
 * @internal Whether a durable run that threw gets another attempt: attempts left, and `retryOn`
 * says so (by default every error but a cancellation, a stale mark or a hand-back).
 */
export function retries(run: DurableRun, error: unknown, warn: (message: string, e?: unknown) => void): boolean {
  if (run.attempt >= run.maxAttempts) return false;
  if (run.retryOn) {
    try {
      return run.retryOn(error) === true;
    } catch (e) {
      warn("A durable method's retryOn threw; the job is not retried", e);
      return false;
    }
  }
  const code = (error as { code?: unknown } | null)?.code;
  const name = (error as { name?: unknown } | null)?.name;
  return !(typeof code === 'string' && DELIBERATE.has(code)) && name !== 'AbortError';
}

/** @internal running → pending after a thrown error: due after the backoff, the attempt in `history`. */
export function retryPatch(run: DurableRun, error: unknown, startedAt: string | null, now = Date.now()): JobPatch {
  const ended: AttemptRecord = {
    attempt: run.attempt,
    status: 'failed',
    error: toJobError(error),
    started_at: startedAt,
    ended_at: isoTime(now),
  };
  return { status: 'pending', run_at: isoTime(now + backoffDelay(run.attempt, run.backoff)), history: [...run.history, ended] };
}

/** @internal running → pending at `close()`: due at once, the attempt not counted (the next claim runs it as the same attempt). */
export function handBackPatch(run: DurableRun, now = Date.now()): JobPatch {
  return { status: 'pending', run_at: isoTime(now), attempt: run.attempt - 1 };
}

/** @internal The run of a durable record (claimed, or created here). */
export function runOf(job: JobRecord, policy: { backoff: BackoffOptions; retryOn: ((error: unknown) => boolean) | undefined }): DurableRun {
  return {
    attempt: job.attempt ?? 1,
    maxAttempts: job.max_attempts ?? 1,
    backoff: policy.backoff,
    retryOn: policy.retryOn,
    history: job.history ?? [],
  };
}
