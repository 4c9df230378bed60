import { newJobId } from '../job/job-id';
import { stalePatch } from '../job/lifecycle';
import type { JobLease, LeasedJobStore } from '../stores/job-store';
import type { JobRecord } from '../job/types';

/** Most jobs one `expireLeases` call marks; a sweep calls again until fewer come back. */
const SWEEP_BATCH = 500;

/** What liveness needs from its manager. */
export interface LivenessHost {
  /** Ids of the jobs running here whose record is stored. */
  leasedIds(): string[];
  /** A job running here is no longer active in the store (settled elsewhere, stale, or gone). */
  lost(id: string): void;
  /** Jobs a sweep marked stale. */
  swept(jobs: JobRecord[]): void;
  /** Runs a store call with the manager's deadline. */
  call<T>(what: string, op: () => Promise<T>): Promise<T>;
  warn(message: string, e?: unknown): void;
}

/**
 * @internal The manager's side of crash detection: it holds a lease on the jobs it runs, renews
 * it every third of `leaseMs`, and every half `leaseMs` (and at start) marks `stale` the jobs of
 * any manager sharing the store whose lease expired. The store only supplies the atomic steps.
 */
export class Liveness {
  /** This manager's runner id. */
  readonly runner = newJobId();
  private readonly timers: NodeJS.Timeout[] = [];
  /** Whether the last renewal or sweep failed (a failure is reported once until one succeeds). */
  private failing = false;
  private stopped = false;

  constructor(
    private readonly store: LeasedJobStore,
    readonly leaseMs: number,
    private readonly host: LivenessHost,
  ) {
    const every = (fn: () => Promise<void>, ms: number): void => {
      const t = setInterval(() => void fn(), Math.max(20, Math.floor(ms)));
      t.unref();
      this.timers.push(t);
    };
    every(() => this.renew(), leaseMs / 3);
    every(() => this.sweep(), leaseMs / 2);
  }

  /** The lease a new job starts with. */
  lease(): JobLease {
    return { runner: this.runner, expiresAt: Date.now() + this.leaseMs };
  }

  /** Renews the leases of the jobs running here; tells the host about those the store no longer holds active. */
  async renew(): Promise<void> {
    const ids = this.host.leasedIds();
    if (this.stopped || ids.length === 0) return;
    await this.guard('renew job leases', async () => {
      const gone = await this.host.call('renew job leases', () => this.store.renewLeases(this.runner, ids, Date.now() + this.leaseMs));
      for (const id of gone) this.host.lost(id);
    });
  }

  /** Marks jobs whose lease expired `stale`, in batches until none is left. Never rejects. */
  async sweep(): Promise<void> {
    if (this.stopped) return;
    await this.guard('mark expired jobs stale', async () => {
      for (;;) {
        const patch = stalePatch(`The process running this job stopped renewing its lease (${this.leaseMs} ms) before the job settled`);
        const jobs = await this.host.call('mark expired jobs stale', () => this.store.expireLeases(Date.now(), patch, SWEEP_BATCH));
        if (jobs.length > 0) this.host.swept(jobs);
        if (jobs.length < SWEEP_BATCH || this.stopped) return;
      }
    });
  }

  /** Stops renewing and sweeping. */
  stop(): void {
    this.stopped = true;
    this.timers.forEach((t) => clearInterval(t));
  }

  private async guard(what: string, op: () => Promise<void>): Promise<void> {
    try {
      await op();
      if (this.failing) this.host.warn(`Liveness: the store answers again (${what})`);
      this.failing = false;
    } catch (e) {
      if (!this.failing) this.host.warn(`Liveness: could not ${what}; retrying`, e);
      this.failing = true;
    }
  }
}
