import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { SmartAsyncError, StoreCorruptError, StoreUnavailableError } from '../errors';
import { applyPatch, canApply, isActive } from '../lifecycle';
import { emitSmartAsyncWarning, parseOrThrow, warningSinkSchema } from '../options';
import type { JobPatch, JobRecord, JobStatus } from '../types';
import { FileLock } from './file/file-lock';
import { Runners } from './file/runners';
import { JobIndex } from './job-index';
import { notifyWatchers, type JobLease, type JobQuery, type JobStore, type PruneQuery } from './job-store';
import { parseJobRecord } from './record-schema';

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
    leaseMs: z.number().int().min(100).max(2 ** 31 - 1).optional(),
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

type Op =
  | { kind: 'create'; job: JobRecord; runner: string | undefined; done: (r: JobRecord | undefined, e?: unknown) => void }
  | { kind: 'update'; id: string; patch: JobPatch; expect?: readonly JobStatus[]; done: (r: JobRecord | undefined, e?: unknown) => void }
  | { kind: 'delete'; ids: string[]; done: (r: number, e?: unknown) => void }
  | { kind: 'expire'; now: number; patch: JobPatch; limit: number; done: (r: JobRecord[], e?: unknown) => void };

const NL = 0x0a;

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
  private readonly logPath: string;
  /** Who wrote a line (this store instance; its own lines are not echoed to its watchers). */
  private readonly writer = `${process.pid}-${randomBytes(6).toString('hex')}`;
  private readonly runnerFiles: Runners;
  /** Runners whose file this store has written (or is writing). */
  private readonly ownRunners = new Map<string, Promise<void>>();
  /** How long a manager may go silent before its jobs are stale. */
  readonly leaseMs: number;
  private readonly opts: Required<Omit<FileJobStoreOptions, 'onWarning'>> & Pick<FileJobStoreOptions, 'onWarning'>;
  private readonly lock: FileLock;
  private readonly index = new JobIndex();
  /** Which runner (JobManager) runs each active job (settled jobs need none). */
  private readonly runners = new Map<string, string>();
  /** Lines and bytes read or written: their average estimates the size of a compacted log. */
  private linesSeen = 0;
  private bytesSeen = 0;
  private fh: FileHandle | undefined;
  private ino = 0;
  /** Bytes of the log read (and applied) so far; always at a line end. */
  private offset = 0;
  private reloadNeeded = false;
  private readonly ready: Promise<void>;
  private reading: Promise<unknown> = Promise.resolve();
  private queue: Op[] = [];
  private flushing: Promise<void> | undefined;
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
    this.logPath = join(this.path, 'jobs.jsonl');
    this.runnerFiles = new Runners(join(this.path, 'runners'));
    this.lock = new FileLock(join(this.path, 'jobs.lock'), this.opts.lockTimeoutMs);
    this.ready = this.open();
    this.ready.catch(() => undefined); // reported by every call instead
  }

  // ---- JobStore ---------------------------------------------------------------------------

  async create(job: JobRecord, lease?: JobLease): Promise<void> {
    if (lease) await this.ensureRunner(lease);
    const created = await this.submit<JobRecord | undefined>({ kind: 'create', job: Object.freeze({ ...job }), runner: lease?.runner } as Op);
    if (!created) throw new StoreCorruptError(`Job \`${job.id}\` already exists in ${this.logPath}`);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    await this.fresh();
    return this.index.get(id);
  }

  update(id: string, patch: JobPatch, expect?: readonly JobStatus[]): Promise<JobRecord | undefined> {
    return this.submit<JobRecord | undefined>({ kind: 'update', id, patch, expect } as Op);
  }

  async list(query?: JobQuery): Promise<JobRecord[]> {
    await this.fresh();
    return this.index.list(query);
  }

  async prune(query: PruneQuery): Promise<number> {
    await this.fresh();
    const ids = this.index.prunable(query);
    return ids.length === 0 ? 0 : this.submit<number>({ kind: 'delete', ids } as Op);
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

  /** Writes what is queued, stops heartbeating and releases the files. Jobs stay on disk. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.ready.catch(() => undefined);
    clearInterval(this.watchTimer);
    while (this.flushing) await this.flushing;
    await this.serial(async () => {
      await this.fh?.close().catch(() => undefined);
      this.fh = undefined;
    });
  }

  async renewLeases(runner: string, ids: readonly string[], expiresAt: number): Promise<string[]> {
    await this.ready;
    await this.runnerFiles.renew(runner, expiresAt);
    this.ownRunners.set(runner, Promise.resolve());
    await this.fresh();
    return ids.filter((id) => {
      const job = this.index.get(id);
      return !job || !isActive(job.status);
    });
  }

  expireLeases(now: number, patch: JobPatch, limit: number): Promise<JobRecord[]> {
    return this.submit<JobRecord[]>({ kind: 'expire', now, patch, limit } as Op);
  }

  /** A runner's file exists before the first line that names it (so no one takes it for dead). */
  private ensureRunner(lease: JobLease): Promise<void> {
    let written = this.ownRunners.get(lease.runner);
    if (!written) {
      written = this.ready.then(() => this.runnerFiles.renew(lease.runner, lease.expiresAt));
      this.ownRunners.set(lease.runner, written);
      written.catch(() => this.ownRunners.delete(lease.runner));
    }
    return written;
  }

  // ---- opening and reading -----------------------------------------------------------------

  private async open(): Promise<void> {
    try {
      await mkdir(join(this.path, 'runners'), { recursive: true, mode: 0o700 });
      await this.lock.with(async () => {
        await this.reopen();
        await this.repairTail();
        await this.readNew(true);
      });
    } catch (e) {
      throw e instanceof SmartAsyncError ? e : new StoreUnavailableError(`Cannot open file job store at ${this.path}: ${(e as Error).message}`, { cause: e });
    }
  }

  /** (Re)opens the log and forgets everything read from the previous file. */
  private async reopen(): Promise<void> {
    await this.fh?.close().catch(() => undefined);
    this.fh = await open(this.logPath, 'a+', 0o600);
    this.ino = (await this.fh.stat()).ino;
    this.offset = 0;
    this.index.clear();
    this.runners.clear();
    this.linesSeen = 0;
    this.bytesSeen = 0;
    this.reloadNeeded = false;
  }

  /** Under the lock: cuts off a last line that a killed writer left unfinished. */
  private async repairTail(): Promise<void> {
    const fh = this.fh!;
    const { size } = await fh.stat();
    if (size === 0) return;
    const tailLen = Math.min(size, 64 * 1024);
    let end = size;
    // Find the last newline, reading backwards in chunks.
    for (let pos = size; pos > 0; ) {
      const len = Math.min(pos, tailLen);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, pos - len);
      const i = buf.lastIndexOf(NL);
      if (i >= 0) {
        end = pos - len + i + 1;
        break;
      }
      pos -= len;
      if (pos === 0) end = 0;
    }
    if (end < size) {
      await fh.truncate(end);
      this.warn(`FileJobStore ${this.logPath}: cut off an unfinished last line (${size - end} bytes) left by a writer that stopped mid-write`);
    }
  }

  /** Brings the index up to date with the log (other processes' lines included). */
  private async fresh(): Promise<void> {
    await this.ready;
    await this.serial(async () => {
      if (!this.fh) throw new StoreUnavailableError(`FileJobStore ${this.path} is closed`);
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
    let st;
    try {
      st = await stat(this.logPath);
    } catch (e) {
      throw new StoreUnavailableError(`FileJobStore ${this.logPath} is gone: ${(e as Error).message}`, { cause: e });
    }
    if (st.ino !== this.ino || this.reloadNeeded) {
      const before = new Map(Array.from(this.index.values(), (j) => [j.id, j.updated_at]));
      await this.reopen();
      await this.readRange(st.size, locked, (job) => before.get(job.id) !== job.updated_at);
      return;
    }
    if (st.size > this.offset) await this.readRange(st.size, locked, () => true);
  }

  private async readRange(size: number, locked: boolean, changed: (job: JobRecord) => boolean): Promise<void> {
    const len = size - this.offset;
    if (len <= 0) return;
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    while (got < len) {
      const { bytesRead } = await this.fh!.read(buf, got, len - got, this.offset + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const end = buf.lastIndexOf(NL, got - 1) + 1; // only whole lines; a line being written is read next time
    const bad: string[] = [];
    const text = buf.toString('utf8', 0, end);
    let start = 0;
    while (start < text.length) {
      let nl = text.indexOf('\n', start);
      if (nl < 0) nl = text.length;
      if (nl > start) {
        try {
          const raw = text.slice(start, nl);
          this.applyLine(JSON.parse(raw), raw.length + 1, changed);
        } catch (e) {
          bad.push(`line at byte ${this.offset + Buffer.byteLength(text.slice(0, start))}: ${(e as Error).message}`);
        }
      }
      start = nl + 1;
    }
    this.offset += end;
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
    const job = parseJobRecord(line.job, this.logPath);
    this.setRunner(job, line.run);
    this.index.put(job);
    this.account(bytes);
    if (line.by !== this.writer && changed(job)) this.notify(job);
  }

  /** Corrupt lines: keep the file aside, say so, and (under the lock) write a clean log. */
  private async quarantine(bad: string[], locked: boolean): Promise<void> {
    if (!locked) {
      // Another process may be writing; it (or the next start) will repair under the lock.
      this.reloadNeeded = true;
      return;
    }
    const aside = `${this.logPath}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    await copyFile(this.logPath, aside);
    this.warn(
      new StoreCorruptError(
        `FileJobStore ${this.logPath}: ${bad.length} corrupt line(s) skipped, every valid record kept; the file as found is kept at ${aside}. First: ${bad[0]}`,
      ).message,
    );
    await this.compact();
  }

  private setRunner(job: JobRecord, runner: string): void {
    if (isActive(job.status)) this.runners.set(job.id, runner);
    else this.runners.delete(job.id);
  }

  private account(bytes: number): void {
    this.linesSeen++;
    this.bytesSeen += bytes;
  }

  private forget(id: string): void {
    this.index.remove(id);
    this.runners.delete(id);
  }

  // ---- writing -----------------------------------------------------------------------------

  private submit<R>(op: Op): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      (op as { done: (r: R, e?: unknown) => void }).done = (r, e) => (e === undefined ? resolve(r) : reject(e));
      this.queue.push(op);
      this.flushing ??= this.flush();
    });
  }

  /** Group commit: everything queued meanwhile is written with one write and one fsync. */
  private async flush(): Promise<void> {
    try {
      await this.ready.catch(() => undefined);
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        try {
          await this.ready;
          if (!this.fh) throw new StoreUnavailableError(`FileJobStore ${this.path} is closed`);
          const results = await this.serial(() => this.lock.with(() => this.writeBatch(batch)));
          batch.forEach((op, i) => (op.done as (r: unknown) => void)(results[i]));
        } catch (e) {
          const err = e instanceof SmartAsyncError ? e : new StoreUnavailableError(`FileJobStore ${this.path} could not write: ${(e as Error).message}`, { cause: e });
          this.reloadNeeded = true; // the index may hold changes that did not reach the disk
          for (const op of batch) (op.done as (r: unknown, e: unknown) => void)(undefined, err);
        }
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async writeBatch(batch: Op[]): Promise<unknown[]> {
    await this.readNew(true);
    const expiring = batch.some((op) => op.kind === 'expire') ? await this.deadRunners() : undefined;
    await this.repairTail(); // a writer killed mid-line since our last read
    const lines: string[] = [];
    const put = (job: JobRecord, runner?: string): void => {
      const run = runner ?? this.runners.get(job.id) ?? this.writer;
      const text = JSON.stringify({ op: 'put', by: this.writer, run, job });
      lines.push(text);
      this.setRunner(job, run);
      this.index.put(job);
      this.account(text.length + 1);
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
          for (const job of this.index.values()) {
            if (out.length >= op.limit) break;
            if (!isActive(job.status) || !canApply(job, op.patch) || !expiring!.dead.has(this.runners.get(job.id) ?? '')) continue;
            const next = applyPatch(job, op.patch);
            put(next);
            out.push(next);
          }
          return out;
        }
      }
    });
    if (lines.length > 0) {
      const buf = Buffer.from(`${lines.join('\n')}\n`);
      let written = 0;
      while (written < buf.length) written += (await this.fh!.write(buf, written, buf.length - written)).bytesWritten;
      if (this.opts.fsync) await this.fh!.datasync();
      this.offset += buf.length;
    }
    if (expiring) await this.runnerFiles.removeDead(Array.from(expiring.gone).filter((r) => !this.runnerInUse(r)));
    const liveEstimate = this.index.size * (this.bytesSeen / Math.max(1, this.linesSeen));
    if (this.offset > this.opts.compactMinBytes && this.offset > 2 * liveEstimate) await this.compact();
    return results;
  }

  /** Under the lock: writes the live records to a new file and renames it over the log. */
  private async compact(): Promise<void> {
    const tmp = `${this.logPath}.compact`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      const chunk: string[] = [];
      let size = 0;
      for (const job of this.index.values()) {
        const run = this.runners.get(job.id) ?? this.writer;
        chunk.push(JSON.stringify({ op: 'put', by: run, run, job }));
        if (chunk.length === 1000) {
          const text = `${chunk.join('\n')}\n`;
          await fh.write(text);
          size += Buffer.byteLength(text);
          chunk.length = 0;
        }
      }
      if (chunk.length > 0) {
        const text = `${chunk.join('\n')}\n`;
        await fh.write(text);
        size += Buffer.byteLength(text);
      }
      await fh.datasync();
      await fh.close();
      await rename(tmp, this.logPath);
      await this.syncDir();
      await this.fh?.close().catch(() => undefined);
      this.fh = await open(this.logPath, 'a+', 0o600);
      this.ino = (await this.fh.stat()).ino;
      this.offset = size;
    } catch (e) {
      await fh.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
  }

  private async syncDir(): Promise<void> {
    const dir = await open(this.path, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
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

  private runnerInUse(runner: string): boolean {
    for (const r of this.runners.values()) if (r === runner) return true;
    return false;
  }

  private notify(job: JobRecord): void {
    notifyWatchers(this.watchers, job);
  }

  private warn(message: string, error?: unknown): void {
    (this.opts.onWarning ?? emitSmartAsyncWarning)(message, error);
  }
}
