import { inject, singleton } from 'tsyringe';
import { newJobId } from './job-id';
import { isoTime } from './clock';
import { formatDuration } from './durations';
import {
  JobCancelledError,
  JobNotFoundError,
  JobWaitTimeoutError,
  SmartAsyncConfigError,
  SmartAsyncError,
  StoreUnavailableError,
} from './errors';
import { RunContext, runInContext } from './job-context';
import { resolveConfig, type ResolvedConfig, type SmartAsyncConfig } from './options';
import { toJsonResult } from './serialise';
import { emptyCounts, type JobStore } from './stores/job-store';
import { MemoryJobStore } from './stores/memory-job-store';
import { makeTicket } from './ticket';
import { JOB_STORE, SMART_ASYNC_CONFIG } from './tokens';
import {
  ACTIVE_STATUSES,
  JOB_STATUSES,
  SETTLED_STATUSES,
  type HealthReport,
  type JobError,
  type JobEvent,
  type JobFilter,
  type JobPatch,
  type JobRecord,
  type JobStatus,
  type JobTicket,
  type LaunchOptions,
  type OwnerOptions,
  type SmartResult,
} from './types';

/** A job whose work runs in this process. */
interface LocalJob {
  readonly id: string;
  readonly ctx: RunContext;
  /** The last of this job's store writes (the first is the create): the next one waits for it. */
  chain: Promise<unknown>;
  progressTimer: NodeJS.Timeout | undefined;
  lastProgressWrite: number;
  /** When the job started running here (ms). */
  readonly startedMs: number;
  /** Called once when the job's outcome is stored (or given up): close() waits on these. */
  onDone: Array<() => void> | undefined;
}

/** Statuses a settle may overwrite: a `stale` job whose work turns out to be alive still completes. */
const SETTLEABLE: readonly JobStatus[] = ['pending', 'running', 'stale'];

const isSettled = (s: JobStatus): boolean => SETTLED_STATUSES.includes(s);
/** A pending job may start running. */
const PENDING: readonly JobStatus[] = ['pending'];
/** The write chain of a job whose record was stored synchronously. */
const STORED: Promise<unknown> = Promise.resolve();
const iso = isoTime;

function toJobError(e: unknown): JobError {
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return typeof code === 'string' ? { name: e.name, message: e.message, code } : { name: e.name, message: e.message };
  }
  return { name: 'Error', message: typeof e === 'string' ? e : safeString(e) };
}

/** The patch that settles a job: its result (as JSON) or its error. */
function outcomePatch(outcome: 'completed' | 'failed', value: unknown, progress: JobRecord['progress']): JobPatch {
  const completed_at = iso();
  if (outcome === 'completed') {
    try {
      return { status: 'completed', result: toJsonResult(value), error: null, completed_at, progress };
    } catch (e) {
      value = e; // not representable as JSON: the job fails, saying why
    }
  }
  return { status: 'failed', error: toJobError(value), completed_at, progress };
}

