import { FINAL_STATUSES } from '../job/lifecycle';
import { isoTime } from '../common/clock';
import type { JobStore } from '../stores/job-store';

/**
 * @internal Prunes settled jobs beyond `maxJobs` or older than `ttlMs`. Runs once per event-loop
 * turn however many jobs settled in it (a burst costs one prune), every `maxJobs / 10` settles (at
 * least 1, at most 1,000: a run of jobs that never yields to the event loop stays bounded too),
 * and on a timer.
 */
export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private queued = false;
  private settledSince = 0;
  private readonly every: number;
  private stopped = false;

  constructor(
    private readonly store: JobStore,
    private readonly rules: { maxJobs: number; ttlMs: number },
    private readonly call: <T>(what: string, op: () => Promise<T>) => Promise<T>,
    private readonly warn: (message: string, e?: unknown) => void,
  ) {
    this.every = Math.min(1000, Math.ceil(rules.maxJobs / 10));
  }

  /** A job settled. */
  noteSettled(): void {
    if (++this.settledSince >= this.every) return this.run();
    if (this.queued) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      this.run();
    });
  }

  /** Starts the timer (once, when the first job is made). */
  start(): void {
    if (this.timer || this.stopped) return;
    this.timer = setInterval(() => this.run(), Math.min(this.rules.ttlMs, 60_000));
    this.timer.unref();
  }

  /** Stops; resolves once a prune in flight is over. */
  stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    return this.running ?? Promise.resolve();
  }

  private run(): void {
    if (this.stopped) return;
    this.settledSince = 0;
    if (this.running) {
      this.again = true;
      return;
    }
    const { maxJobs, ttlMs } = this.rules;
    this.running = (async () => {
      do {
        this.again = false;
        await this.call('prune jobs', () =>
          this.store.prune({ statuses: FINAL_STATUSES, keepNewest: maxJobs, settledBefore: isoTime(Date.now() - ttlMs) }),
        );
      } while (this.again && !this.stopped);
    })()
      .catch((e: unknown) => this.warn('Retention could not prune the job store', e))
      .finally(() => (this.running = undefined));
  }
}
