import { isActive } from '../job/lifecycle';
import type { JobExpect, JobPatch, JobRecord, JobStatus } from '../job/types';

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

/** A runner's claim on a job it runs: it vouches for the job until `expiresAt`. */
export interface JobLease {
  /** Who runs the job: one random id per JobManager. */
  runner: string;
  /** Epoch milliseconds until which the runner vouches for the job. */
  expiresAt: number;
}

/**
 * The persistence interface behind a `JobManager`. Implement it to keep jobs anywhere; register
 * your store with `container.register(JOB_STORE, { useValue: store })`.
 *
 * A store keeps JSON `JobRecord`s and decides nothing: the JobManager decides every transition
 * and asks the store to apply it atomically through `update(id, patch, expect)`, which must
 * refuse what `canApply()` refuses (a final record never changes). Everything a store needs is
 * exported by `smart-async` (the store kit); `describeJobStore()` from `smart-async/testing`
 * checks a store against this contract.
 *
 * **Leases** (optional, `renewLeases` and `expireLeases` together): a store that implements
 * them gets crash detection. The manager running a job holds a lease on it (given to `create`),
 * renews it, and any manager sharing the store marks jobs whose lease expired `stale`. A store
 * without them cannot tell a crashed process from a slow one: its jobs stay `running` if their
 * process dies (fine for a store that lives and dies with its process, as the memory store does).
 */
export interface JobStore {
  /** Short name shown by `health()`: `memory`, `file`, `redis`, … */
  readonly kind: string;
  /**
   * Stores a new record (the store may keep and freeze the object it is given). Resolves once the
   * record is as durable as the store can make it; rejects if a job with that id exists.
   * `lease`: the runner's first lease on the job (stores with leases keep it atomically with the record).
   */
  create(job: JobRecord, lease?: JobLease): Promise<void>;
  /** One record, or `undefined`. */
  get(id: string): Promise<JobRecord | undefined>;
  /**
   * Applies `patch` (and a fresh `updated_at`) atomically if `canApply(current, patch, expect)`:
   * the job exists, is not final, the status change is allowed, and, when `expect` is given, its
   * current status is one of `expect`. Resolves to the new record, or `undefined` when refused.
   */
  update(id: string, patch: JobPatch, expect?: JobExpect): Promise<JobRecord | undefined>;
  /** Records matching the query, newest first. */
  list(query?: JobQuery): Promise<JobRecord[]>;
  /** Deletes settled records (see `PruneQuery`); resolves to how many were deleted. */
  prune(query: PruneQuery): Promise<number>;
  /** How many records there are per status. */
  counts(): Promise<Record<JobStatus, number>>;
  /** Flushes and releases everything the store holds open. */
  close(): Promise<void>;
  /**
   * Optional capability: the store lives in this process and its calls cannot hang, so the
   * manager sets no deadline timer on them (`storeTimeoutMs`).
   */
  readonly inProcess?: boolean;
  /**
   * Optional capability: stores a new record synchronously — `create` without the promise (it
   * throws where `create` rejects) — so a ticket goes out without waiting a turn.
   */
  createNow?(job: JobRecord): void;
  /**
   * Optional: tells the listener about changes made by other processes (so `wait()` and
   * `cancel()` work across them). Returns a function that unsubscribes.
   */
  watch?(listener: (job: JobRecord) => void): () => void;
  /**
   * Optional (leases): how long a runner may go silent before its jobs are stale; the manager
   * renews every third of it. @default 30000
   */
  readonly leaseMs?: number;
  /**
   * Optional (leases): extends `runner`'s lease on these jobs to `expiresAt`. Resolves to the ids
   * among them that are no longer active (settled elsewhere, marked stale, or gone): the runner
   * stops their work.
   */
  renewLeases?(runner: string, ids: readonly string[], expiresAt: number): Promise<string[]>;
  /**
   * Optional (leases): applies `patch` (a stale mark) atomically to at most `limit` leased jobs
   * whose lease expired before `now` (or whose runner the store knows to be dead), and resolves
   * to the records it changed. A durable job with attempts left gets `expiryPatch(job, patch)`
   * instead: back to `pending`, due at once, its lost run in `history`.
   */
  expireLeases?(now: number, patch: JobPatch, limit: number): Promise<JobRecord[]>;
  /**
   * Optional (claims): atomically takes up to `limit` jobs that wait for a claim — `pending`,
   * with a `call` whose `target` is one of `targets`, due (`run_at` ≤ `now`) — chosen fairly across
   * owners (`pickClaims`), and starts each: `claimPatch` (status `running`, `attempt` + 1) under
   * the runner's `lease`. Resolves to the started records. Jobs that wait for a claim hold no
   * lease (a sweep never marks them stale); a claimed one is leased like any running job.
   */
  claim?(targets: readonly string[], limit: number, lease: JobLease, now: number): Promise<JobRecord[]>;
  /**
   * Optional (idempotency keys): atomically, if a job holds `job.idempotency.scope` and is active or
   * settled less than `ttlMs` before `now`, resolves to `{ job: that one, created: false }`; else
   * creates `job` (as `create` does, under `lease`), makes it the scope's holder and resolves to
   * `{ job, created: true }`. Two processes reserving one scope at once create one job.
   */
  reserve?(job: JobRecord, lease: JobLease | undefined, ttlMs: number, now: number): Promise<{ job: JobRecord; created: boolean }>;
}

/** Whether the job holding an idempotency scope still holds it at `now`: active, or settled less than `ttlMs` ago. */
export function holdsScope(job: JobRecord, ttlMs: number, now: number): boolean {
  if (job.status === 'cancelled' && job.error?.code === 'STORE_UNAVAILABLE') return false; // withdrawn: its call was refused
  return isActive(job.status) || Date.parse(job.completed_at ?? job.updated_at) > now - ttlMs;
}

/** A store that implements claims. */
export type ClaimingJobStore = JobStore & Required<Pick<JobStore, 'claim'>>;

/** Whether a store implements claims (durable jobs run again in any process sharing it). */
export function hasClaims(store: JobStore): store is ClaimingJobStore {
  return typeof store.claim === 'function';
}

/** A store that implements the lease mechanism. */
export type LeasedJobStore = JobStore & Required<Pick<JobStore, 'renewLeases' | 'expireLeases'>>;

/** Whether a store implements the lease mechanism (`renewLeases` and `expireLeases`). */
export function hasLeases(store: JobStore): store is LeasedJobStore {
  return typeof store.renewLeases === 'function' && typeof store.expireLeases === 'function';
}

/**
 * For stores that read many records at once (lists, sweeps, claims): parses each, and skips a
 * malformed one, reporting it through `warn` once per id (the last 1,000 ids are remembered), so
 * one bad record never hides the others nor floods the warnings.
 */
export class MalformedRecords {
  private readonly reported = new Set<string>();

  /** @param warn where a skipped record is reported */
  constructor(private readonly warn: (message: string, error?: unknown) => void) {}

  /** `parse()`'s record, or `undefined` (reported once) when it throws. */
  parseOrSkip(parse: () => JobRecord, id: string): JobRecord | undefined {
    try {
      return parse();
    } catch (e) {
      if (!this.reported.has(id)) {
        if (this.reported.size >= 1000) this.reported.clear();
        this.reported.add(id);
        this.warn(`${(e as Error).message}; skipped (reported once)`, e);
      }
      return undefined;
    }
  }
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
