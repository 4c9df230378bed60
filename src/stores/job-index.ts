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

/** Whether a job waits for a claim: pending, with a durable call. */
export function isClaimable(job: JobRecord): boolean {
  return job.status === 'pending' && job.call !== undefined;
}

/**
 * Picks up to `limit` of the jobs that wait for a claim and are due (`run_at` ≤ `now`) whose
 * target is one of `targets`: earliest due first, owners taking turns (one job of each owner a
 * round), so one owner's backlog does not hold another's job back by more than one job per slot.
 * Part of the store kit, for stores that pick claims in code (the memory and file stores do).
 */
export function pickClaims(waiting: Iterable<JobRecord>, targets: ReadonlySet<string>, limit: number, now: number): JobRecord[] {
  const due = Array.from(waiting).filter((j) => j.call && targets.has(j.call.target) && Date.parse(j.run_at ?? j.created_at) <= now);
  due.sort((a, b) => Date.parse(a.run_at ?? a.created_at) - Date.parse(b.run_at ?? b.created_at) || (a.created_at < b.created_at ? -1 : 1));
  const byOwner = new Map<string, JobRecord[]>();
  for (const j of due) {
    const key = j.owner ?? '';
    let queue = byOwner.get(key);
    if (!queue) byOwner.set(key, (queue = []));
    queue.push(j);
  }
  const out: JobRecord[] = [];
  const queues = Array.from(byOwner.values());
  for (let round = 0; out.length < limit && queues.some((q) => q.length > round); round++) {
    for (const q of queues) {
      if (out.length >= limit) break;
      if (q.length > round) out.push(q[round]!);
    }
  }
  return out;
}

/**
 * Jobs in memory, indexed for the store operations: records in creation order, settled ids in
 * settle order (so retention prunes the oldest in O(1) per job), counts per status. Records are
 * frozen; reads cost no copy. Part of the store kit: a store that keeps a copy of its jobs in
 * memory (the file store does) can answer `list`, `prune` and `counts` from it.
 */
export class JobIndex {
  private readonly jobs = new Map<string, JobRecord>();
  private readonly settled = new Set<string>();
  /** Pending durable jobs (they wait for a claim). */
  private readonly waiting = new Set<string>();
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
    if (isClaimable(job)) this.waiting.add(job.id);
    else this.waiting.delete(job.id);
  }

  /** Pending durable jobs: what `claim` chooses from. */
  *claimable(): IterableIterator<JobRecord> {
    for (const id of this.waiting) yield this.jobs.get(id)!;
  }

  /** Removes a record, if there. */
  remove(id: string): void {
    const job = this.jobs.get(id);
    if (!job) return;
    this.tally[job.status]--;
    this.jobs.delete(id);
    this.settled.delete(id);
    this.waiting.delete(id);
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
