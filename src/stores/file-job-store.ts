import { randomBytes } from 'node:crypto';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { SmartAsyncError, StoreCorruptError, StoreUnavailableError } from '../common/errors';
import { isoTime } from '../common/clock';
import { applyPatch, canApply, claimPatch, expiryPatch, isActive } from '../job/lifecycle';
import { emitSmartAsyncWarning, parseOrThrow, warningSinkSchema } from '../common/validation';
import type { JobExpect, JobPatch, JobRecord, JobStatus } from '../job/types';
import { CompactionPolicy } from './file/compaction';
import { FileLock } from './file/file-lock';
import { GroupCommit } from './file/group-commit';
import { JobLog } from './file/job-log';
import { Runners } from './file/runners';
import { isClaimable, JobIndex, pickClaims } from './job-index';
import { holdsScope, notifyWatchers, type JobLease, type JobQuery, type JobStore, type PruneQuery } from './job-store';
import { parseJobRecord } from '../job/record-schema';

/** Options of `new FileJobStore()`. */
export interface FileJobStoreOptions {
  /** Directory of the store (created with mode 0700). Holds `jobs.jsonl`, a lock file and `runners/`. */
  path: string;
  /** fsync every write before it is acknowledged. Off: survives a process crash, not a power cut. @default true */
  fsync?: boolean;
  /** How long a write may wait for another process's lock. @default 10000 */
  lockTimeoutMs?: number;
  /**
   * How long a JobManager may go silent (not renew its lease) before its jobs are marked stale.
   * A process that is gone is noticed sooner, by its pid. @default 30000
   */
  leaseMs?: number;
  /** How often changes made by other processes are looked for while someone watches. @default 200 */
  watchIntervalMs?: number;
  /** The log is compacted once larger than this and twice its live records. @default 1048576 */
  compactMinBytes?: number;
  /** Receives recoveries (torn tail, corrupt lines kept aside). @default process.emitWarning */
  onWarning?: (message: string, error?: unknown) => void;
}

const optionsSchema = z
  .object({
    path: z.string().min(1),
    fsync: z.boolean().optional(),
    lockTimeoutMs: z.number().positive().optional(),
    leaseMs: z
      .number()
      .int()
      .min(100)
      .max(2 ** 31 - 1)
      .optional(),
    watchIntervalMs: z.number().positive().finite().optional(),
    compactMinBytes: z.number().int().nonnegative().optional(),
    onWarning: warningSinkSchema.optional(),
  })
  .strict();

/** One line of the log. `by`: the runner (process) that wrote it; `run`: the runner whose job it is. */
const lineSchema = z.union([
  z.object({ op: z.literal('put'), by: z.string(), run: z.string(), job: z.unknown() }),
  z.object({ op: z.literal('del'), ids: z.array(z.string()) }),
]);

/**
 * What the store keeps in its directory: the log and what it sets aside (`jobs.jsonl.*`), the lock
 * (and a lock being broken, `jobs.lock.*`), `runners/`. Hidden files (`.gitkeep`) are let be.
 */
const isStoreEntry = (name: string): boolean =>
  name === 'jobs.jsonl' ||
  name === 'jobs.lock' ||
  name === 'runners' ||
  name.startsWith('jobs.jsonl.') ||
  name.startsWith('jobs.lock.') ||
  name.startsWith('.');

const errnoOf = (e: unknown): string | undefined => {
  const err = e as { code?: unknown; cause?: { code?: unknown } };
  const code = typeof err?.cause?.code === 'string' ? err.cause.code : err?.code;
  return typeof code === 'string' ? code : undefined;
};

/** A write, applied in a batch under the lock. */
type Op =
  | { kind: 'create'; job: JobRecord; runner: string | undefined }
  | { kind: 'update'; id: string; patch: JobPatch; expect?: JobExpect }
  | { kind: 'claim'; targets: ReadonlySet<string>; limit: number; runner: string; now: number }
  | { kind: 'reserve'; job: JobRecord; runner: string | undefined; ttlMs: number; now: number }
  | { kind: 'delete'; ids: string[] }
  | { kind: 'expire'; now: number; patch: JobPatch; limit: number };

