import { randomBytes } from 'node:crypto';
import Redis, { type RedisOptions } from 'ioredis';
import { z } from 'zod';
import {
  emitSmartAsyncWarning,
  emptyCounts,
  FINAL_STATUSES,
  isoTime,
  JOB_STATUSES,
  notifyWatchers,
  parseJobRecord,
  parseOrThrow,
  SmartAsyncError,
  StoreCorruptError,
  StoreUnavailableError,
  warningSinkSchema,
  type JobLease,
  type JobPatch,
  type JobQuery,
  type JobRecord,
  type JobStatus,
  type JobStore,
  type PruneQuery,
  type WarningSink,
} from '../index';
import { CREATE, EXPIRE, GET_MANY, PRUNE, RENEW, UPDATE } from './scripts';

/** Options of `new RedisJobStore()`. */
export interface RedisJobStoreOptions {
  /** An ioredis instance (used as is; a duplicate is made for pub/sub), options, or a URL. @default 'redis://127.0.0.1:6379' */
  connection?: Redis | RedisOptions | string;
  /** Key prefix that keeps apps apart. @default 'smart-async' */
  prefix?: string;
  /** How long a job's manager may go silent (not renew its lease) before its job is marked stale. @default 30000 */
  leaseMs?: number;
  /** How long a call waits for a (re)connection before failing with STORE_UNAVAILABLE. @default 2000 */
  connectTimeoutMs?: number;
  /** Receives malformed records that were skipped, and background failures. @default process.emitWarning */
  onWarning?: WarningSink;
}

const optionsSchema = z
  .object({
    connection: z.union([z.string().min(1), z.record(z.string(), z.unknown()), z.custom<Redis>((v) => v instanceof Redis)]).optional(),
    prefix: z.string().min(1).regex(/^[^\s{}]+$/, 'a prefix without spaces or braces').optional(),
    leaseMs: z.number().int().min(100).optional(),
    connectTimeoutMs: z.number().positive().optional(),
    onWarning: warningSinkSchema.optional(),
  })
  .strict();

type Script = (keys: string[], args: Array<string | number>) => Promise<unknown>;


/** Encodes record fields for the hash: JSON literals, status raw. */
function fields(values: Partial<JobRecord>): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(values)) {
    if (v === undefined) continue;
    out.push(k, k === 'status' ? (v as string) : JSON.stringify(v));
  }
  return out;
}

const ms = (iso: string | null | undefined): number => (iso ? Date.parse(iso) : Date.now());

/**
 * Jobs in Redis, shared by every process (on any machine) that uses the same Redis and prefix:
 * status, list, wait and cancel work from any of them.
 *
 * - Every transition is one Lua script: atomic, so no update is lost between processes.
 * - Changes are published; a cancel reaches the work in its owning process at once, and each
 *   lease renewal also finds cancels a process might have missed.
 * - Leases: a sorted set holds each active job's lease expiry. The JobManager running a job
 *   renews it (`renewLeases`) and any manager marks expired ones stale (`expireLeases`).
 * - Sorted sets index jobs (no KEYS scans); retention deletes through them.
 * - Records read back are validated; a malformed one is reported and skipped.
 * - Redis down: new calls fail with STORE_UNAVAILABLE after `connectTimeoutMs`; the JobManager
 *   retries the outcome of running work until Redis is back.
 *
 * @example
 * container.register(JOB_STORE, { useValue: new RedisJobStore({ connection: process.env.REDIS_URL, prefix: 'reports' }) });
 */
export class RedisJobStore implements JobStore {
  readonly kind = 'redis';
  /** The key prefix. */
  readonly prefix: string;
  private readonly client: Redis;
  private readonly ownsClient: boolean;
  private subscriber: Redis | undefined;
  /** Who published a change (this store's own changes are not echoed to its watchers). */
  private readonly runner = `${process.pid}-${randomBytes(6).toString('hex')}`;
  /** How long a manager may go silent before its jobs are stale. */
  readonly leaseMs: number;
  private readonly connectTimeoutMs: number;
  private readonly onWarning: WarningSink;
  private readonly keys: { jobs: string; counts: string; active: string; settled: string; channel: string };
  private readonly scripts: Record<'create' | 'update' | 'getMany' | 'expire' | 'renew' | 'prune', Script>;
  private readonly watchers = new Set<(job: JobRecord) => void>();
  /** Ids of malformed records already reported. */
  private readonly reported = new Set<string>();
  private closed = false;
  private connecting: Promise<boolean> | undefined;

