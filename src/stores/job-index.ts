import { FINAL_STATUSES, isFinal } from '../job/lifecycle';
import type { JobRecord, JobStatus } from '../job/types';
import { emptyCounts, type JobQuery, type PruneQuery } from './job-store';

/** Whether a record matches a list query (all but `limit`): for stores that filter in code. */
export function matchesQuery(job: JobRecord, q: JobQuery): boolean {
  return (
    (q.statuses === undefined || q.statuses.includes(job.status)) &&
    (q.label === undefined || job.label === q.label) &&
    (q.owner === undefined || job.owner === q.owner)
  );
}

const settledAt = (job: JobRecord): string => job.completed_at ?? job.updated_at;

/**
 * Jobs in memory, indexed for the store operations: records in creation order, settled ids in
 * settle order (so retention prunes the oldest in O(1) per job), counts per status. Records are
 * frozen; reads cost no copy. Part of the store kit: a store that keeps a copy of its jobs in
 * memory (the file store does) can answer `list`, `prune` and `counts` from it.
 */
export class JobIndex {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly settled = new Set<string>();
  private readonly tally = emptyCounts();

  /** How many records. */
  get size(): number {
    return this.jobs.size;
  }

  /** One record. */
  get(id: string): JobRecord | undefined {
    return this.jobs.get(id);
  }

  /** Every record, in creation order. */
  values(): IterableIterator<JobRecord> {
    return this.jobs.values();
  }

  /** Inserts or replaces a record, keeping counts and settle order right. */
  put(job: JobRecord): void {
    const old = this.jobs.get(job.id);
    if (old) {
      this.tally[old.status]--;
      if (isFinal(old.status)) this.settled.delete(job.id);
    }
    this.tally[job.status]++;
    this.jobs.set(job.id, job);
    if (isFinal(job.status)) this.settled.add(job.id);
  }

  /** Removes a record, if there. */
  remove(id: string): void {
    const job = this.jobs.get(id);
    if (!job) return;
    this.tally[job.status]--;
    this.jobs.delete(id);
    this.settled.delete(id);
  }

  /** Removes every record. */
  clear(): void {
    for (const id of Array.from(this.jobs.keys())) this.remove(id);
  }

  /** Newest first (creation order is insertion order, so a walk from the end). */
  list(query: JobQuery = {}): JobRecord[] {
    const all = Array.from(this.jobs.values());
    const out: JobRecord[] = [];
    const limit = query.limit ?? Infinity;
    for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
      const job = all[i]!;
      if (matchesQuery(job, query)) out.push(job);
    }
    return out;
  }

  /** The ids `prune(query)` deletes, oldest settled first. */
  prunable(query: PruneQuery): string[] {
    const keep = query.keepNewest ?? Infinity;
    const before = query.settledBefore;
    const out: string[] = [];
    if (FINAL_STATUSES.every((s) => query.statuses.includes(s))) {
      // Fast path: settle order is completion order, so stop at the first job both rules keep.
      let left = this.settled.size;
      for (const id of this.settled) {
        if (left <= keep && !(before !== undefined && settledAt(this.jobs.get(id)!) < before)) break;
        out.push(id);
        left--;
      }
      return out;
    }
    const candidates = Array.from(this.settled).filter((id) => query.statuses.includes(this.jobs.get(id)!.status));
    const excess = candidates.length - keep;
    candidates.forEach((id, i) => {
      if (i < excess || (before !== undefined && settledAt(this.jobs.get(id)!) < before)) out.push(id);
    });
    return out;
  }

  /** Records per status (a copy). */
  counts(): Record<JobStatus, number> {
    return { ...this.tally };
  }
}