/**
 * Jobs in an append-only JSON-lines log on this machine's disk: they survive restarts and
 * crashes, and several processes may share one directory.
 *
 * - Every change appends the whole record as one line; concurrent changes are written together
 *   (one write and one fsync per batch), so a launch costs the same with 10 or 100,000 jobs.
 *   A ticket is handed out only after its job's line is fsync'd.
 * - Processes sharing the directory take a short lock per batch, read each other's lines before
 *   answering, and so see each other's jobs; `watch` reports other processes' changes.
 * - Leases: each JobManager's runner file in `runners/` says until when it vouches for its jobs;
 *   jobs of a runner whose lease expired, or whose process is gone (pid check), are marked
 *   `stale` by the next sweep of any manager sharing the directory.
 * - A torn last line (a kill mid-write) is cut off; corrupt lines are reported, the file is kept
 *   aside as `jobs.jsonl.corrupt-<time>`, and every valid record is kept.
 * - The log is compacted (written anew and renamed over, atomically) once mostly garbage.
 *
 * @example
 * container.register(JOB_STORE, { useValue: new FileJobStore({ path: './var/jobs' }) });
 */
export class FileJobStore implements JobStore {
  readonly kind = 'file';
  /** The store's directory (absolute). */
  readonly path: string;
  /** How long a manager may go silent before its jobs are stale. */
  readonly leaseMs: number;
  /** Who wrote a line (this store instance; its own lines are not echoed to its watchers). */
  private readonly writer = `${process.pid}-${randomBytes(6).toString('hex')}`;
  private readonly opts: Required<Omit<FileJobStoreOptions, 'onWarning'>> & Pick<FileJobStoreOptions, 'onWarning'>;
  private readonly log: JobLog;
  private readonly lock: FileLock;
  private readonly commits: GroupCommit<Op>;
  private readonly compaction: CompactionPolicy;
  private readonly runnerFiles: Runners;
  /** Runners whose file this store has written (or is writing), with the lease expiry written. */
  private readonly ownRunners = new Map<string, { written: Promise<void>; expiresAt: number }>();
  private readonly index = new JobIndex();
  /** Idempotency scopes and the job holding each (the last one put). */
  private readonly scopes = new Map<string, string>();
  /** Which runner (JobManager) runs each active job (final jobs need none). */
  private readonly runners = new Map<string, string>();
  private reloadNeeded = false;
  private readonly ready: Promise<void>;
  private reading: Promise<unknown> = Promise.resolve();
  private readonly watchers = new Set<(job: JobRecord) => void>();
  private watchTimer: NodeJS.Timeout | undefined;
  private closed = false;

  /**
   * @throws SmartAsyncConfigError when an option is invalid. Opening happens in the background;
   * its failure (`STORE_UNAVAILABLE`) is the answer of every call.
   */
  constructor(options: FileJobStoreOptions) {
    const o = parseOrThrow(optionsSchema, options, 'FileJobStore');
    this.opts = { fsync: true, lockTimeoutMs: 10_000, leaseMs: 30_000, watchIntervalMs: 200, compactMinBytes: 1 << 20, ...o };
    this.leaseMs = this.opts.leaseMs;
    this.path = resolve(o.path);
    this.log = new JobLog(join(this.path, 'jobs.jsonl'));
    this.lock = new FileLock(join(this.path, 'jobs.lock'), this.opts.lockTimeoutMs);
    this.runnerFiles = new Runners(join(this.path, 'runners'));
    this.compaction = new CompactionPolicy(this.opts.compactMinBytes);
    this.commits = new GroupCommit<Op>(
      async (batch) => {
        await this.ready;
        if (!this.log.isOpen) throw new StoreUnavailableError(`FileJobStore ${this.path} is closed`);
        return this.serial(() => this.lock.with(() => this.writeBatch(batch)));
      },
      (e) => {
        this.reloadNeeded = true; // the index may hold changes that did not reach the disk
        return e instanceof SmartAsyncError
          ? e
          : new StoreUnavailableError(`FileJobStore ${this.path} could not write: ${(e as Error).message}`, { cause: e });
      },
    );
    this.ready = this.open();
    this.ready.catch(() => undefined); // reported by every call instead
  }

