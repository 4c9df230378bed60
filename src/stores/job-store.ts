import type { JobPatch, JobRecord, JobStatus } from '../types';

/** What `JobStore.list()` is asked for. Results are newest first (by `created_at`). */
export interface JobQuery {
  /** Only these statuses. */
  statuses?: readonly JobStatus[];
  /** Exact label. */
  label?: string;
  /** Only this owner's jobs. */
  owner?: string;
  /** At most this many. */
  limit?: number;
}

/** What `JobStore.prune()` deletes: jobs in `statuses` that match either rule. */
export interface PruneQuery {
  /** Statuses that may be deleted (always settled ones). */
  statuses: readonly JobStatus[];
  /** Delete those that settled (`completed_at`) before this ISO time. */
  settledBefore?: string;
  /** Keep at most this many of them, the most recently settled. */
  keepNewest?: number;
}

/**
 * The persistence interface behind a `JobManager`. Implement it to keep jobs anywhere; register
 * your store with `container.register(JOB_STORE, { useValue: store })`.
 *
 * A store keeps JSON `JobRecord`s and does no job logic: the JobManager decides every transition
 * and asks the store to apply it atomically through `update(id, patch, expect)`.
 */
export interface JobStore {
  /** Short name shown by `health()`: `memory`, `file`, `redis`, … */
  readonly kind: string;
  /**
   * Stores a new record (the store may keep and freeze the object it is given). Resolves once the
   * record is as durable as the store can make it; rejects if a job with that id exists.
   * A store that keeps the record before returning (in memory) may return nothing, and throw
   * instead of rejecting: the caller then gets its ticket without waiting a turn.
   */
  create(job: JobRecord): Promise<void> | void;
  /** One record, or `undefined`. */
  get(id: string): Promise<JobRecord | undefined>;
  /**
   * Applies `patch` (and a fresh `updated_at`) atomically, if the job exists and, when `expect`
   * is given, its current status is one of `expect`. Resolves to the new record, or `undefined`
   * when the job is missing or the condition failed.
   */
  update(id: string, patch: JobPatch, expect?: readonly JobStatus[]): Promise<JobRecord | undefined>;
  /** Records matching the query, newest first. */
  list(query?: JobQuery): Promise<JobRecord[]>;
  /** Deletes settled records (see `PruneQuery`); resolves to how many were deleted. */
  prune(query: PruneQuery): Promise<number>;
  /** How many records there are per status. */
  counts(): Promise<Record<JobStatus, number>>;
  /** Flushes and releases everything the store holds open. */
  close(): Promise<void>;
  /**
   * Optional: tells the listener about changes made by other processes (so `wait()` and
   * `cancel()` work across them). Returns a function that unsubscribes.
   */
  watch?(listener: (job: JobRecord) => void): () => void;
}

/** Tells each watcher about a change; a watcher that throws does not stop the others. */
export function notifyWatchers(watchers: Iterable<(job: JobRecord) => void>, job: JobRecord): void {
  for (const w of watchers) {
    try {
      w(job);
    } catch {
      // a watcher's bug is its own
    }
  }
}

/** A fresh count per status, all zero. */
export function emptyCounts(): Record<JobStatus, number> {
  return { pending: 0, running: 0, completed: 0, failed: 0, cancelled: 0, stale: 0 };
}
