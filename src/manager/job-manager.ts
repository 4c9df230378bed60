import { inject, singleton } from 'tsyringe';
import { isoTime } from '../common/clock';
import { formatDuration } from '../common/durations';
import {
  JobCancelledError,
  JobNotFoundError,
  JobWaitTimeoutError,
  SmartAsyncConfigError,
  StaleJobError,
  StoreUnavailableError,
} from '../common/errors';
import { newJobId } from '../job/job-id';
import { IdempotencyKeyReusedError, JobHandedBackError } from '../common/errors';
import { RunContext, runInContext } from './job-context';
import {
  ACTIVE_STATUSES,
  cancelPatch,
  completedPatch,
  failedPatch,
  FINAL_STATUSES,
  isFinal,
  JOB_STATUSES,
  startPatch,
  stalePatch,
  toJobError,
  withdrawnPatch,
} from '../job/lifecycle';
import { onAbort } from './abort-listeners';
import { storeError, timerDelay, withDeadline } from './deadline';
import { JobEvents } from './job-events';
import { Liveness } from './liveness';
import { LocalJob } from './local-job';
import { Retention } from './retention';
import { resolveConfig, type ResolvedConfig, type SmartAsyncConfig } from './config';
import { show } from '../common/validation';
import { toJsonResult } from '../job/serialise';
import { emptyCounts, hasClaims, hasLeases, type JobStore } from '../stores/job-store';
import { expectOf, retries, retryPatch, runOf, handBackPatch } from './attempts';
import { Admission, type Ticket } from './admission';
import { checkKey, keyScope, outcomeOf } from './idempotency';
import { Claimer } from './claimer';
import { JobLog } from './job-log';
import { Telemetry } from './telemetry';
import type { CallTrace } from './traces';
import { defaultInstance } from './container';
import { findTarget, knownTargets } from './targets';
import { DEFAULT_BACKOFF } from '../job/call';
import { MemoryJobStore } from '../stores/memory-job-store';
import { isJobTicket, makeTicket } from '../job/ticket';
import { JOB_STORE, SMART_ASYNC_CONFIG } from './tokens';
import type {
  DurableLaunch,
  HealthReport,
  JobEvent,
  JobFilter,
  JobPatch,
  JobRecord,
  JobStatus,
  JobTicket,
  LaunchOptions,
  OwnerOptions,
  SmartResult,
} from '../job/types';

const PENDING: readonly JobStatus[] = ['pending'];
const RUNNING: readonly JobStatus[] = ['running'];
const EVENTS: readonly JobEvent[] = ['created', 'updated', 'settled'];

/** The patch that settles a job: its result as JSON, or its error (a result that is not JSON fails the job, saying why). */
function outcomePatch(outcome: 'completed' | 'failed', value: unknown, progress: JobRecord['progress']): JobPatch {
  const now = isoTime();
  if (outcome === 'completed') {
    try {
      return completedPatch(toJsonResult(value), progress, now);
    } catch (e) {
      value = e;
    }
  }
  return failedPatch(toJobError(value), progress, now);
}

/** The work, holding its admission slot until it settles (or throws at once). */
function holding<T>(work: () => Promise<T> | T, ticket: Ticket): () => Promise<T> | T {
  return () => {
    let out: Promise<T> | T;
    try {
      out = work();
    } catch (e) {
      ticket.release();
      throw e;
    }
    Promise.resolve(out).then(ticket.release, ticket.release);
    return out;
  };
}

/** A new job record of a call, with no id taken yet by any store. */
function newRecord(
  label: string,
  status: 'pending' | 'running',
  owner: string | undefined,
  startedAt: number | null,
  progress: JobRecord['progress'] = null,
): JobRecord {
  const now = isoTime();
  const job: JobRecord = {
    id: newJobId(),
    label,
    status,
    created_at: now,
    started_at: startedAt === null ? null : isoTime(startedAt),
    completed_at: null,
    updated_at: now,
    result: null,
    error: null,
    progress,
  };
  if (owner !== undefined) job.owner = owner;
  return job;
}

/** The limits as `health()` shows them (`null` where none is set). */
function limitsOf(a: Admission): { max: number | null; perOwner: number | null; queue: number | null } {
  const shown = (n: number): number | null => (Number.isFinite(n) ? n : null);
  return { max: shown(a.limits.max), perOwner: shown(a.limits.perOwner), queue: shown(a.limits.queue) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms).unref?.());