  // ---- JobStore ---------------------------------------------------------------------------

  async create(job: JobRecord, lease?: JobLease): Promise<void> {
    if (lease) await this.ensureRunner(lease);
    const created = await this.commits.submit<JobRecord | undefined>({
      kind: 'create',
      job: Object.freeze({ ...job }),
      runner: lease?.runner,
    });
    if (!created) throw new StoreCorruptError(`Job \`${job.id}\` already exists in ${this.log.path}`);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    await this.fresh();
    return this.index.get(id);
  }

  update(id: string, patch: JobPatch, expect?: JobExpect): Promise<JobRecord | undefined> {
    return this.commits.submit<JobRecord | undefined>({ kind: 'update', id, patch, expect });
  }

  async list(query?: JobQuery): Promise<JobRecord[]> {
    await this.fresh();
    return this.index.list(query);
  }

  async prune(query: PruneQuery): Promise<number> {
    await this.fresh();
    const ids = this.index.prunable(query);
    return ids.length === 0 ? 0 : this.commits.submit<number>({ kind: 'delete', ids });
  }

  async counts(): Promise<Record<JobStatus, number>> {
    await this.fresh();
    return this.index.counts();
  }

  watch(listener: (job: JobRecord) => void): () => void {
    this.watchers.add(listener);
    if (!this.watchTimer && !this.closed) {
      this.watchTimer = setInterval(() => void this.fresh().catch(() => undefined), this.opts.watchIntervalMs);
      this.watchTimer.unref();
    }
    return () => {
      this.watchers.delete(listener);
      if (this.watchers.size === 0) {
        clearInterval(this.watchTimer);
        this.watchTimer = undefined;
      }
    };
  }

  /** Writes what is queued and releases the files. Jobs stay on disk. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ready.catch(() => undefined);
    clearInterval(this.watchTimer);
    await this.commits.idle();
    await this.serial(() => this.log.close());
  }

  async renewLeases(runner: string, ids: readonly string[], expiresAt: number): Promise<string[]> {
    await this.ready;
    await this.runnerFiles.renew(runner, expiresAt);
    this.ownRunners.set(runner, { written: Promise.resolve(), expiresAt });
    await this.fresh();
    return ids.filter((id) => {
      const job = this.index.get(id);
      return !job || !isActive(job.status) || isClaimable(job); // a job waiting for a claim holds no lease
    });
  }

  expireLeases(now: number, patch: JobPatch, limit: number): Promise<JobRecord[]> {
    return this.commits.submit<JobRecord[]>({ kind: 'expire', now, patch, limit });
  }

  async reserve(job: JobRecord, lease: JobLease | undefined, ttlMs: number, now: number): Promise<{ job: JobRecord; created: boolean }> {
    if (lease) await this.ensureRunner(lease);
    return this.commits.submit<{ job: JobRecord; created: boolean }>({
      kind: 'reserve',
      job: Object.freeze({ ...job }),
      runner: lease?.runner,
      ttlMs,
      now,
    });
  }

  async claim(targets: readonly string[], limit: number, lease: JobLease, now: number): Promise<JobRecord[]> {
    await this.ensureRunner(lease);
    return this.commits.submit<JobRecord[]>({ kind: 'claim', targets: new Set(targets), limit, runner: lease.runner, now });
  }

  /**
   * A runner's file vouches for a new job before the line that names it: it exists (so no one
   * takes the runner for dead) and its lease is fresh. A manager idle longer than its lease
   * renews nothing meanwhile, so the file is written again when its lease has run half out.
   */
  private ensureRunner(lease: JobLease): Promise<void> {
    const own = this.ownRunners.get(lease.runner);
    if (own && own.expiresAt - Date.now() > this.leaseMs / 2) return own.written;
    const written = this.ready.then(() => this.runnerFiles.renew(lease.runner, lease.expiresAt));
    const entry = { written, expiresAt: lease.expiresAt };
    this.ownRunners.set(lease.runner, entry);
    written.catch(() => {
      if (this.ownRunners.get(lease.runner) === entry) this.ownRunners.delete(lease.runner);
    });
    return written;
  }

