import { StoreCorruptError } from '../common/errors';
import { isoTime } from '../common/clock';
import { applyPatch, canApply, claimPatch } from '../job/lifecycle';
import type { JobExpect, JobPatch, JobRecord, JobStatus } from '../job/types';
import { JobIndex, pickClaims } from './job-index';
import { holdsScope, type JobLease, type JobQuery, type JobStore, type PruneQuery } from './job-store';

/**
 * The default store: jobs live in this process's memory and are gone when it exits (so it needs
 * no leases: its jobs cannot outlive their process). Records are frozen; reads cost no copy.
 * Pruning the oldest settled jobs is O(1) per job.
 *
 * @example
 * container.register(JOB_STORE, { useValue: new MemoryJobStore() });
 */
export class MemoryJobStore implements JobStore {
  readonly kind: string = 'memory';
  /** In-process and never slow: true for this class itself (a subclass may add I/O, so it does not inherit the claim). */
  readonly inProcess: boolean = this.constructor === MemoryJobStore;
  /** Synchronous create, unless a subclass overrides `create` (its own create must then run). */
  readonly createNow: ((job: JobRecord) => void) | undefined =
    this.create === MemoryJobStore.prototype.create ? (job) => this.insert(job) : undefined;
  private readonly index = new JobIndex();
  /** Idempotency scopes and the job holding each. */
  private readonly scopes = new Map<string, string>();

  /** @throws StoreCorruptError (as a rejection) if the id exists. */
  async create(job: JobRecord): Promise<void> {
    this.insert(job);
  }

  /**
   * `create` without the promise: the record is stored when it returns. The JobManager uses it
   * when `create` is not overridden, so a ticket goes out without waiting a turn.
   * @throws StoreCorruptError if the id exists.
   */
  insert(job: JobRecord): void {
    if (this.index.get(job.id)) throw new StoreCorruptError(`Job \`${job.id}\` already exists`);
    this.index.put(Object.freeze(job)); // the store owns the record from here on
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return this.index.get(id);
  }

  async update(id: string, patch: JobPatch, expect?: JobExpect): Promise<JobRecord | undefined> {
    const job = this.index.get(id);
    if (!job || !canApply(job, patch, expect)) return undefined;
    const next = applyPatch(job, patch);
    this.index.put(next);
    return next;
  }

  async list(query?: JobQuery): Promise<JobRecord[]> {
    return this.index.list(query);
  }

  async prune(query: PruneQuery): Promise<number> {
    const ids = this.index.prunable(query);
    for (const id of ids) {
      const scope = this.index.get(id)?.idempotency?.scope;
      if (scope !== undefined && this.scopes.get(scope) === id) this.scopes.delete(scope);
      this.index.remove(id);
    }
    return ids.length;
  }

  async counts(): Promise<Record<JobStatus, number>> {
    return this.index.counts();
  }

  /** Claims (see `JobStore.claim`): no lease is kept, as the memory store's jobs live and die with their process. */
  async claim(targets: readonly string[], limit: number, _lease: JobLease, now: number): Promise<JobRecord[]> {
    const at = isoTime(now);
    return pickClaims(this.index.claimable(), new Set(targets), limit, now).map((job) => {
      const next = applyPatch(job, claimPatch(job, at));
      this.index.put(next);
      return next;
    });
  }

  async reserve(job: JobRecord, _lease: JobLease | undefined, ttlMs: number, now: number): Promise<{ job: JobRecord; created: boolean }> {
    const scope = job.idempotency?.scope;
    const held = scope === undefined ? undefined : this.index.get(this.scopes.get(scope) ?? '');
    if (held && holdsScope(held, ttlMs, now)) return { job: held, created: false };
    this.insert(job);
    if (scope !== undefined) this.scopes.set(scope, job.id);
    return { job, created: true };
  }

  async close(): Promise<void> {}
}
