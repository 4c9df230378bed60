import { SETTLED_STATUSES, type JobPatch, type JobRecord, type JobStatus } from '../types';
import { emptyCounts, type JobQuery, type JobStore, type PruneQuery } from './job-store';

/** @internal Applies a patch to a record: a new frozen record with a fresh `updated_at`. */
export function applyPatch(job: JobRecord, patch: JobPatch, now = new Date().toISOString()): JobRecord {
  return Object.freeze({ ...job, ...patch, updated_at: now });
}

/** @internal Whether a record matches a list query (all but `limit`). */
export function matchesQuery(job: JobRecord, q: JobQuery): boolean {
  return (
    (q.statuses === undefined || q.statuses.includes(job.status)) &&
    (q.label === undefined || job.label === q.label) &&
    (q.owner === undefined || job.owner === q.owner)
  );
}

const isSettled = (s: JobStatus): boolean => SETTLED_STATUSES.includes(s);

/**
 * The default store: jobs live in this process's memory and are gone when it exits.
 * Records are frozen; reads cost no copy. Pruning the oldest settled jobs is O(1) per job.
 *
 * @example
 * container.register(JOB_STORE, { useValue: new MemoryJobStore() });
 */
export class MemoryJobStore implements JobStore {
  readonly kind: string = 'memory';
  /** @internal In creation order. */
  protected readonly jobs = new Map<string, JobRecord>();
  /** Settled ids in the order they settled: pruning walks it from the oldest. */
  private readonly settled = new Set<string>();
  private readonly tally = emptyCounts();

  async create(job: JobRecord): Promise<void> {
    this.put(Object.freeze({ ...job }));
  }

  async get(id: string): Promise<JobRecord | undefined> {
    return this.jobs.get(id);
  }

  async update(id: string, patch: JobPatch, expect?: readonly JobStatus[]): Promise<JobRecord | undefined> {
    const job = this.jobs.get(id);
    if (!job || (expect && !expect.includes(job.status))) return undefined;
    const next = applyPatch(job, patch);
    this.put(next);
    return next;
  }

  async list(query: JobQuery = {}): Promise<JobRecord[]> {
    const all = Array.from(this.jobs.values());
    const out: JobRecord[] = [];
    const limit = query.limit ?? Infinity;
    // Creation order is insertion order, so newest first is a walk from the end.
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
      const job = all[i]!;
      if (matchesQuery(job, query)) out.push(job);
    }
    return out;
  }

  async prune(query: PruneQuery): Promise<number> {
    const keep = query.keepNewest ?? Infinity;
    const before = query.settledBefore;
    const everySettled = SETTLED_STATUSES.every((s) => query.statuses.includes(s));
    let deleted = 0;
    if (everySettled) {
      // Fast path: settle order is completion order, so stop at the first job both rules keep.
      for (const id of this.settled) {
        const job = this.jobs.get(id)!;
        const tooMany = this.settled.size > keep;
        const tooOld = before !== undefined && (job.completed_at ?? job.updated_at) < before;
        if (!tooMany && !tooOld) break;
        this.remove(id);
        deleted++;
      }
      return deleted;
    }
    const candidates = Array.from(this.settled).filter((id) => query.statuses.includes(this.jobs.get(id)!.status));
    const excess = candidates.length - keep;
    candidates.forEach((id, i) => {
      const job = this.jobs.get(id)!;
      if (i < excess || (before !== undefined && (job.completed_at ?? job.updated_at) < before)) {
        this.remove(id);
        deleted++;
      }
    });
    return deleted;
  }

  async counts(): Promise<Record<JobStatus, number>> {
    return { ...this.tally };
  }

  async close(): Promise<void> {}

  /** @internal Inserts or replaces a record, keeping counts and settle order right. */
  protected put(job: JobRecord): void {
    const old = this.jobs.get(job.id);
    if (old) this.tally[old.status]--;
    this.tally[job.status]++;
    this.jobs.set(job.id, job);
    this.settled.delete(job.id);
    if (isSettled(job.status)) this.settled.add(job.id);
  }

  /** @internal Deletes a record. */
  protected remove(id: string): void {
    const job = this.jobs.get(id);
    if (!job) return;
    this.tally[job.status]--;
    this.jobs.delete(id);
    this.settled.delete(id);
  }
}