  // ---- opening and reading -----------------------------------------------------------------

  private async open(): Promise<void> {
    try {
      await this.checkDirectory();
      await mkdir(join(this.path, 'runners'), { recursive: true, mode: 0o700 });
      try {
        await this.lock.with(async () => {
          await this.reopen();
          await this.repairTail();
          await this.readNew(true);
        });
      } catch (e) {
        if (errnoOf(e) !== 'EROFS') throw e;
        // A read-only file system: jobs can be read (status, list, wait), not written.
        this.log.readOnly = true;
        await this.reopen();
        await this.readNew(false);
        this.warn(`FileJobStore ${this.path} is on a read-only file system: opened for reading only`);
      }
    } catch (e) {
      throw e instanceof SmartAsyncError
        ? e
        : new StoreUnavailableError(`Cannot open file job store at ${this.path}: ${(e as Error).message}`, { cause: e });
    }
  }

  /**
   * The path must be a directory the store may own: something else there (a seed-era
   * `jobs.json`, any file) is `STORE_CORRUPT` and left exactly as it was; a directory others may
   * write into is refused (they could plant links the store would otherwise follow).
   */
  private async checkDirectory(): Promise<void> {
    let st;
    try {
      st = await stat(this.path); // the store's own path may be a link to its directory; nothing inside is followed
    } catch (e) {
      if (errnoOf(e) === 'ENOENT') return; // created next, 0700
      throw e;
    }
    if (!st.isDirectory()) {
      throw new StoreCorruptError(
        `FileJobStore path ${this.path} is not a store directory (it is ${st.isFile() ? 'a regular file' : 'not a directory'}); it was left exactly as it was. Give the store a directory of its own.`,
      );
    }
    if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) {
      throw new StoreUnavailableError(
        `FileJobStore directory ${this.path} is writable by other users (mode ${(st.mode & 0o777).toString(8)}); make it 0700 or 0755`,
      );
    }
    const foreign = (await readdir(this.path)).find((name) => !isStoreEntry(name));
    if (foreign !== undefined) {
      throw new StoreCorruptError(
        `FileJobStore path ${this.path} is not a store directory: it holds ${JSON.stringify(foreign.slice(0, 100))}, which is not the store's; it was left exactly as it was. Give the store a directory of its own.`,
      );
    }
  }

  /** (Re)opens the log and forgets everything read from the previous file. */
  private async reopen(): Promise<void> {
    await this.log.open();
    this.index.clear();
    this.runners.clear();
    this.scopes.clear();
    this.compaction.reset();
    this.reloadNeeded = false;
  }

  /** Under the lock: repairs a last line that a killed writer left unfinished (completed if whole, else kept aside). */
  private async repairTail(): Promise<void> {
    const r = await this.log.repairTail((text) => this.isWholeLine(text));
    if (r.outcome === 'completed') {
      this.warn(
        `FileJobStore ${this.log.path}: the last line was whole but missing its newline (a writer stopped right before it); kept, newline added`,
      );
    } else if (r.outcome === 'kept-aside') {
      this.warn(
        `FileJobStore ${this.log.path}: an unfinished last line (${r.bytes} bytes) left by a writer that stopped mid-write was cut off and kept at ${r.aside}`,
      );
    }
  }

  /** Whether a text is one valid log line. */
  private isWholeLine(text: string): boolean {
    try {
      const line = lineSchema.parse(JSON.parse(text));
      if (line.op === 'put') parseJobRecord(line.job, this.log.path);
      return true;
    } catch {
      return false;
    }
  }

  /** Brings the index up to date with the log (other processes' lines included). */
  private async fresh(): Promise<void> {
    await this.ready;
    await this.serial(async () => {
      if (!this.log.isOpen) throw new StoreUnavailableError(`FileJobStore ${this.path} is closed`);
      await this.readNew(false);
    });
  }

  /** Runs `fn` alone among this store's reads and writes (the index and file position are shared). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.reading.then(fn);
    this.reading = run.catch(() => undefined);
    return run;
  }

  /**
   * Reads what was appended since the last read (or everything, after a compaction by another
   * process) and applies it. `locked`: no one else writes now, so corrupt lines can be dealt with.
   */
  private async readNew(locked: boolean): Promise<void> {
    const { size, replaced } = await this.log.probe();
    if (replaced || this.reloadNeeded) {
      const before = new Map(Array.from(this.index.values(), (j) => [j.id, j.updated_at]));
      await this.reopen();
      return this.apply(await this.log.readLines(size), locked, (job) => before.get(job.id) !== job.updated_at);
    }
    if (size > this.log.offset) await this.apply(await this.log.readLines(size), locked, () => true);
  }

  private async apply(lines: Array<{ text: string; at: number }>, locked: boolean, changed: (job: JobRecord) => boolean): Promise<void> {
    const bad: string[] = [];
    for (const { text, at } of lines) {
      try {
        this.applyLine(JSON.parse(text), text.length + 1, changed);
      } catch (e) {
        bad.push(`line at byte ${at}: ${(e as Error).message}`);
      }
    }
    if (bad.length > 0) await this.quarantine(bad, locked);
  }

  private applyLine(value: unknown, bytes: number, changed: (job: JobRecord) => boolean): void {
    const line = value as { op?: unknown; by?: unknown; run?: unknown; job?: unknown };
    // The common line is checked by hand and its record by zod; anything else must pass the full line schema.
    if (line?.op !== 'put' || typeof line.by !== 'string' || typeof line.run !== 'string') {
      const other = lineSchema.parse(value);
      if (other.op === 'del') for (const id of other.ids) this.forget(id);
      return;
    }
    const job = parseJobRecord(line.job, this.log.path);
    this.keep(job, line.run);
    this.compaction.account(bytes);
    if (line.by !== this.writer && changed(job)) this.notify(job);
  }

  /** Corrupt lines: keep the file aside, say so, and (under the lock) write a clean log. */
  private async quarantine(bad: string[], locked: boolean): Promise<void> {
    if (!locked) {
      // Another process may be writing; it (or the next start) will repair under the lock.
      this.reloadNeeded = true;
      return;
    }
    const aside = await this.log.keepAside('corrupt');
    this.warn(
      new StoreCorruptError(
        `FileJobStore ${this.log.path}: ${bad.length} corrupt line(s) skipped, every valid record kept; the file as found is kept at ${aside}. First: ${bad[0]}`,
      ).message,
    );
    await this.compact();
  }

  /** A record read or written: into the index, with its runner and the idempotency scope it holds (the newest put). */
  private keep(job: JobRecord, runner: string): void {
    this.setRunner(job, runner);
    this.index.put(job);
    const scope = job.idempotency?.scope;
    if (scope !== undefined) this.scopes.set(scope, job.id);
  }

  /** Which runner vouches for a job: one per leased job (active, except durable jobs waiting for a claim). */
  private setRunner(job: JobRecord, runner: string): void {
    if (isActive(job.status) && !isClaimable(job)) this.runners.set(job.id, runner);
    else this.runners.delete(job.id);
  }

  private forget(id: string): void {
    const scope = this.index.get(id)?.idempotency?.scope;
    if (scope !== undefined && this.scopes.get(scope) === id) this.scopes.delete(scope);
    this.index.remove(id);
    this.runners.delete(id);
  }

  // ---- writing -----------------------------------------------------------------------------

  /** Under the lock: applies a batch to the index and appends its lines with one write. */
  private async writeBatch(batch: Op[]): Promise<unknown[]> {
    if (this.log.readOnly)
      throw new StoreUnavailableError(`FileJobStore ${this.path} is on a read-only file system: jobs cannot be written`);
    await this.readNew(true);
    const expiring = batch.some((op) => op.kind === 'expire') ? await this.deadRunners() : undefined;
    await this.repairTail(); // a writer killed mid-line since our last read
    const lines: string[] = [];
    const put = (job: JobRecord, runner?: string): void => {
      const run = runner ?? this.runners.get(job.id) ?? this.writer;
      const text = JSON.stringify({ op: 'put', by: this.writer, run, job });
      lines.push(text);
      this.keep(job, run);
      this.compaction.account(text.length + 1);
    };
    const results = batch.map((op): unknown => {
      switch (op.kind) {
        case 'create':
          if (this.index.get(op.job.id)) return undefined;
          put(op.job, op.runner);
          return op.job;
        case 'update': {
          const cur = this.index.get(op.id);
          if (!cur || !canApply(cur, op.patch, op.expect)) return undefined;
          const next = applyPatch(cur, op.patch);
          put(next);
          return next;
        }
        case 'delete': {
          const ids = op.ids.filter((id) => this.index.get(id));
          if (ids.length > 0) lines.push(JSON.stringify({ op: 'del', ids }));
          ids.forEach((id) => this.forget(id));
          return ids.length;
        }
        case 'expire': {
          const out: JobRecord[] = [];
          const at = isoTime(op.now);
          for (const job of this.index.values()) {
            if (out.length >= op.limit) break;
            const runner = this.runners.get(job.id);
            if (runner === undefined || !isActive(job.status) || !expiring!.dead.has(runner)) continue;
            const patch = expiryPatch(job, op.patch, at);
            if (!canApply(job, patch)) continue;
            const next = applyPatch(job, patch);
            put(next);
            out.push(next);
          }
          return out;
        }
        case 'reserve': {
          const scope = op.job.idempotency?.scope;
          const held = scope === undefined ? undefined : this.index.get(this.scopes.get(scope) ?? '');
          if (held && holdsScope(held, op.ttlMs, op.now)) return { job: held, created: false };
          if (this.index.get(op.job.id)) throw new StoreCorruptError(`Job \`${op.job.id}\` already exists in ${this.log.path}`);
          put(op.job, op.runner);
          return { job: op.job, created: true };
        }
        case 'claim': {
          const at = isoTime(op.now);
          return pickClaims(this.index.claimable(), op.targets, op.limit, op.now).map((job) => {
            const next = applyPatch(job, claimPatch(job, at));
            put(next, op.runner);
            return next;
          });
        }
      }
    });
    await this.log.append(lines, this.opts.fsync);
    if (expiring) {
      const inUse = new Set(this.runners.values());
      await this.runnerFiles.removeDead(Array.from(expiring.gone).filter((r) => !inUse.has(r)));
    }
    // The batch is durable from here: a compaction that fails (a full disk) is reported, and the
    // log stays as it is, whole.
    if (this.compaction.due(this.log.offset, this.index.size)) {
      await this.compact().catch((e: unknown) =>
        this.warn(`FileJobStore ${this.log.path}: compaction failed, the log is kept as it is: ${(e as Error).message}`, e),
      );
    }
    return results;
  }

  /** Under the lock: writes the live records to a new file and renames it over the log. */
  private async compact(): Promise<void> {
    await this.log.rewrite(this.liveLines());
  }

  /** The log's lines for the live records, one per job. */
  private *liveLines(): Generator<string> {
    for (const job of this.index.values()) {
      const run = this.runners.get(job.id) ?? this.writer;
      yield JSON.stringify({ op: 'put', by: run, run, job });
    }
  }

  // ---- liveness ----------------------------------------------------------------------------

  /** Under the lock: runners (of active jobs, or with a file) that no longer vouch for their jobs, and which of them are gone. */
  private async deadRunners(): Promise<{ dead: Set<string>; gone: Set<string> }> {
    await this.runnerFiles.refresh();
    const now = Date.now();
    const dead = new Set<string>();
    const gone = new Set<string>();
    for (const runner of new Set([...this.runners.values(), ...this.runnerFiles.names()])) {
      const state = await this.runnerFiles.state(runner, now);
      if (state !== 'alive') dead.add(runner);
      if (state === 'gone') gone.add(runner);
    }
    return { dead, gone };
  }

  private notify(job: JobRecord): void {
    notifyWatchers(this.watchers, job);
  }

  private warn(message: string, error?: unknown): void {
    (this.opts.onWarning ?? emitSmartAsyncWarning)(message, error);
  }
}