function safeString(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

function storeError(e: unknown, what: string): SmartAsyncError {
  return e instanceof SmartAsyncError ? e : new StoreUnavailableError(`Job store failed to ${what}: ${(e as Error)?.message ?? safeString(e)}`, { cause: e });
}


/**
 * Owns every job: runs the two tiers (inline attempt, then background switch), performs every
 * status transition, and answers status, list, wait, cancel, prune and health. An injectable
 * tsyringe singleton; its store comes from `JOB_STORE` (default: memory), its settings from
 * `SMART_ASYNC_CONFIG`.
 *
 * @example
 * const jobs = container.resolve(JobManager);
 * const out = await jobs.launch(() => buildReport(day), { label: 'report', timeoutMs: 5_000 });
 * if (isJobTicket(out)) console.log(await jobs.wait(out.job_id));
 */
export class JobManager {
  private readonly store: JobStore;
  private readonly config: ResolvedConfig;
  private readonly local = new Map<string, LocalJob>();
  private readonly listeners: Record<JobEvent, Set<(job: JobRecord) => void>> = { created: new Set(), updated: new Set(), settled: new Set() };
  private readonly waiters = new Map<string, Set<(job: JobRecord) => void>>();
  private readonly startedAt = Date.now();
  private readonly unwatch: (() => void) | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private pruning: Promise<void> | undefined;
  private pruneAgain = false;
  private retentionQueued = false;
  /** Jobs settled since retention last ran. */
  private settledSincePrune = 0;
  /** Retention also runs after this many settles (see `scheduleRetention`). */
  private readonly pruneEvery: number;
  private closed = false;

  /**
   * @param store where jobs are kept @default new MemoryJobStore()
   * @param config manager-wide settings @default {}
   * @throws SmartAsyncConfigError when `config` is invalid.
   */
  constructor(store: JobStore = new MemoryJobStore(), config: SmartAsyncConfig = {}) {
    this.store = store;
    this.config = resolveConfig(config);
    this.pruneEvery = Math.min(1000, Math.ceil(this.config.retention.maxJobs / 10));
    this.unwatch = store.watch?.((job) => this.onExternalChange(job));
  }

  /** Whether `close()` was called: a closed manager takes no new calls. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The store's kind (`memory`, `file`, `redis`, …). */
  get storeKind(): string {
    return this.store.kind;
  }

  /**
   * Runs `work` within its budget and returns its value, or returns a `running` ticket when the
   * budget runs out (the work goes on in the background and its outcome lands in the job). With
   * `asyncMode`, creates a `pending` job and returns its ticket at once.
   *
   * @throws SmartAsyncConfigError on bad options; StoreUnavailableError when the job cannot be stored or the manager is closed.
   */
  launch<T>(work: () => Promise<T> | T, opts: LaunchOptions): Promise<SmartResult<T>> {
    if (this.closed) return Promise.reject(new StoreUnavailableError('JobManager is closed'));
    const timeoutMs = opts.timeoutMs ?? this.config.defaultTimeoutMs;
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      return Promise.reject(new SmartAsyncConfigError(`Expected \`timeoutMs\` to be a positive finite number, got \`${String(timeoutMs)}\``));
    }
    if (typeof opts.label !== 'string' || opts.label.length === 0) {
      return Promise.reject(new SmartAsyncConfigError(`Expected \`label\` to be a non-empty string, got \`${safeString(opts.label)}\``));
    }
    const ctx = new RunContext(opts.label, opts.onProgress, opts.signal);
    if (opts.asyncMode) return this.launchPending(work, ctx, opts.owner);

    const startedAt = Date.now();
    const running = this.start(ctx, work);
    return new Promise<SmartResult<T>>((resolve, reject) => {
      // The outcome handlers are attached once, here: before the switch they answer the caller,
      // after it they settle the job (whose first store write, the create, is queued ahead).
      let job: LocalJob | undefined;
      const timer = setTimeout(() => (job = this.register(ctx, 'running', opts.owner, startedAt, resolve, reject)), timeoutMs);
      running.then(
        (value) => {
          if (job) return this.settleSafely(job, 'completed', value);
          clearTimeout(timer);
          ctx.detach();
          resolve(value);
        },
        (error: unknown) => {
          if (job) return this.settleSafely(job, 'failed', error);
          clearTimeout(timer);
          ctx.detach();
          reject(error);
        },
      );
    });
  }

  /** One job, or `undefined` (also for a job of another owner when `owner` is given). */
  async get(id: string, opts: OwnerOptions = {}): Promise<JobRecord | undefined> {
    if (typeof id !== 'string') return undefined;
    const job = await this.read(() => this.store.get(id), 'read a job');
    return job && (opts.owner === undefined || job.owner === opts.owner) ? job : undefined;
  }

  /**
   * The seed's `job_status()`: `{ job }`.
   * @throws JobNotFoundError for an unknown id or another owner's job.
   */
  async status(id: string, opts: OwnerOptions = {}): Promise<{ job: JobRecord }> {
    return { job: await this.mustGet(id, opts) };
  }

  /** Jobs matching the filter, newest first. */
  async list(filter: JobFilter = {}): Promise<JobRecord[]> {
    const statuses = filter.status === undefined ? undefined : Array.isArray(filter.status) ? filter.status : [filter.status];
    for (const s of statuses ?? []) {
      if (!JOB_STATUSES.includes(s)) throw new SmartAsyncConfigError(`Expected \`status\` to be one of ${JOB_STATUSES.join(', ')}, got \`${safeString(s)}\``);
    }
    if (filter.limit !== undefined && !(Number.isInteger(filter.limit) && filter.limit > 0)) {
      throw new SmartAsyncConfigError(`Expected \`limit\` to be a positive integer, got \`${safeString(filter.limit)}\``);
    }
    return this.read(() => this.store.list({ statuses, label: filter.label, owner: filter.owner, limit: filter.limit }), 'list jobs');
  }

  /**
   * Resolves with the job once it has settled (completed, failed, cancelled or stale).
   * @throws JobNotFoundError; JobWaitTimeoutError after `timeoutMs`; the signal's reason when it aborts.
   */
  async wait(id: string, opts: { timeoutMs?: number; signal?: AbortSignal; owner?: string } = {}): Promise<JobRecord> {
    opts.signal?.throwIfAborted();
    const first = await this.mustGet(id, opts);
    if (isSettled(first.status)) return first;
    return new Promise<JobRecord>((resolve, reject) => {
      const cleanups: Array<() => void> = [];
      const finish = (fn: () => void): void => {
        for (const c of cleanups) c();
        fn();
      };
      const onJob = (job: JobRecord): void => {
        if (isSettled(job.status)) finish(() => resolve(job));
      };
      let set = this.waiters.get(id);
      if (!set) this.waiters.set(id, (set = new Set()));
      set.add(onJob);
      cleanups.push(() => {
        set!.delete(onJob);
        if (set!.size === 0) this.waiters.delete(id);
      });
      if (opts.timeoutMs !== undefined) {
        const t = setTimeout(() => finish(() => reject(new JobWaitTimeoutError(id, opts.timeoutMs!))), opts.timeoutMs);
        cleanups.push(() => clearTimeout(t));
      }
      if (opts.signal) {
        const signal = opts.signal;
        const onAbort = (): void => finish(() => reject(signal.reason));
        signal.addEventListener('abort', onAbort, { once: true });
        cleanups.push(() => signal.removeEventListener('abort', onAbort));
      }
      // A job running here is announced when it settles (settle, cancel and close all do), so
      // being subscribed is enough. Jobs running elsewhere are polled (rarely when the store
      // notifies); the first poll also closes the gap between the read above and the subscription.
      const poll = async (): Promise<void> => {
        const job = await this.store.get(id).catch(() => undefined);
        if (!set!.has(onJob)) return;
        if (job === undefined && !this.local.has(id)) return finish(() => reject(new JobNotFoundError(id)));
        if (job) onJob(job);
        // A store that notifies is still polled now and then, in case a notification was lost.
        if (set!.has(onJob) && !this.local.has(id)) {
          const t = setTimeout(() => void poll(), this.store.watch ? this.config.pollIntervalMs * 10 : this.config.pollIntervalMs);
          cleanups.push(() => clearTimeout(t));
        }
      };
      if (!this.local.has(id)) void poll();
    });
  }

  /**
   * Cancels a pending or running job: its status becomes `cancelled` and its work's signal is
   * aborted. A settled job is returned unchanged.
   * @throws JobNotFoundError for an unknown id or another owner's job.
   */
  async cancel(id: string, reason?: string, opts: OwnerOptions = {}): Promise<JobRecord> {
    const job = await this.mustGet(id, opts);
    if (isSettled(job.status)) return job;
    const message = reason ?? 'Job cancelled';
    const patch: JobPatch = { status: 'cancelled', completed_at: iso(), error: { name: 'JobCancelledError', message, code: 'JOB_CANCELLED' } };
    const updated = await this.read(() => this.store.update(id, patch, ACTIVE_STATUSES), 'cancel a job');
    if (!updated) return this.mustGet(id, opts); // it settled meanwhile
    this.stopLocal(id, new JobCancelledError(message));
    this.announceSettled(updated);
    return updated;
  }

  /**
   * Deletes settled jobs (never pending or running ones).
   * @param opts.olderThanMs only jobs settled at least this long ago @default 0
   * @param opts.statuses only these statuses @default every settled status
   * @returns how many were deleted
   */
  async prune(opts: { olderThanMs?: number; statuses?: JobStatus[] } = {}): Promise<number> {
    const olderThanMs = opts.olderThanMs ?? 0;
    if (!(olderThanMs >= 0)) throw new SmartAsyncConfigError(`Expected \`olderThanMs\` to be a non-negative number, got \`${safeString(opts.olderThanMs)}\``);
    const statuses = (opts.statuses ?? SETTLED_STATUSES).filter(isSettled);
    if (statuses.length === 0) return 0;
    return this.read(() => this.store.prune({ statuses, settledBefore: iso(Date.now() - olderThanMs + 1) }), 'prune jobs');
  }

  /** Counts per status, the store's kind, what runs here and human-readable ages. Never throws. */
  async health(): Promise<HealthReport> {
    const now = Date.now();
    let oldest: LocalJob | undefined;
    let oldestAt = Infinity;
    for (const job of this.local.values()) {
      if (job.startedMs < oldestAt) [oldest, oldestAt] = [job, job.startedMs];
    }
    const base = {
      store: this.store.kind,
      running_here: this.local.size,
      oldest_active: oldest ? { id: oldest.id, label: oldest.ctx.label, age: formatDuration(now - oldestAt) } : null,
      uptime: formatDuration(now - this.startedAt),
      checked_at: iso(now),
    };
    try {
      const counts = await this.store.counts();
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      return { status: 'ok', counts, total, ...base };
    } catch (e) {
      return { status: 'unavailable', counts: emptyCounts(), total: 0, ...base, error: (e as Error)?.message ?? safeString(e) };
    }
  }

  /**
   * Listens to job events: `created` (a job record was made), `updated` (status or progress
   * changed), `settled` (completed, failed, cancelled or stale). Listener errors go to
   * `SMART_ASYNC_CONFIG.onWarning` and never reach the work. Returns a function that unsubscribes.
   */
  on(event: JobEvent, listener: (job: JobRecord) => void): () => void {
    const set = this.listeners[event];
    if (!set) throw new SmartAsyncConfigError(`Expected event to be created, updated or settled, got \`${safeString(event)}\``);
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Stops taking new calls, lets background work finish for up to `closeGraceMs`, then aborts
   * what is left (their jobs become `stale` with the reason), flushes and closes the store.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.retentionTimer);
    const pending = Array.from(this.local.values());
    const all = Promise.all(pending.map((j) => new Promise<void>((r) => (j.onDone ??= []).push(r))));
    if (pending.length > 0) {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([all, new Promise((r) => (t = setTimeout(r, this.config.closeGraceMs)))]);
      clearTimeout(t);
    }
    // Work still going after the grace period: its job becomes stale and the work is told to stop.
    for (const job of Array.from(this.local.values())) {
      const error = { name: 'ShutdownError', message: 'The process shut down before the job settled' };
      const stale = await this.enqueue(job, () => this.store.update(job.id, { status: 'stale', completed_at: iso(), error }, ACTIVE_STATUSES)).catch((e: unknown) =>
        this.warn(`Could not mark job ${job.id} stale at close`, e),
      );
      this.stopLocal(job.id, new JobCancelledError('JobManager closed before the job settled'));
      if (stale) this.announceSettled(stale); // listeners and waiters hear of it too
    }
    await this.pruning;
    this.unwatch?.();
    await this.store.close();
  }

  // ---- the two tiers ---------------------------------------------------------------------

  private start<T>(ctx: RunContext, work: () => Promise<T> | T): Promise<T> {
    try {
      return Promise.resolve(runInContext(ctx, work));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private newRecord(id: string, label: string, status: JobStatus, owner: string | undefined, startedAt: number | null, ctx: RunContext): JobRecord {
    const now = iso();
    const job: JobRecord = {
      id,
      label,
      status,
      created_at: now,
      started_at: startedAt === null ? null : iso(startedAt),
      completed_at: null,
      updated_at: now,
      result: null,
      error: null,
      progress: ctx.progress,
    };
    if (owner !== undefined) job.owner = owner;
    return job;
  }

  private launchPending<T>(work: () => Promise<T> | T, ctx: RunContext, owner: string | undefined): Promise<SmartResult<T>> {
    return new Promise<JobTicket>((resolve, reject) => this.register(ctx, 'pending', owner, null, resolve, reject, (local) => void this.runPending(local, work)));
  }

  /**
   * Makes a job of a call: its record is stored (durably, before any ticket exists), the job
   * is tracked as running here at once (its later writes queue behind the create), and once
   * stored, `then` starts and the ticket goes to `resolve`. This is the hot path of a switch:
   * when 1,000 budgets run out together, their switches run one after another.
   */
  private register(
    ctx: RunContext,
    status: 'pending' | 'running',
    owner: string | undefined,
    startedAt: number | null,
    resolve: (ticket: JobTicket) => void,
    reject: (e: unknown) => void,
    then?: (local: LocalJob) => void,
  ): LocalJob {
    const job = this.newRecord(newJobId(), ctx.label, status, owner, startedAt, ctx);
    let created: Promise<void> | void;
    try {
      created = this.store.create(job);
    } catch (e) {
      created = Promise.reject(e);
    }
    const local: LocalJob = { id: job.id, ctx, chain: STORED, progressTimer: undefined, lastProgressWrite: 0, startedMs: startedAt ?? Date.now(), onDone: undefined };
    this.local.set(job.id, local);
    ctx.jobId = job.id;
    ctx.onReport = this.onReport;
    const stored = (): void => {
      this.startRetentionTimer();
      this.emit('created', job);
      if (ctx.aborted) void this.cancel(job.id, 'The caller aborted').catch(() => undefined);
      then?.(local);
      resolve(makeTicket(job.id, status));
    };
    if (typeof (created as PromiseLike<void> | undefined)?.then !== 'function') {
      stored(); // a store that kept the record before returning: no turn to wait
    } else {
      local.chain = Promise.resolve(created).then(stored, (e: unknown) => {
        this.forget(local);
        ctx.abort(new JobCancelledError('The job could not be stored'));
        reject(storeError(e, 'create a job'));
      });
    }
    return local;
  }

  private async runPending<T>(local: LocalJob, work: () => Promise<T> | T): Promise<void> {
    let running: JobRecord | undefined;
    try {
      running = await this.enqueue(local, () => this.store.update(local.id, { status: 'running', started_at: iso() }, PENDING));
      if (!running) return this.forget(local); // cancelled (or pruned) before it started
      this.emit('updated', running);
    } catch (e) {
      // The job is stored (pending); its outcome will be written with retries. Run it.
      this.warn(`Job ${local.id} could not be marked running; starting it anyway`, e);
    }
    this.track(local, this.start(local.ctx, work));
  }

  private track<T>(local: LocalJob, running: Promise<T>): void {
    running.then(
      (value) => this.settleSafely(local, 'completed', value),
      (error: unknown) => this.settleSafely(local, 'failed', error),
    );
  }

  private settleSafely(local: LocalJob, outcome: 'completed' | 'failed', value: unknown): void {
    this.settle(local, outcome, value).catch((e: unknown) => this.warn(`Job ${local.id} could not be settled`, e)); // settle does not throw; belt and braces
  }

  /** Writes the outcome. Never rejects; retries while the store is unavailable. */
  private async settle(local: LocalJob, outcome: 'completed' | 'failed', value: unknown): Promise<void> {
    if (this.local.get(local.id) !== local) return; // cancelled or given up at close: its record is final
    const patch = outcomePatch(outcome, value, local.ctx.progress);
    for (let attempt = 0; ; attempt++) {
      try {
        const job = await this.enqueue(local, () => this.store.update(local.id, patch, SETTLEABLE));
        if (job) this.announceSettled(job);
        break;
      } catch (e) {
        if (this.local.get(local.id) !== local) break;
        if (attempt === 0) this.warn(`Job ${local.id} settled but its outcome could not be stored yet; retrying`, e);
        await new Promise((r) => setTimeout(r, Math.min(5000, 100 * 2 ** attempt)).unref?.());
      }
    }
    this.forget(local);
  }

  /** Aborts a local job's work and stops tracking it: whatever the work does later is ignored. */
  private stopLocal(id: string, reason: JobCancelledError): void {
    const local = this.local.get(id);
    if (!local) return;
    this.forget(local);
    local.ctx.abort(reason);
  }

  private forget(local: LocalJob): void {
    clearTimeout(local.progressTimer);
    local.ctx.detach();
    this.local.delete(local.id);
    const waiting = local.onDone;
    local.onDone = undefined;
    waiting?.forEach((w) => w());
  }

  /**
   * Appends a store write to the job's own queue, so its writes land in order (the first is the
   * create). A write whose job is no longer tracked here when its turn comes (cancelled, given
   * up, or never stored) is dropped.
   */
  private enqueue<T>(local: LocalJob, write: () => Promise<T | undefined>): Promise<T | undefined> {
    const run = (): Promise<T | undefined> | undefined => (this.local.get(local.id) === local ? write() : undefined);
    // Each write runs after the previous one, whether that succeeded or not.
    const next = local.chain.then(run, run);
    local.chain = next;
    return next;
  }

  /** Called by a job's context after each progress report: one function for every job. */
  private readonly onReport = (ctx: RunContext): void => {
    const local = ctx.jobId === undefined ? undefined : this.local.get(ctx.jobId);
    if (local?.ctx === ctx) this.scheduleProgress(local);
  };

  private scheduleProgress(local: LocalJob): void {
    if (local.progressTimer !== undefined) return;
    const wait = Math.max(0, local.lastProgressWrite + this.config.progressIntervalMs - Date.now());
    local.progressTimer = setTimeout(() => {
      local.progressTimer = undefined;
      local.lastProgressWrite = Date.now();
      void this.enqueue(local, () => this.store.update(local.id, { progress: local.ctx.progress }, ACTIVE_STATUSES)).then(
        (job) => job && this.emit('updated', job),
        (e: unknown) => this.warn(`Progress of job ${local.id} could not be stored`, e),
      );
    }, wait);
    local.progressTimer.unref?.();
  }

  // ---- events, waiters, retention -----------------------------------------------------------

  private announceSettled(job: JobRecord): void {
    this.emit('settled', job);
    const set = this.waiters.get(job.id);
    if (set) for (const w of Array.from(set)) w(job);
    this.scheduleRetention();
  }

  /** A change made by another process (stores with `watch`). */
  private onExternalChange(job: JobRecord): void {
    if (job.status === 'cancelled') this.stopLocal(job.id, new JobCancelledError(job.error?.message ?? 'Job cancelled'));
    if (isSettled(job.status)) {
      this.emit('settled', job);
      const set = this.waiters.get(job.id);
      if (set) for (const w of Array.from(set)) w(job);
    } else {
      this.emit('updated', job);
    }
  }

  private emit(event: JobEvent, job: JobRecord): void {
    for (const l of this.listeners[event]) {
      try {
        l(job);
      } catch (e) {
        this.warn(`A '${event}' listener threw`, e);
      }
    }
  }

  /**
   * Retention runs once per event-loop turn however many jobs settled in it (a burst costs one
   * prune), and also every `maxJobs / 10` settles (at least 1, at most 1,000): a long run of jobs
   * that never yields to the event loop (work that is all microtasks) stays bounded too.
   */
  private scheduleRetention(): void {
    if (++this.settledSincePrune >= this.pruneEvery) return this.runRetention();
    if (this.retentionQueued) return;
    this.retentionQueued = true;
    setImmediate(() => {
      this.retentionQueued = false;
      this.runRetention();
    });
  }

  private runRetention(): void {
    if (this.closed) return;
    this.settledSincePrune = 0;
    if (this.pruning) {
      this.pruneAgain = true;
      return;
    }
    const { maxJobs, ttlMs } = this.config.retention;
    this.pruning = (async () => {
      do {
        this.pruneAgain = false;
        await this.store.prune({ statuses: SETTLED_STATUSES, keepNewest: maxJobs, settledBefore: iso(Date.now() - ttlMs) });
      } while (this.pruneAgain);
    })()
      .catch((e: unknown) => this.warn('Retention could not prune the job store', e))
      .finally(() => (this.pruning = undefined));
  }

  private startRetentionTimer(): void {
    if (this.retentionTimer || this.closed) return;
    this.retentionTimer = setInterval(() => this.runRetention(), Math.min(this.config.retention.ttlMs, 60_000));
    this.retentionTimer.unref();
  }

  /** Problems no caller can see (listener errors, failed background writes) go to `onWarning`. */
  private warn(message: string, e?: unknown): void {
    const text = e === undefined ? message : `${message}: ${(e as Error)?.message ?? safeString(e)}`;
    try {
      this.config.onWarning(text, e);
    } catch {
      // a broken warning hook must not break the job
    }
  }

  private async mustGet(id: string, opts: OwnerOptions): Promise<JobRecord> {
    const job = await this.get(id, opts);
    if (!job) throw new JobNotFoundError(String(id));
    return job;
  }

  private async read<T>(op: () => Promise<T>, what: string): Promise<T> {
    try {
      return await op();
    } catch (e) {
      throw storeError(e, what);
    }
  }
}

// DI wiring without decorator syntax, so the library compiles the same under legacy and
// standard decorators: the constructor's two parameters come from optional tokens, and the
// class is a singleton of the global container (a child container may register its own).
inject(JOB_STORE, { isOptional: true })(JobManager, undefined, 0);
inject(SMART_ASYNC_CONFIG, { isOptional: true })(JobManager, undefined, 1);
singleton()(JobManager);