  /** @throws SmartAsyncConfigError when an option is invalid. */
  constructor(options: RedisJobStoreOptions = {}) {
    const o = parseOrThrow(optionsSchema, options, 'RedisJobStore');
    this.prefix = o.prefix ?? 'smart-async';
    this.leaseMs = o.leaseMs ?? 30_000;
    this.connectTimeoutMs = o.connectTimeoutMs ?? 2_000;
    this.onWarning = o.onWarning ?? emitSmartAsyncWarning;
    const conn = o.connection;
    if (conn instanceof Redis) {
      this.client = conn;
      this.ownsClient = false;
    } else {
      const defaults: RedisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(1000, 50 * n) };
      this.client = typeof conn === 'string' || conn === undefined ? new Redis(conn ?? 'redis://127.0.0.1:6379', defaults) : new Redis({ ...defaults, ...(conn as RedisOptions) });
      this.ownsClient = true;
    }
    this.client.on('error', () => undefined); // reported as STORE_UNAVAILABLE by the calls that need Redis
    const p = this.prefix;
    this.keys = { jobs: `${p}:jobs`, counts: `${p}:counts`, active: `${p}:active`, settled: `${p}:settled`, channel: `${p}:events` };
    const define = (name: string, lua: string, numberOfKeys: number): Script => {
      this.client.defineCommand(`smartAsync_${name}`, { lua, numberOfKeys });
      const fn = (this.client as unknown as Record<string, (...a: Array<string | number>) => Promise<unknown>>)[`smartAsync_${name}`]!.bind(this.client);
      return (keys, args) => fn(...keys, ...args);
    };
    this.scripts = {
      create: define('create', CREATE, 5),
      update: define('update', UPDATE, 4),
      getMany: define('getMany', GET_MANY, 0),
      expire: define('expire', EXPIRE, 3),
      renew: define('renew', RENEW, 1),
      prune: define('prune', PRUNE, 3),
    };
  }

  // ---- JobStore ---------------------------------------------------------------------------

  async create(job: JobRecord, lease?: JobLease): Promise<void> {
    const json = await this.run('create a job', () =>
      this.scripts.create([this.jobKey(job.id), this.keys.jobs, this.keys.counts, this.keys.active, this.keys.settled], [
        job.id,
        this.runner,
        this.keys.channel,
        ms(job.created_at),
        lease?.expiresAt ?? Date.now() + this.leaseMs,
        ms(job.completed_at),
        ...fields(job),
      ]),
    );
    if (json === null) throw new StoreCorruptError(`Job \`${job.id}\` already exists in Redis (${this.prefix})`);
  }

  /** @throws StoreCorruptError when the job's key holds something that is not a valid record. */
  async get(id: string): Promise<JobRecord | undefined> {
    const [json] = (await this.run('read a job', () => this.scripts.getMany([], [this.prefix, id]))) as Array<string | null>;
    return json ? this.parse(json, id) : undefined;
  }

  async update(id: string, patch: JobPatch, expect?: readonly JobStatus[]): Promise<JobRecord | undefined> {
    const values: Partial<JobRecord> = { ...patch, updated_at: patch.completed_at ?? patch.started_at ?? isoTime() };
    const json = (await this.run('update a job', () =>
      this.scripts.update([this.jobKey(id), this.keys.counts, this.keys.active, this.keys.settled], [
        id,
        this.runner,
        this.keys.channel,
        expect ? expect.join(',') : '',
        ms(patch.completed_at),
        patch.status ?? '',
        ...fields(values),
      ]),
    )) as string | null;
    return json ? this.parse(json, id) : undefined;
  }

  async list(query: JobQuery = {}): Promise<JobRecord[]> {
    const limit = query.limit ?? Infinity;
    const out: JobRecord[] = [];
    const page = Math.min(500, Math.max(50, Number.isFinite(limit) ? limit : 500));
    for (let start = 0; out.length < limit; start += page) {
      const ids = (await this.run('list jobs', () => this.client.zrevrange(this.keys.jobs, start, start + page - 1))) as string[];
      if (ids.length === 0) break;
      const records = (await this.run('list jobs', () => this.scripts.getMany([], [this.prefix, ...ids]))) as Array<string | null>;
      for (const [i, json] of records.entries()) {
        const job = json ? this.parseOrSkip(json, ids[i]!) : undefined;
        if (!job) continue;
        if (query.statuses && !query.statuses.includes(job.status)) continue;
        if (query.label !== undefined && job.label !== query.label) continue;
        if (query.owner !== undefined && job.owner !== query.owner) continue;
        out.push(job);
        if (out.length >= limit) break;
      }
      if (ids.length < page) break;
    }
    return out;
  }

  async prune(query: PruneQuery): Promise<number> {
    const statuses = FINAL_STATUSES.every((s) => query.statuses.includes(s)) ? '*' : query.statuses.join(',');
    let total = 0;
    for (;;) {
      const n = Number(
        await this.run('prune jobs', () =>
          this.scripts.prune([this.keys.settled, this.keys.jobs, this.keys.counts], [
            this.prefix,
            statuses,
            query.keepNewest ?? -1,
            query.settledBefore ? Date.parse(query.settledBefore) : '',
            1000,
          ]),
        ),
      );
      total += n;
      if (n < 1000) return total;
    }
  }

  async counts(): Promise<Record<JobStatus, number>> {
    const raw = (await this.run('count jobs', () => this.client.hgetall(this.keys.counts))) as Record<string, string>;
    const counts = emptyCounts();
    for (const s of JOB_STATUSES) {
      const v = raw[s] ?? '0';
      if (!/^-?\d+$/.test(v)) throw new StoreCorruptError(`RedisJobStore ${this.prefix}: the counts hash holds ${JSON.stringify(v.slice(0, 40))} for ${s}, not a count`);
      counts[s] = Math.max(0, Number(v));
    }
    return counts;
  }

  watch(listener: (job: JobRecord) => void): () => void {
    this.watchers.add(listener);
    if (!this.subscriber) {
      const sub = this.client.duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null });
      sub.on('error', () => undefined);
      sub.on('message', (_channel: string, message: string) => this.onMessage(message));
      void sub.subscribe(this.keys.channel).catch((e: unknown) => this.onWarning(`RedisJobStore ${this.prefix}: cannot subscribe`, e));
      this.subscriber = sub;
    }
    return () => this.watchers.delete(listener);
  }

  async renewLeases(_runner: string, ids: readonly string[], expiresAt: number): Promise<string[]> {
    if (ids.length === 0) return [];
    return (await this.run('renew job leases', () => this.scripts.renew([this.keys.active], [this.prefix, expiresAt, ...ids]))) as string[];
  }

  async expireLeases(now: number, patch: JobPatch, limit: number): Promise<JobRecord[]> {
    const values: Partial<JobRecord> = { ...patch, updated_at: patch.completed_at ?? isoTime(now) };
    const changed = (await this.run('mark expired jobs stale', () =>
      this.scripts.expire([this.keys.active, this.keys.counts, this.keys.settled], [
        this.prefix,
        now,
        this.keys.channel,
        this.runner,
        limit,
        patch.status ?? '',
        ...fields(values),
      ]),
    )) as string[];
    const out: JobRecord[] = [];
    for (const json of changed) {
      const job = this.parseOrSkip(json, 'swept');
      if (job) out.push(job);
    }
    return out;
  }

  /** Closes the connections this store opened. Jobs stay in Redis. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A polite QUIT while Redis answers; a partition must not keep the sockets (and the process)
    // alive: after a short wait, or at once when not connected, the socket is dropped.
    const stop = async (c: Redis): Promise<void> => {
      if (c.status === 'ready') {
        let t: NodeJS.Timeout | undefined;
        await Promise.race([c.quit().catch(() => undefined), new Promise((r) => (t = setTimeout(r, Math.min(1_000, this.connectTimeoutMs))))]);
        clearTimeout(t);
      }
      c.disconnect();
    };
    await Promise.all([this.subscriber && stop(this.subscriber), this.ownsClient && stop(this.client)]);
  }

  // ---- internals ---------------------------------------------------------------------------

  private jobKey(id: string): string {
    return `${this.prefix}:job:${id}`;
  }

  private onMessage(message: string): void {
    const nl = message.indexOf('\n');
    if (nl < 0 || message.slice(0, nl) === this.runner) return;
    const job = this.parseOrSkip(message.slice(nl + 1), 'published');
    if (job) this.notify(job);
  }

  private notify(job: JobRecord): void {
    notifyWatchers(this.watchers, job);
  }

  /** Parses and validates a record from Redis; a malformed one is reported and skipped. */
  /**
   * Parses and validates a record from Redis (`!type` marks a key that is not a hash).
   * @throws StoreCorruptError saying what is wrong.
   */
  private parse(json: string, id: string): JobRecord {
    if (json.startsWith('!')) throw new StoreCorruptError(`RedisJobStore ${this.prefix}: malformed job record ${id}: its key holds a ${json.slice(1)}, not a hash`);
    try {
      return parseJobRecord(JSON.parse(json), `Redis (${this.prefix}, job ${id})`);
    } catch (e) {
      throw e instanceof StoreCorruptError ? e : new StoreCorruptError(`RedisJobStore ${this.prefix}: malformed job record ${id}: not valid JSON`, { cause: e });
    }
  }

  /** `parse`, for reads of many records: a bad one is reported (once per id) and skipped. */
  private parseOrSkip(json: string, id: string): JobRecord | undefined {
    try {
      return this.parse(json, id);
    } catch (e) {
      if (!this.reported.has(id)) {
        if (this.reported.size >= 1000) this.reported.clear();
        this.reported.add(id);
        this.onWarning(`${(e as Error).message}; skipped (reported once)`, e);
      }
      return undefined;
    }
  }

  /** Runs a command once connected (waiting up to `connectTimeoutMs`); failures become STORE_UNAVAILABLE. */
  private async run<T>(what: string, command: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError(`RedisJobStore ${this.prefix} is closed`);
    if (this.client.status !== 'ready' && !(await this.connected())) {
      throw new StoreUnavailableError(`Redis is not reachable (status ${this.client.status}); could not ${what} within ${this.connectTimeoutMs} ms`);
    }
    try {
      return await command();
    } catch (e) {
      if (e instanceof SmartAsyncError) throw e;
      const message = (e as Error)?.message ?? String(e);
      // Bad data (a corrupt counts hash, a key of the wrong type) is not an outage.
      if (/^(STORE_CORRUPT|WRONGTYPE)\b/.test(message) || message.includes('STORE_CORRUPT')) {
        throw new StoreCorruptError(`RedisJobStore ${this.prefix} could not ${what}: ${message.replace(/^.*?STORE_CORRUPT /, '')}`, { cause: e });
      }
      throw new StoreUnavailableError(`Redis could not ${what}: ${message}`, { cause: e });
    }
  }

  /** One wait for the connection, shared by every call that needs it meanwhile: whether it came in time. */
  private connected(): Promise<boolean> {
    if (this.client.status === 'wait') void this.client.connect().catch(() => undefined);
    this.connecting ??= new Promise<boolean>((resolve) => {
      const onReady = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.client.off('ready', onReady);
        resolve(false);
      }, this.connectTimeoutMs);
      this.client.once('ready', onReady);
    }).finally(() => (this.connecting = undefined));
    return this.connecting;
  }
}