/**
 * Owns every job: runs the two tiers (inline attempt, then background switch), performs every
 * status transition, holds the leases of the jobs it runs, and answers status, list, wait,
 * cancel, prune and health. An injectable tsyringe singleton; its store comes from `JOB_STORE`
 * (default: memory), its settings from `SMART_ASYNC_CONFIG`.
 *
 * It delegates to small collaborators: each job running here is a `LocalJob` (ordered writes,
 * coalesced progress), events and waits share one `JobEvents`, `Liveness` renews and sweeps
 * leases, `Retention` prunes.
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
  private readonly events: JobEvents;
  private readonly retention: Retention;
  private readonly liveness: Liveness | undefined;
  /** The store's synchronous create, when it has one (no turn to wait for a ticket). */
  private readonly createNow: ((job: JobRecord) => void) | undefined;
  /** An in-process store that cannot hang: its calls need no deadline timer. */
  private readonly inProcess: boolean;
  private readonly startedAt = Date.now();
  private readonly unwatch: (() => void) | undefined;
  private closing: Promise<void> | undefined;
  /** Whether progress writes fail now (reported once until one succeeds, not once per job per interval). */
  private progressFailing = false;
  /** The first sweep of expired leases: reads wait for it, so jobs of dead processes read as stale at once. */
  private firstSweep: Promise<void> | undefined;
  /** Claims due durable jobs this process can run (stores with claims). */
  private readonly claimer: Claimer | undefined;
  /** Concurrency limits and fair queueing, when `concurrency` sets a limit. */
  private readonly admission: Admission | undefined;
  /** OpenTelemetry spans and metrics, when the app registered a provider. */
  private readonly telemetry: Telemetry;
  /** Warnings and attempt transitions: the configured logger, else `onWarning`. */
  private readonly log: JobLog;

  /**
   * @param store where jobs are kept @default new MemoryJobStore()
   * @param config manager-wide settings @default {}
   * @throws SmartAsyncConfigError when `config` is invalid.
   */
  constructor(store: JobStore = new MemoryJobStore(), config: SmartAsyncConfig = {}) {
    this.store = store;
    this.config = resolveConfig(config);
    this.log = new JobLog(this.config.logger, this.config.onWarning);
    this.telemetry = new Telemetry(this.warn);
    this.inProcess = store.inProcess === true;
    this.createNow = typeof store.createNow === 'function' ? store.createNow.bind(store) : undefined;
    const admission = new Admission(this.config.concurrency);
    this.admission = admission.limited || Number.isFinite(this.config.concurrency.queue) ? admission : undefined;
    this.events = new JobEvents(this.warn);
    this.retention = new Retention(store, this.config.retention, this.storeCall, this.warn);
    this.unwatch = store.watch?.((job) => this.observeExternal(job));
    if (hasLeases(store)) {
      this.liveness = new Liveness(store, store.leaseMs ?? 30_000, {
        leasedIds: () => Array.from(this.local.values(), (j) => (j.stored ? j.id : '')).filter(Boolean),
        lost: (id) => void this.onLeaseLost(id),
        swept: (jobs) => jobs.forEach((job) => this.observeExternal(job)),
        call: this.storeCall,
        warn: this.warn,
      });
      this.firstSweep = this.liveness.sweep().finally(() => (this.firstSweep = undefined));
    }
    if (hasClaims(store)) {
      this.claimer = new Claimer(store, this.config.claimIntervalMs, {
        targets: knownTargets,
        capacity: () => (this.admission ? this.admission.free() : Infinity),
        lease: () => this.liveness?.lease() ?? { runner: 'in-process', expiresAt: Number.MAX_SAFE_INTEGER },
        run: (job) => this.runClaimed(job),
        call: this.storeCall,
        warn: this.warn,
      });
    }
  }

  /** Whether `close()` was called: a closed manager takes no new calls. */
  get isClosed(): boolean {
    return this.closing !== undefined;
  }

  /** Least time between two progress writes of a job (and two progress notifications of an MCP request). */
  get progressIntervalMs(): number {
    return this.config.progressIntervalMs;
  }

  /** The store's kind (`memory`, `file`, `redis`, …). */
  get storeKind(): string {
    return this.store.kind;
  }

  /**
   * Runs `work` within its budget and returns its value, or returns a `running` ticket when the
   * budget runs out (the work goes on in the background and its outcome lands in the job). With
   * `asyncMode`, creates a `pending` job and returns its ticket at once. The caller's `signal`
   * aborts the inline attempt only.
   *
   * @throws SmartAsyncConfigError on bad options; StoreUnavailableError when the job cannot be stored or the manager is closed; the signal's reason when it aborts the inline attempt.
   */
  launch<T>(work: () => Promise<T> | T, opts: LaunchOptions): Promise<SmartResult<T>> {
    const trace = this.telemetry.call(opts.label, opts.traceparent);
    if (!trace) return this.launchCall(work, opts, undefined);
    return this.launchCall(work, opts, trace).then(
      (value) => {
        trace.end(isJobTicket(value) ? 'ticket' : 'inline', isJobTicket(value) ? value.job_id : undefined);
        return value;
      },
      (error: unknown) => {
        trace.end('error', undefined, error);
        throw error;
      },
    );
  }

  private launchCall<T>(work: () => Promise<T> | T, opts: LaunchOptions, trace: CallTrace | undefined): Promise<SmartResult<T>> {
    if (this.closing) return Promise.reject(new StoreUnavailableError('JobManager is closed'));
    const timeoutMs = opts.timeoutMs ?? this.config.defaultTimeoutMs;
    if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) {
      return Promise.reject(new SmartAsyncConfigError(`Expected \`timeoutMs\` to be a positive finite number, got \`${show(timeoutMs)}\``));
    }
    if (typeof opts.label !== 'string' || opts.label.length === 0) {
      return Promise.reject(new SmartAsyncConfigError(`Expected \`label\` to be a non-empty string, got \`${show(opts.label)}\``));
    }
    if (opts.owner !== undefined && (typeof opts.owner !== 'string' || opts.owner.length === 0)) {
      return Promise.reject(new SmartAsyncConfigError(`Expected \`owner\` to be a non-empty string, got \`${show(opts.owner)}\``));
    }
    const signal = opts.signal;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const ctx = new RunContext(opts.label, opts.onProgress, opts.durable);
    ctx.trace = trace;
    if (opts.idempotencyKey !== undefined) return this.launchKeyed(work, ctx, opts, timeoutMs);
    if (!this.admission) return opts.asyncMode ? this.launchPending(work, ctx, opts.owner) : this.launchInline(work, ctx, opts, timeoutMs);
    // Admission: the call holds a slot while its work runs; without a free one it waits (owners in turn).
    let ticket: Ticket;
    try {
      ticket = this.admission.enter(opts.owner);
    } catch (e) {
      return Promise.reject(e); // refused at once: nothing started, nothing stored
    }
    const held = holding(work, ticket);
    if (opts.asyncMode) return this.launchPending(held, ctx, opts.owner, ticket);
    if (ticket.granted) return this.launchInline(held, ctx, opts, timeoutMs);
    return this.launchWhenAdmitted(held, ctx, opts, timeoutMs, ticket);
  }

  /**
   * A call with an idempotency key: its job is reserved before the work starts (one store write,
   * even when it then finishes inline; its outcome is stored too). A repeated call never runs the
   * work again: it answers as the first call would now — the stored value or error, the value if
   * the job settles within this call's budget, else the same ticket. The same key with other
   * arguments is `IDEMPOTENCY_KEY_REUSED`.
   */
  private async launchKeyed<T>(
    work: () => Promise<T> | T,
    ctx: RunContext,
    opts: LaunchOptions,
    timeoutMs: number,
  ): Promise<SmartResult<T>> {
    const t0 = Date.now();
    const key = checkKey(opts.idempotencyKey);
    const reserve = this.store.reserve?.bind(this.store);
    if (!reserve) throw new SmartAsyncConfigError(`The ${this.store.kind} store does not keep idempotency keys (it has no \`reserve\`)`);
    const fingerprint = opts.fingerprint ?? '';
    const ticket = this.admission?.enter(opts.owner); // a refusal writes nothing
    const pending = opts.asyncMode === true || (ticket !== undefined && !ticket.granted);
    const job = newRecord(ctx.label, pending ? 'pending' : 'running', opts.owner, pending ? null : t0, ctx.progress);
    job.idempotency = { key, scope: keyScope(opts.owner, opts.durable?.call.target ?? opts.label, key), fingerprint };
    const local = new LocalJob(job.id, ctx, t0, job.status as 'pending' | 'running');
    if (ctx.durable) this.makeDurable(job, local, ctx.durable);
    let reserved: { job: JobRecord; created: boolean };
    let reserving: Promise<{ job: JobRecord; created: boolean }> | undefined;
    try {
      reserved = await this.read(
        'reserve an idempotency key',
        () => (reserving = reserve(job, this.liveness?.lease(), this.config.idempotencyTtlMs, Date.now())),
      );
    } catch (e) {
      ticket?.release();
      // A reservation that lands after its deadline is withdrawn at once, and frees its key: the client's retry runs the work.
      if (reserving)
        this.withdraw(
          job.id,
          reserving.then((r) => (r.created ? undefined : Promise.reject(new Error('not created')))),
        );
      throw e;
    }
    if (!reserved.created) {
      ticket?.release();
      const held = reserved.job;
      if (held.idempotency?.fingerprint !== fingerprint) {
        throw new IdempotencyKeyReusedError(
          `Idempotency key \`${key.slice(0, 100)}\` was used for another call (other arguments) of ${held.label}; job ${held.id} is that call's`,
        );
      }
      return this.answerWithin(held.id, timeoutMs - (Date.now() - t0), undefined) as Promise<SmartResult<T>>;
    }
    // This call holds the key: its work runs here, now or when its slot comes.
    local.stored = true;
    this.local.set(job.id, local);
    ctx.jobId = job.id;
    ctx.onReport = this.onReport;
    this.retention.start();
    this.events.created(job);
    const held = ticket ? holding(work, ticket) : work;
    if (pending) {
      void (ticket ? this.runWhenAdmitted(local, held, ticket) : this.runPending(local, held));
      if (opts.asyncMode) return makeTicket(job.id, 'pending');
      return this.answerWithin(job.id, timeoutMs - (Date.now() - t0), undefined) as Promise<SmartResult<T>>;
    }
    let outcome: { ok: boolean; value: unknown } | undefined;
    this.start(ctx, held).then(
      (value) => ((outcome = { ok: true, value }), this.settleSafely(local, 'completed', value)),
      (error: unknown) => ((outcome = { ok: false, value: error }), this.settleSafely(local, 'failed', error)),
    );
    return this.answerWithin(job.id, timeoutMs - (Date.now() - t0), () => outcome) as Promise<SmartResult<T>>;
  }

  /**
   * Answers for a keyed job within `budgetMs`: once it ends, its outcome (the work's own value or
   * error when it ran in this call, else the stored one); if it is still active then, its ticket.
   */
  private async answerWithin(
    id: string,
    budgetMs: number,
    own: (() => { ok: boolean; value: unknown } | undefined) | undefined,
  ): Promise<unknown> {
    let job: JobRecord;
    try {
      job = await this.wait(id, { timeoutMs: Math.max(0, budgetMs) });
    } catch (e) {
      if (!(e instanceof JobWaitTimeoutError)) throw e;
      const now = await this.get(id);
      return makeTicket(id, now?.status === 'pending' ? 'pending' : 'running');
    }
    const mine = own?.();
    if (mine && (job.status === 'completed' || job.status === 'failed')) {
      if (mine.ok) return mine.value;
      throw mine.value;
    }
    return outcomeOf(job);
  }

  /**
   * A call waiting for a slot: it runs inline with what is left of its budget once it gets one; if
   * none frees within its budget, it becomes a `pending` job (its ticket returned) that starts when
   * its slot comes. The caller's signal ends the wait.
   */
  private launchWhenAdmitted<T>(
    work: () => Promise<T> | T,
    ctx: RunContext,
    opts: LaunchOptions,
    timeoutMs: number,
    ticket: Ticket,
  ): Promise<SmartResult<T>> {
    const t0 = Date.now();
    const signal = opts.signal;
    return new Promise<SmartResult<T>>((resolve, reject) => {
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        unlisten?.();
        const refused = (e: unknown): void => {
          ticket.release();
          reject(e);
        };
        this.register(ctx, 'pending', opts.owner, null, resolve, refused, (local) => void this.runWhenAdmitted(local, work, ticket));
      }, timerDelay(timeoutMs));
      const unlisten =
        signal &&
        onAbort(signal, () => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          ticket.release();
          reject(signal.reason);
        });
      void ticket.ready.then(() => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        unlisten?.();
        this.launchInline(work, ctx, opts, Math.max(1, timeoutMs - (Date.now() - t0))).then(resolve, reject);
      });
    });
  }

  /** A pending job's work once its slot comes (the slot is given back if the job was cancelled meanwhile). */
  private async runWhenAdmitted<T>(local: LocalJob, work: () => Promise<T> | T, ticket: Ticket): Promise<void> {
    await ticket.ready;
    if (!(await this.runPending(local, work))) ticket.release();
  }

  /** The two tiers: the inline attempt within `timeoutMs`, then the switch to the background. */
  private launchInline<T>(work: () => Promise<T> | T, ctx: RunContext, opts: LaunchOptions, timeoutMs: number): Promise<SmartResult<T>> {
    const signal = opts.signal;
    const startedAt = Date.now();
    const running = this.start(ctx, work);
    return new Promise<SmartResult<T>>((resolve, reject) => {
      // The outcome handlers are attached once, here: before the switch they answer the caller,
      // after it they settle the job (whose first store write, the create, is queued ahead).
      let job: LocalJob | undefined;
      let answered = false; // the caller's signal or close() answered the call instead
      const unlisten =
        signal &&
        onAbort(signal, () => {
          if (job) return;
          answered = true;
          clearTimeout(timer);
          ctx.abort(signal.reason);
          reject(signal.reason);
        });
      const timer = setTimeout(() => {
        unlisten?.();
        if (this.closing) {
          answered = true;
          const closed = new StoreUnavailableError('JobManager closed before the call could become a job');
          ctx.abort(closed);
          return reject(closed);
        }
        job = this.register(ctx, 'running', opts.owner, startedAt, resolve, reject);
      }, timerDelay(timeoutMs));
      running.then(
        (value) => {
          if (job) return this.settleSafely(job, 'completed', value);
          if (answered) return;
          clearTimeout(timer);
          unlisten?.();
          resolve(value);
        },
        (error: unknown) => {
          if (job) return this.settleSafely(job, 'failed', error);
          if (answered) return;
          clearTimeout(timer);
          unlisten?.();
          reject(error);
        },
      );
    });
  }

  /** One job, or `undefined` (also for a job of another owner when `owner` is given). */
  async get(id: string, opts: OwnerOptions = {}): Promise<JobRecord | undefined> {
    return this.getWithin(id, opts);
  }

  private async getWithin(id: string, opts: OwnerOptions, deadlineMs?: number): Promise<JobRecord | undefined> {
    if (typeof id !== 'string') return undefined;
    const job = await this.read('read a job', () => this.store.get(id), deadlineMs);
    return job && (opts.owner === undefined || job.owner === opts.owner) ? job : undefined;
  }

  /**
   * The seed's `job_status()`: `{ job }`.
   * @throws JobNotFoundError for an unknown id or another owner's job; StoreUnavailableError when the store does not answer.
   */
  async status(id: string, opts: OwnerOptions = {}): Promise<{ job: JobRecord }> {
    return { job: await this.mustGet(id, opts) };
  }

  /** Jobs matching the filter, newest first. */
  async list(filter: JobFilter = {}): Promise<JobRecord[]> {
    const statuses = filter.status === undefined ? undefined : Array.isArray(filter.status) ? filter.status : [filter.status];
    for (const s of statuses ?? []) {
      if (!JOB_STATUSES.includes(s))
        throw new SmartAsyncConfigError(`Expected \`status\` to be one of ${JOB_STATUSES.join(', ')}, got \`${show(s)}\``);
    }
    if (filter.limit !== undefined && !(Number.isInteger(filter.limit) && filter.limit > 0)) {
      throw new SmartAsyncConfigError(`Expected \`limit\` to be a positive integer, got \`${show(filter.limit)}\``);
    }
    return this.read('list jobs', () => this.store.list({ statuses, label: filter.label, owner: filter.owner, limit: filter.limit }));
  }

  /**
   * Resolves with the job once it is final (completed, failed, cancelled or stale). Never outlives
   * `timeoutMs`. A wait on a job running here ends when its work settles, even if the store lost
   * the record (it then rejects with `JOB_NOT_FOUND`, and the outcome goes to `onWarning`).
   * @throws JobNotFoundError; JobWaitTimeoutError after `timeoutMs`; StoreUnavailableError when the store does not answer the first read; the signal's reason when it aborts.
   */
  async wait(id: string, opts: { timeoutMs?: number; signal?: AbortSignal; owner?: string } = {}): Promise<JobRecord> {
    const { timeoutMs, signal } = opts;
    if (timeoutMs !== undefined && !(timeoutMs >= 0)) {
      throw new SmartAsyncConfigError(`Expected \`timeoutMs\` to be a non-negative number, got \`${show(timeoutMs)}\``);
    }
    signal?.throwIfAborted();
    const endsAt = timeoutMs === undefined ? undefined : Date.now() + timeoutMs;
    // The first read is bounded by the wait's own timeout too: a silent store never makes a wait outlive it.
    const first = await this.mustGet(id, opts, timeoutMs === undefined ? undefined : Math.min(timeoutMs, this.config.storeTimeoutMs));
    if (isFinal(first.status)) return first;
    return new Promise<JobRecord>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      let poller: NodeJS.Timeout | undefined;
      let over = false;
      const finish = (fn: () => void): void => {
        if (over) return;
        over = true;
        unsubscribe();
        clearTimeout(timer);
        clearTimeout(poller);
        unlisten?.();
        fn();
      };
      const unsubscribe = this.events.waitFor(id, (what) => finish(() => (what instanceof Error ? reject(what) : resolve(what))));
      if (endsAt !== undefined)
        timer = setTimeout(() => finish(() => reject(new JobWaitTimeoutError(id, timeoutMs!))), timerDelay(endsAt - Date.now()));
      const unlisten = signal && onAbort(signal, () => finish(() => reject(signal.reason)));
      // A job running here is announced when it settles (settle, cancel, stale and close all
      // announce), so being subscribed is enough. Jobs running elsewhere are polled (rarely when
      // the store notifies); the first poll closes the gap between the read and the subscription.
      // A store that does not answer a poll is asked again: unreachable is never "not found".
      const poll = async (): Promise<void> => {
        if (over || this.local.has(id)) return;
        let job: JobRecord | undefined | null = null;
        try {
          job = await this.storeCall('read a job', () => this.store.get(id));
        } catch {
          // unreachable for now: ask again later
        }
        if (over) return;
        if (job === undefined) return finish(() => reject(new JobNotFoundError(id)));
        if (job && isFinal(job.status)) return this.announce(job); // tells this waiter (and any other), announced before or not
        poller = setTimeout(() => void poll(), this.store.watch ? this.config.pollIntervalMs * 10 : this.config.pollIntervalMs);
      };
      void poll();
    });
  }

  /**
   * Cancels a pending or running job: its status becomes `cancelled` and its work's signal is
   * aborted (in whichever process runs it, for stores that notify). A final job is returned unchanged.
   * @throws JobNotFoundError for an unknown id or another owner's job.
   */
  async cancel(id: string, reason?: string, opts: OwnerOptions = {}): Promise<JobRecord> {
    if (reason !== undefined && typeof reason !== 'string')
      throw new SmartAsyncConfigError(`Expected \`reason\` to be a string, got \`${show(reason)}\``);
    const job = await this.mustGet(id, opts);
    if (isFinal(job.status)) return job;
    const message = reason ?? 'Job cancelled';
    const updated = await this.read('cancel a job', () => this.store.update(id, cancelPatch(message), ACTIVE_STATUSES));
    if (!updated) return this.mustGet(id, opts); // it settled meanwhile
    this.takeBack(updated);
    this.announce(updated);
    return updated;
  }

  /**
   * Runs a durable job again that ended `failed` or `stale`: a new job with the same call
   * (`retry_of` names the old one, which stays as it is), due at once, for whichever manager that
   * knows its method to claim.
   * @throws JobNotFoundError for an unknown id or another owner's job; SmartAsyncConfigError when the job is not durable or has not ended failed or stale.
   */
  async retry(id: string, opts: OwnerOptions = {}): Promise<JobRecord> {
    if (this.closing) throw new StoreUnavailableError('JobManager is closed');
    const old = await this.mustGet(id, opts);
    if (!old.call) throw new SmartAsyncConfigError(`Job ${old.id} is not durable: only a durable job's call can be run again`);
    if (old.status !== 'failed' && old.status !== 'stale')
      throw new SmartAsyncConfigError(`Job ${old.id} is ${old.status}: only a job that ended failed or stale is retried`);
    const fresh = newRecord(old.label, 'pending', old.owner, null);
    const job: JobRecord = {
      ...fresh,
      call: old.call,
      attempt: 0,
      max_attempts: old.max_attempts ?? 1,
      run_at: fresh.created_at,
      history: [],
      retry_of: old.id,
    };
    await this.read('create a job', () => this.store.create(job));
    this.events.created(job);
    this.claimer?.poke();
    return job;
  }

  /**
   * Deletes final jobs (never pending or running ones).
   * @param opts.olderThanMs only jobs settled at least this long ago @default 0
   * @param opts.statuses only these statuses @default every final status
   * @returns how many were deleted
   */
  async prune(opts: { olderThanMs?: number; statuses?: JobStatus[] } = {}): Promise<number> {
    const olderThanMs = opts.olderThanMs ?? 0;
    if (!(olderThanMs >= 0))
      throw new SmartAsyncConfigError(`Expected \`olderThanMs\` to be a non-negative number, got \`${show(opts.olderThanMs)}\``);
    const statuses = (opts.statuses ?? FINAL_STATUSES).filter(isFinal);
    if (statuses.length === 0) return 0;
    return this.read('prune jobs', () => this.store.prune({ statuses, settledBefore: isoTime(Date.now() - olderThanMs + 1) }));
  }

  /** Counts per status, the store's kind, what runs here and human-readable ages. Never throws. */
  async health(): Promise<HealthReport> {
    const now = Date.now();
    let oldest: LocalJob | undefined;
    for (const job of this.local.values()) if (!oldest || job.startedMs < oldest.startedMs) oldest = job;
    const base = {
      store: this.store.kind,
      running_here: this.local.size,
      ...(this.admission ? { admission: { ...this.admission.counts(), ...limitsOf(this.admission) } } : {}),
      oldest_active: oldest ? { id: oldest.id, label: oldest.ctx.label, age: formatDuration(now - oldest.startedMs) } : null,
      uptime: formatDuration(now - this.startedAt),
      checked_at: isoTime(now),
    };
    try {
      const counts = await this.storeCall('count jobs', () => this.store.counts());
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      const durable = counts.pending > 0 ? await this.unclaimed(now) : { unclaimed: 0, unclaimed_targets: [] };
      return { status: 'ok', counts, total, ...base, ...durable };
    } catch (e) {
      return { status: 'unavailable', counts: emptyCounts(), total: 0, ...base, error: storeError(e, 'count jobs').message };
    }
  }

  /**
   * Durable jobs due for a while that no process has claimed (their method is known nowhere, or
   * every process that knows it is down): they wait, never lost, and `health()` says so. Looks at
   * the oldest 1,000 pending jobs at most.
   */
  private async unclaimed(now: number): Promise<{ unclaimed: number; unclaimed_targets: string[] }> {
    const overdue = now - Math.max(5_000, 3 * this.config.claimIntervalMs);
    const pending = await this.storeCall('list jobs', () => this.store.list({ statuses: PENDING, limit: 1_000 }));
    const late = pending.filter((j) => j.call && Date.parse(j.run_at ?? j.created_at) < overdue);
    return { unclaimed: late.length, unclaimed_targets: Array.from(new Set(late.map((j) => j.call!.target))) };
  }

  /**
   * Listens to job events: `created` (a job record was made), `updated` (status or progress
   * changed), `settled` (completed, failed, cancelled or stale; once per job). Listener errors go
   * to `SMART_ASYNC_CONFIG.onWarning` and never reach the work. Returns a function that unsubscribes.
   */
  on(event: JobEvent, listener: (job: JobRecord) => void): () => void {
    if (!EVENTS.includes(event))
      throw new SmartAsyncConfigError(`Expected event to be created, updated or settled, got \`${show(event)}\``);
    return this.events.on(event, listener);
  }

  /**
   * Stops taking new calls, lets background work finish for up to `closeGraceMs` (its leases
   * still renewed), then marks what is left `stale` and aborts its work, flushes and closes the
   * store. Returns within `closeGraceMs` plus one store deadline; calling it again returns the same promise.
   */
  close(): Promise<void> {
    return (this.closing ??= this.shutdown());
  }

  // ---- the two tiers ---------------------------------------------------------------------

  private start<T>(ctx: RunContext, work: () => Promise<T> | T, context = ctx.trace?.context): Promise<T> {
    try {
      return Promise.resolve(context ? this.telemetry.within(context, () => runInContext(ctx, work)) : runInContext(ctx, work));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private launchPending<T>(
    work: () => Promise<T> | T,
    ctx: RunContext,
    owner: string | undefined,
    ticket?: Ticket,
  ): Promise<SmartResult<T>> {
    const refused = (e: unknown, reject: (e: unknown) => void): void => {
      ticket?.release();
      reject(e);
    };
    return new Promise<JobTicket>((resolve, reject) =>
      this.register(
        ctx,
        'pending',
        owner,
        null,
        resolve,
        (e) => refused(e, reject),
        (local) => void (ticket ? this.runWhenAdmitted(local, work, ticket) : this.runPending(local, work)),
      ),
    );
  }

  /**
   * Makes a job of a call: its record is stored (durably, with this manager's lease, before any
   * ticket exists), the job is tracked as running here at once (its later writes queue behind the
   * create), and once stored, `then` starts and the ticket goes to `resolve`. This is the hot path
   * of a switch: when 1,000 budgets run out together, their switches run one after another.
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
    const job = newRecord(ctx.label, status, owner, startedAt, ctx.progress);
    const local = new LocalJob(job.id, ctx, startedAt ?? Date.now(), status);
    this.traceJob(job, local);
    if (ctx.durable) this.makeDurable(job, local, ctx.durable);
    this.local.set(job.id, local);
    ctx.jobId = job.id;
    ctx.onReport = this.onReport;
    const stored = (): void => {
      local.stored = true;
      this.retention.start();
      this.events.created(job);
      then?.(local);
      resolve(makeTicket(job.id, status));
    };
    const failed = (e: unknown): void => {
      this.drop(local, 'refused');
      ctx.abort(new JobCancelledError('The job could not be stored'));
      reject(storeError(e, 'create a job'));
    };
    if (this.createNow) {
      try {
        this.createNow(job); // stored when it returns: the ticket goes out without a turn
      } catch (e) {
        failed(e);
        return local;
      }
      stored();
    } else {
      const lease = this.liveness?.lease();
      let create: Promise<void> | undefined;
      const refused = (e: unknown): void => {
        failed(e);
        if (create) this.withdraw(job.id, create);
      };
      local.afterCreate(this.storeCall('create a job', () => (create = this.store.create(job, lease))).then(stored, refused));
    }
    return local;
  }

  /**
   * A create that missed its deadline may still land: once it does, the record (whose caller was
   * refused and whose work was stopped) is made final at once, not left active until its lease
   * runs out. Writes are ordered per store connection, so this lands after the create.
   */
  private withdraw(id: string, create: Promise<void>): void {
    create
      .then(
        () =>
          this.storeCall('withdraw a job that was stored too late', () =>
            this.store.update(
              id,
              withdrawnPatch('The job store confirmed this job too late: its call was refused with STORE_UNAVAILABLE and its work stopped'),
              ACTIVE_STATUSES,
            ),
          ),
        () => undefined, // never stored
      )
      .catch((e: unknown) =>
        this.warn(`Job ${id} was stored after its call was refused and could not be withdrawn; its lease will expire`, e),
      );
  }

  /** Starts a pending job's work here; resolves whether it started (not when it was cancelled or claimed elsewhere first). */
  private async runPending<T>(local: LocalJob, work: () => Promise<T> | T): Promise<boolean> {
    try {
      const running = await this.writeStart(local);
      if (!running) {
        if (local.tracked) this.drop(local, 'cancelled'); // cancelled (or gone) before it started
        return false;
      }
      local.started = true;
      this.announce(running);
    } catch (e) {
      // The job is stored (pending); the start is written again before its outcome. Run it.
      this.warn(`Job ${local.id} could not be marked running; starting it anyway`, e);
    }
    this.start(local.ctx, work).then(
      (value) => this.settleSafely(local, 'completed', value),
      (error: unknown) => this.settleSafely(local, 'failed', error),
    );
    return true;
  }

  private settleSafely(local: LocalJob, outcome: 'completed' | 'failed', value: unknown): void {
    this.settle(local, outcome, value).catch((e: unknown) => this.warn(`Job ${local.id} could not be settled`, e)); // belt and braces
  }

  /**
   * Writes a job's outcome. Never rejects; retries while the store is unavailable. An outcome the
   * store refuses (the job was cancelled, went stale, or vanished meanwhile) is reported, never
   * written over a final state.
   */
  private async settle(local: LocalJob, outcome: 'completed' | 'failed', value: unknown): Promise<void> {
    if (local.fenced) return this.lateOutcome(local, outcome);
    if (!local.tracked) return; // cancelled: its record is final already
    // A durable run that threw with attempts left goes back to pending, due after its backoff.
    const run = local.durable;
    const retry = outcome === 'failed' && run !== undefined && retries(run, value, this.warn);
    const patch = retry ? retryPatch(run, value, isoTime(local.startedMs)) : outcomePatch(outcome, value, local.ctx.progress);
    for (let attempt = 0; local.tracked; attempt++) {
      try {
        if (!local.started) {
          if (await this.writeStart(local)) local.started = true;
        }
        const job = local.started
          ? await local.enqueue(() =>
              this.storeCall('store a job outcome', () => this.store.update(local.id, patch, expectOf(run, RUNNING))),
            )
          : undefined;
        if (job) {
          this.drop(local, job.status, outcome === 'failed' ? value : undefined);
          if (retry && job.run_at) this.claimer?.pokeAt(Date.parse(job.run_at));
          return this.announce(job);
        }
        if (!local.tracked) break; // cancelled, fenced or given up meanwhile
        // Refused: the record is final (cancelled or marked stale elsewhere), gone, or still pending.
        const current = await this.storeCall('read a job', () => this.store.get(local.id));
        if (!local.tracked) break;
        if (current === undefined) {
          this.drop(local, 'lost');
          this.warn(`Job ${local.id} ${outcome} but its record is gone from the store (deleted or lost); the outcome is not stored`, value);
          return this.events.lost(local.id, new JobNotFoundError(local.id));
        }
        if (isFinal(current.status)) {
          if (current.status === 'stale') return this.fence(local, current, outcome);
          this.drop(local, current.status);
          return this.announce(current);
        }
        // A durable run whose record moved on (requeued after a lost lease, claimed elsewhere) is over here.
        if (run && (current.attempt !== run.attempt || (local.started && current.status === 'pending')))
          return this.fence(local, current, outcome);
        local.started = current.status === 'running';
        await sleep(Math.min(5000, 100 * 2 ** attempt)); // a store that keeps refusing is not hammered
      } catch (e) {
        if (!local.tracked) break;
        if (attempt === 0) this.warn(`Job ${local.id} settled but its outcome could not be stored yet; retrying`, e);
        await sleep(Math.min(5000, 100 * 2 ** attempt));
      }
    }
    if (local.fenced) this.lateOutcome(local, outcome);
  }

  /**
   * pending → running, queued behind the job's other writes; `undefined` when refused (cancelled,
   * gone, or for a durable job claimed elsewhere first). A durable job starts its first attempt.
   */
  private writeStart(local: LocalJob): Promise<JobRecord | undefined> {
    const run = local.durable;
    if (run && run.attempt === 0) run.attempt = 1;
    const patch = run ? { ...startPatch(), attempt: run.attempt, run_at: null } : startPatch();
    return local.enqueue(() =>
      this.storeCall('start a job', () =>
        this.store.update(local.id, patch, run ? { statuses: PENDING, attempt: run.attempt - 1 } : PENDING),
      ),
    );
  }

  /**
   * A durable call's record carries the call as data and its attempts (its first is this call's:
   * running at the switch, or about to start here in async mode — other managers leave it a lease's
   * length before they may claim it); its steps so far go with it, and later steps are stored.
   */
  private makeDurable(job: JobRecord, local: LocalJob, launch: DurableLaunch): void {
    const pending = job.status === 'pending';
    job.call = launch.call;
    job.attempt = pending ? 0 : 1;
    job.max_attempts = launch.attempts;
    job.run_at = pending ? isoTime(Date.now() + (this.liveness?.leaseMs ?? 0)) : null;
    job.history = [];
    if (local.ctx.steps && Object.keys(local.ctx.steps).length > 0) job.steps = { ...local.ctx.steps };
    local.durable = { attempt: job.attempt, maxAttempts: launch.attempts, backoff: launch.backoff, retryOn: launch.retryOn, history: [] };
    local.ctx.saveStep = this.saveStep;
  }

  /** Stores a durable job's completed steps (the step returns once they are stored). */
  private readonly saveStep = async (ctx: RunContext): Promise<void> => {
    const local = ctx.jobId === undefined ? undefined : this.local.get(ctx.jobId);
    if (!local || !local.stored || local.ctx !== ctx) return; // before the switch: carried into the record then
    const saved = await local.enqueue(() =>
      this.storeCall('store a step', () => this.store.update(local.id, { steps: { ...ctx.steps } }, expectOf(local.durable, RUNNING))),
    );
    if (!saved && local.tracked) throw new StaleJobError(`Job ${local.id}'s step could not be stored: its run is no longer current`);
  };

  /** Runs a durable job this manager claimed: its method, on an instance of its class, as its next attempt. */
  private runClaimed(job: JobRecord): void {
    const target = job.call && findTarget(job.call.target);
    const launch =
      target && job.call
        ? { call: job.call, attempts: job.max_attempts ?? 1, backoff: target.backoff, retryOn: target.retryOn }
        : undefined;
    const ctx = new RunContext(job.label, undefined, launch, job.steps);
    const local = new LocalJob(job.id, ctx, job.started_at ? Date.parse(job.started_at) : Date.now(), 'running');
    const traced = this.telemetry.claimed(job.label, job.id, job.attempt ?? 1, job.trace?.traceparent);
    local.jobTrace = traced.trace;
    this.telemetry.active('running', 1);
    this.log.transition(
      { jobId: job.id, label: job.label, attempt: job.attempt, status: 'running' },
      'smart-async job claimed: attempt started',
    );
    local.stored = true;
    local.durable = runOf(job, target ?? { backoff: DEFAULT_BACKOFF, retryOn: undefined });
    ctx.jobId = job.id;
    ctx.onReport = this.onReport;
    ctx.saveStep = this.saveStep;
    this.local.set(job.id, local);
    this.announce(job);
    const ticket = this.admission?.take(job.owner); // claims never take more than the free slots
    const run = (): unknown => {
      if (!target) throw new SmartAsyncConfigError(`No method of this process is named \`${job.call?.target}\``);
      const self = target.isStatic ? target.cls : (this.config.resolveInstance ?? defaultInstance)(target.cls);
      return target.method.apply(self, job.call!.args);
    };
    this.start(ctx, ticket ? holding(run, ticket) : run, traced.context).then(
      (value) => this.settleSafely(local, 'completed', value),
      (error: unknown) => this.settleSafely(local, 'failed', error),
    );
  }

  private lateOutcome(local: LocalJob, outcome: string): void {
    this.warn(
      `Job ${local.id} ${outcome} after it was taken from this process (${local.fenced!.message}); its late outcome is not written`,
    );
  }

  /**
   * The store says a job running here went stale (its lease expired: a partition, a blocked event
   * loop): this process no longer answers for it. Its work is aborted with `JOB_STALE` and what
   * it does later is not written (fencing).
   */
  private fence(local: LocalJob, job: JobRecord, outcome?: string): void {
    const reason = new StaleJobError(job.error?.message ?? 'The job went stale');
    local.fenced = reason;
    this.drop(local, 'stale');
    local.ctx.abort(reason);
    if (outcome) this.lateOutcome(local, outcome);
    else
      this.warn(
        `Job ${job.id} went stale while its work ran here (${reason.message}); the work was told to stop and its outcome will not be written`,
      );
    this.announce(job);
  }

  /** A job running here became final elsewhere (cancelled, stale): stop its work. */
  private takeBack(job: JobRecord): void {
    const local = this.local.get(job.id);
    if (!local) return;
    if (job.status === 'stale') return this.fence(local, job);
    this.drop(local, job.status);
    local.ctx.abort(new JobCancelledError(job.error?.message ?? 'Job cancelled'));
  }

  /** A renewal found a job running here no longer active in the store. */
  private async onLeaseLost(id: string): Promise<void> {
    const local = this.local.get(id);
    if (!local) return;
    const job = await this.storeCall('read a job', () => this.store.get(id)).catch(() => undefined);
    // Gone: the work goes on, and its settle reports the loss to the waiters.
    if (job && this.local.get(id) === local) this.observeExternal(job);
  }

  /** A change made elsewhere (store notifications, lease sweeps). */
  private observeExternal(job: JobRecord): void {
    if (isFinal(job.status)) this.takeBack(job);
    else if (this.runMovedOn(job)) this.fence(this.local.get(job.id)!, job);
    if (job.status === 'pending' && job.call) this.claimer?.pokeAt(job.run_at ? Date.parse(job.run_at) : Date.now());
    this.announce(job);
  }

  /** Whether a durable job running here was taken from this run (requeued after a lost lease, claimed elsewhere). */
  private runMovedOn(job: JobRecord): boolean {
    const run = this.local.get(job.id)?.durable;
    return run !== undefined && run.attempt > 0 && (job.attempt !== run.attempt || job.status === 'pending');
  }

  /** Announces a change (a settle once per job) and lets retention know. */
  private announce(job: JobRecord): void {
    if (this.events.observe(job)) this.retention.noteSettled();
  }

  private drop(local: LocalJob, status = 'ended', error?: unknown): void {
    if (this.local.get(local.id) === local) this.local.delete(local.id);
    if (local.tracked) {
      local.jobTrace?.end(status, error);
      this.telemetry.active(local.started ? 'running' : 'pending', -1);
      this.log.transition(
        { jobId: local.id, label: local.ctx.label, attempt: local.durable?.attempt, status },
        `smart-async job ${status}`,
      );
    }
    local.untrack();
  }

  /** A job made of a call here: its first attempt's span (a child of the call span), its trace context in the record. */
  private traceJob(job: JobRecord, local: LocalJob): void {
    const trace = local.ctx.trace;
    if (trace) {
      local.jobTrace = trace.switched(job.id, 1);
      job.trace = { traceparent: trace.traceparent() };
    }
    this.telemetry.active(job.status === 'running' ? 'running' : 'pending', 1);
    this.log.transition(
      { jobId: job.id, label: job.label, attempt: job.attempt, status: job.status },
      `smart-async job ${job.status === 'running' ? 'switched to the background' : 'created'}`,
    );
  }

  /** Called by a job's context after each progress report: one function for every job. */
  private readonly onReport = (ctx: RunContext): void => {
    const local = ctx.jobId === undefined ? undefined : this.local.get(ctx.jobId);
    if (local?.ctx === ctx) local.scheduleProgress(this.config.progressIntervalMs, this.writeProgress);
  };

  private readonly writeProgress = (local: LocalJob): void => {
    local
      .enqueue(() =>
        this.storeCall('store progress', () =>
          this.store.update(local.id, { progress: local.ctx.progress }, expectOf(local.durable, ACTIVE_STATUSES)),
        ),
      )
      .then(
        (job) => {
          this.progressFailing = false;
          if (job) this.announce(job);
        },
        (e: unknown) => {
          if (!this.progressFailing)
            this.warn(`Progress could not be stored (job ${local.id}; reported once until a progress write succeeds)`, e);
          this.progressFailing = true;
        },
      );
  };

  private async shutdown(): Promise<void> {
    await this.claimer?.stop(); // no new work from the queue
    this.telemetry.stop();
    const grace = Array.from(this.local.values(), (j) => j.done());
    if (grace.length > 0) {
      let t: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(grace), new Promise((r) => (t = setTimeout(r, timerDelay(this.config.closeGraceMs))))]);
      clearTimeout(t);
    }
    this.liveness?.stop();
    // Work still going after the grace period: a durable job is handed back (pending, due now, the
    // attempt not counted) for another process to claim; any other becomes stale. Either way the
    // work is told to stop and what it does later is not written.
    const marks = Array.from(this.local.values(), async (local) => {
      const run = local.durable;
      const handBack = run !== undefined && run.attempt > 0 && local.started;
      const reason = handBack ? new JobHandedBackError() : new StaleJobError('The process shut down before the job settled');
      const patch = handBack ? handBackPatch(run) : stalePatch(reason.message);
      // Stopped first, written after: what the work does once told to stop is never written.
      local.fenced = reason;
      local.ctx.abort(reason);
      const marked = await local
        .enqueue(() => this.storeCall('mark a job at close', () => this.store.update(local.id, patch, expectOf(run, ACTIVE_STATUSES))))
        .catch((e: unknown) => this.warn(`Could not ${handBack ? 'hand back' : 'mark stale'} job ${local.id} at close`, e));
      this.drop(local, handBack ? 'handed back' : 'stale');
      if (marked) this.announce(marked); // listeners and waiters hear of it too
    });
    const rest = Promise.all(marks)
      .then(() => this.retention.stop())
      .then(() => {
        this.unwatch?.();
        return this.store.close();
      });
    let t: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((r) => (t = setTimeout(() => r('late'), timerDelay(this.config.storeTimeoutMs))));
    const outcome = await Promise.race([rest.then(() => 'ok' as const), late]).catch((e: unknown) =>
      this.warn('The job store could not be closed', e),
    );
    clearTimeout(t);
    if (outcome === 'late') this.warn(`The job store did not close within ${this.config.storeTimeoutMs} ms`);
  }

  /** Problems no caller can see (listener errors, failed background writes) go to `onWarning`. */
  private readonly warn = (message: string, e?: unknown): void => {
    const text = e === undefined ? message : `${message}: ${toJobError(e).message}`;
    this.log.warn(message, e, text); // the logger's warn, else onWarning (made safe by the config's schema)
  };

  /** Every store call goes through here: with a deadline (`storeTimeoutMs` unless shorter), unless the store is in-process. */
  private readonly storeCall = <T>(what: string, op: () => Promise<T>, deadlineMs: number = this.config.storeTimeoutMs): Promise<T> =>
    this.telemetry.store(what, this.inProcess ? op() : withDeadline(op, deadlineMs, what));

  /**
   * A read for a caller: after the first lease sweep (so jobs of dead processes read as stale),
   * the sweep and the read sharing one deadline, so no call outlives it.
   */
  private async read<T>(what: string, op: () => Promise<T>, deadlineMs?: number): Promise<T> {
    const sweep = this.firstSweep;
    try {
      return await this.storeCall(what, sweep ? () => sweep.then(op) : op, deadlineMs);
    } catch (e) {
      throw storeError(e, what);
    }
  }

  private async mustGet(id: string, opts: OwnerOptions, deadlineMs?: number): Promise<JobRecord> {
    const job = await this.getWithin(id, opts, deadlineMs);
    if (!job) throw new JobNotFoundError(String(id));
    return job;
  }
}

// DI wiring without decorator syntax, so the library compiles the same under legacy and
// standard decorators: the constructor's two parameters come from optional tokens, and the
// class is a singleton of the global container (a child container may register its own).
inject(JOB_STORE, { isOptional: true })(JobManager, undefined, 0);
inject(SMART_ASYNC_CONFIG, { isOptional: true })(JobManager, undefined, 1);
singleton()(JobManager);
