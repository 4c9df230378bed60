import { callSafely } from '../common/call-safely';
import { isFinal } from '../job/lifecycle';
import type { JobEvent, JobRecord } from '../job/types';

/** How many settled job ids are remembered (at least) to announce each settle once. */
const SETTLED_MEMORY = 10_000;

/**
 * @internal A manager's announcements: the `created` / `updated` / `settled` listeners and the
 * waiters of `wait()`, on one emitter. Each job's settle is announced once, however many ways it
 * is observed (the manager's own write, a store notification, a lease renewal, a sweep).
 */
export class JobEvents {
  private readonly listeners: Record<JobEvent, Set<(job: JobRecord) => void>> = {
    created: new Set(),
    updated: new Set(),
    settled: new Set(),
  };
  /** Waiters per job id: told the settled record, or an error when the job is lost. */
  private readonly waiters = new Map<string, Set<(job: JobRecord | Error) => void>>();
  /**
   * Jobs already announced settled, in two generations: when the newer one is full it becomes
   * the older one and the oldest are forgotten (no per-settle eviction cost).
   */
  private settled = new Set<string>();
  private settledBefore = new Set<string>();

  constructor(private readonly warn: (message: string, e?: unknown) => void) {}

  /** Adds a listener; returns a function that removes it. */
  on(event: JobEvent, listener: (job: JobRecord) => void): () => void {
    const set = this.listeners[event];
    set.add(listener);
    return () => set.delete(listener);
  }

  /** Waits for a job's settle (or loss); returns a function that stops waiting. */
  waitFor(id: string, waiter: (job: JobRecord | Error) => void): () => void {
    let set = this.waiters.get(id);
    if (!set) this.waiters.set(id, (set = new Set()));
    set.add(waiter);
    return () => {
      set.delete(waiter);
      if (set.size === 0 && this.waiters.get(id) === set) this.waiters.delete(id);
    };
  }

  /** A job record was made. */
  created(job: JobRecord): void {
    this.emit('created', job);
  }

  /**
   * A change observed: `settled` (once per job) for a final record, `updated` for an active one
   * (unless the job was already announced settled: a late echo of an older change).
   * Returns whether it announced a settle.
   */
  observe(job: JobRecord): boolean {
    if (this.settled.has(job.id) || this.settledBefore.has(job.id)) {
      // Announced already: listeners heard it once; a waiter that came since still needs it.
      if (isFinal(job.status)) this.tell(job.id, job);
      return false;
    }
    if (!isFinal(job.status)) {
      this.emit('updated', job);
      return false;
    }
    if (this.settled.size >= SETTLED_MEMORY) {
      this.settledBefore = this.settled;
      this.settled = new Set();
    }
    this.settled.add(job.id);
    this.emit('settled', job);
    this.tell(job.id, job);
    return true;
  }

  /** A job was lost (its record vanished): its waiters get `error`. */
  lost(id: string, error: Error): void {
    this.tell(id, error);
  }

  private tell(id: string, what: JobRecord | Error): void {
    const set = this.waiters.get(id);
    if (set) for (const w of Array.from(set)) w(what);
  }

  private emit(event: JobEvent, job: JobRecord): void {
    for (const l of this.listeners[event]) callSafely(l, [job], (e) => this.warn(`A '${event}' listener failed`, e));
  }
}
