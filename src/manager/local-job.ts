import type { DurableRun } from './attempts';
import type { JobTrace } from './traces';
import type { RunContext } from './job-context';

/** The write chain of a job whose record was stored synchronously. */
const STORED: Promise<unknown> = Promise.resolve();

/**
 * @internal A job whose work runs in this process: its context, its store writes in order (the
 * first is the create; each waits for the one before), and its coalesced progress writes.
 */
export class LocalJob {
  /** The last of this job's store writes: the next one waits for it. */
  private chain: Promise<unknown> = STORED;
  private progressTimer: NodeJS.Timeout | undefined = undefined;
  private lastProgressWrite = 0;
  /** Whether this manager still answers for the job (false once settled, cancelled, fenced or given up). */
  tracked = true;
  /** Whether its record says `running` (a pending job's start may not have been stored yet). */
  started: boolean;
  /** Whether the create has been stored (only then is the lease renewed). */
  stored = false;
  /** Why the job was taken from this process when it went stale (its late outcome is not written). */
  fenced: Error | undefined = undefined;
  /** A durable job's run: its policy and attempt (the fencing token of its writes). */
  durable: DurableRun | undefined = undefined;
  /** The span of this attempt, when telemetry is on. */
  jobTrace: JobTrace | undefined = undefined;
  /** Called once when the job stops being tracked: close() waits on these. */
  private onDone: Array<() => void> | undefined = undefined;

  constructor(
    readonly id: string,
    readonly ctx: RunContext,
    /** When the job started running here (ms). */
    readonly startedMs: number,
    status: 'pending' | 'running',
  ) {
    this.started = status === 'running';
  }

  /** Makes `created` the first write of the chain. */
  afterCreate(created: Promise<unknown>): void {
    this.chain = created;
  }

  /**
   * Appends a store write to the job's queue, so its writes land in order. A write whose job is
   * no longer tracked when its turn comes is dropped (resolves `undefined`).
   */
  enqueue<T>(write: () => Promise<T | undefined>): Promise<T | undefined> {
    const run = (): Promise<T | undefined> | undefined => (this.tracked ? write() : undefined);
    const next = this.chain.then(run, run); // each write runs after the previous, whatever its fate
    this.chain = next;
    return next;
  }

  /** Schedules one progress write, at most one per `intervalMs`; reports in between are coalesced. */
  scheduleProgress(intervalMs: number, write: (job: LocalJob) => void): void {
    if (this.progressTimer !== undefined) return;
    const wait = Math.max(0, this.lastProgressWrite + intervalMs - Date.now());
    this.progressTimer = setTimeout(() => {
      this.progressTimer = undefined;
      this.lastProgressWrite = Date.now();
      write(this);
    }, wait);
    this.progressTimer.unref?.();
  }

  /** Resolves once the job is no longer tracked. */
  done(): Promise<void> {
    if (!this.tracked) return Promise.resolve();
    return new Promise<void>((r) => (this.onDone ??= []).push(r));
  }

  /** Stops tracking: no more writes, progress or renewals for this job here. */
  untrack(): void {
    if (!this.tracked) return;
    this.tracked = false;
    clearTimeout(this.progressTimer);
    const waiting = this.onDone;
    this.onDone = undefined;
    waiting?.forEach((w) => w());
  }
}
