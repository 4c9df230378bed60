import type { ClaimingJobStore, JobLease } from '../stores/job-store';
import type { JobRecord } from '../job/types';

/** How many jobs one claim asks for. */
const BATCH = 10;

/** What the claimer needs from its manager. */
export interface ClaimerHost {
  /** The durable names this process can run. */
  targets(): string[];
  /** How many more jobs may start here now (admission). */
  capacity(): number;
  /** The lease a claimed job starts under. */
  lease(): JobLease;
  /** Runs a claimed job. */
  run(job: JobRecord): void;
  /** Runs a store call with the manager's deadline. */
  call<T>(what: string, op: () => Promise<T>): Promise<T>;
  warn(message: string, e?: unknown): void;
}

/**
 * @internal The manager's side of durable calls: it claims due durable jobs whose method this
 * process knows, every `intervalMs`, sooner when poked (a job became due here or elsewhere), and
 * hands each to the manager to run. The store supplies the atomic claim.
 */
export class Claimer {
  private timer: NodeJS.Timeout | undefined;
  private soon: NodeJS.Timeout | undefined;
  private busy: Promise<void> | undefined;
  private again = false;
  private failing = false;
  private stopped = false;

  constructor(
    private readonly store: ClaimingJobStore,
    private readonly intervalMs: number,
    private readonly host: ClaimerHost,
  ) {
    this.timer = setInterval(() => this.poke(), intervalMs);
    this.timer.unref();
  }

  /** Claims now (or right after the claim in flight). */
  poke(): void {
    if (this.stopped) return;
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = this.claim().finally(() => {
      this.busy = undefined;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
  }

  /** Claims at `at` (epoch ms): a retry's backoff runs out then. */
  pokeAt(at: number): void {
    if (this.stopped) return;
    const wait = at - Date.now();
    if (wait > this.intervalMs) return; // the regular claim gets it
    clearTimeout(this.soon);
    this.soon = setTimeout(() => this.poke(), Math.max(0, wait));
    this.soon.unref();
  }

  /** Stops claiming; resolves once a claim in flight is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.soon);
    await this.busy;
  }

  private async claim(): Promise<void> {
    const targets = this.host.targets();
    if (targets.length === 0) return;
    try {
      for (;;) {
        const n = Math.min(BATCH, this.host.capacity());
        if (n <= 0 || this.stopped) return;
        const jobs = await this.host.call('claim jobs', () => this.store.claim(targets, n, this.host.lease(), Date.now()));
        if (this.failing) this.host.warn('Claims: the store answers again');
        this.failing = false;
        for (const job of jobs) this.host.run(job);
        if (jobs.length < n) return;
      }
    } catch (e) {
      if (!this.failing) this.host.warn('Claims: could not claim durable jobs; retrying', e);
      this.failing = true;
    }
  }
}
