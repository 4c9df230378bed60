import { randomBytes } from 'node:crypto';
import Redis, { type RedisOptions } from 'ioredis';
import { z } from 'zod';
import {
  emitSmartAsyncWarning,
  emptyCounts,
  expectParts,
  FINAL_STATUSES,
  isoTime,
  JOB_STATUSES,
  MalformedRecords,
  notifyWatchers,
  parseJobRecord,
  parseOrThrow,
  SmartAsyncError,
  StoreCorruptError,
  StoreUnavailableError,
  warningSinkSchema,
  type JobExpect,
  type JobLease,
  type JobPatch,
  type JobQuery,
  type JobRecord,
  type JobStatus,
  type JobStore,
  type PruneQuery,
  type WarningSink,
} from '../index';
import { CLAIM, CREATE, EXPIRE, GET_MANY, INDEX, PRUNE, RENEW, UPDATE } from './scripts';

/** The version of the key layout; 2 added the filter indexes. */
const SCHEMA = '2';

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
    prefix: z
      .string()
      .min(1)
      .regex(/^[^\s{}]+$/, 'a prefix without spaces or braces')
      .optional(),
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
  private readonly scripts: Record<'create' | 'update' | 'getMany' | 'expire' | 'renew' | 'prune' | 'index' | 'claim', Script>;
  private readonly watchers = new Set<(job: JobRecord) => void>();
  /** Malformed records skipped by reads of many, each reported once. */
  private readonly malformed: MalformedRecords;
  private closed = false;
  private connecting: Promise<boolean> | undefined;
  /** The filter indexes exist for every job (see `ensureIndexes`). */
  private indexed: Promise<void> | undefined;

  /** @throws SmartAsyncConfigError when an option is invalid. */
  constructor(options: RedisJobStoreOptions = {}) {
    const o = parseOrThrow(optionsSchema, options, 'RedisJobStore');
    this.prefix = o.prefix ?? 'smart-async';
    this.leaseMs = o.leaseMs ?? 30_000;
    this.connectTimeoutMs = o.connectTimeoutMs ?? 2_000;
    this.onWarning = o.onWarning ?? emitSmartAsyncWarning;
    this.malformed = new MalformedRecords(this.onWarning);
    const conn = o.connection;
    if (conn instanceof Redis) {
      this.client = conn;
      this.ownsClient = false;
    } else {
      const defaults: RedisOptions = { enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(1000, 50 * n) };
      this.client =
        typeof conn === 'string' || conn === undefined
          ? new Redis(conn ?? 'redis://127.0.0.1:6379', defaults)
          : new Redis({ ...defaults, ...(conn as RedisOptions) });
      this.ownsClient = true;
    }
    this.client.on('error', () => undefined); // reported as STORE_UNAVAILABLE by the calls that need Redis
    const p = this.prefix;
    this.keys = { jobs: `${p}:jobs`, counts: `${p}:counts`, active: `${p}:active`, settled: `${p}:settled`, channel: `${p}:events` };
    const define = (name: string, lua: string, numberOfKeys: number): Script => {
      this.client.defineCommand(`smartAsync_${name}`, { lua, numberOfKeys });
      const fn = (this.client as unknown as Record<string, (...a: Array<string | number>) => Promise<unknown>>)[`smartAsync_${name}`]!.bind(
        this.client,
      );
      return (keys, args) => fn(...keys, ...args);
    };
    this.scripts = {
      create: define('create', CREATE, 5),
      update: define('update', UPDATE, 4),
      getMany: define('getMany', GET_MANY, 0),
      expire: define('expire', EXPIRE, 3),
      renew: define('renew', RENEW, 1),
      prune: define('prune', PRUNE, 3),
      index: define('index', INDEX, 1),
      claim: define('claim', CLAIM, 4),
    };
  }

  // ---- JobStore ---------------------------------------------------------------------------

  async create(job: JobRecord, lease?: JobLease): Promise<void> {
    await this.createOrAttach(job, lease, '', 0);
  }

  async reserve(job: JobRecord, lease: JobLease | undefined, ttlMs: number): Promise<{ job: JobRecord; created: boolean }> {
    const held = await this.createOrAttach(job, lease, job.idempotency?.scope ?? '', ttlMs);
    return held ? { job: held, created: false } : { job, created: true };
  }

  /** Creates a job, unless its idempotency scope is held: then resolves to the holder. */
  private async createOrAttach(job: JobRecord, lease: JobLease | undefined, scope: string, ttlMs: number): Promise<JobRecord | undefined> {
    const json = await this.run('create a job', () =>
      this.scripts.create(
        [this.jobKey(job.id), this.keys.jobs, this.keys.counts, this.keys.active, this.keys.settled],
        [
          job.id,
          this.runner,
          this.keys.channel,
          ms(job.created_at),
          lease?.expiresAt ?? Date.now() + this.leaseMs,
          ms(job.completed_at),
          this.prefix,
          job.owner ?? '',
          job.label,
          job.run_at ? Date.parse(job.run_at) : 0,
          scope,
          ttlMs,
          ...fields(job),
        ],
      ),
    );
    if (json === null) throw new StoreCorruptError(`Job \`${job.id}\` already exists in Redis (${this.prefix})`);
    return typeof json === 'string' && json.startsWith('=') ? this.parse(json.slice(1), job.id) : undefined;
  }

  /** @throws StoreCorruptError when the job's key holds something that is not a valid record. */
  async get(id: string): Promise<JobRecord | undefined> {
    const [json] = (await this.run('read a job', () => this.scripts.getMany([], [this.prefix, id]))) as Array<string | null>;
    return json ? this.parse(json, id) : undefined;
  }

  async update(id: string, patch: JobPatch, expect?: JobExpect): Promise<JobRecord | undefined> {
    const values: Partial<JobRecord> = { ...patch, updated_at: patch.completed_at ?? patch.started_at ?? isoTime() };
    const { statuses, attempt } = expectParts(expect);
    const json = (await this.run('update a job', () =>
      this.scripts.update(
        [this.jobKey(id), this.keys.counts, this.keys.active, this.keys.settled],
        [
          id,
          this.runner,
          this.keys.channel,
          statuses ? statuses.join(',') : '',
          ms(patch.completed_at),
          patch.status ?? '',
          this.prefix,
          attempt ?? '',
          Date.now() + this.leaseMs,
          patch.run_at ? Date.parse(patch.run_at) : 0,
          ...fields(values),
        ],
      ),
    )) as string | null;
    return json ? this.parse(json, id) : undefined;
  }

  /**
   * Newest first. A filter reads its own index (per status, per owner, per owner and status, per
   * label: sorted sets by creation time), so a page costs what it returns, not the store's size;
   * several statuses are merged from their indexes. The records read are checked against the
   * whole filter again (a job may have moved on between the two reads).
   */
  async list(query: JobQuery = {}): Promise<JobRecord[]> {
    await this.ensureIndexes();
    const limit = query.limit ?? Infinity;
    const keys = await this.indexesFor(query);
    const matches = (job: JobRecord): boolean =>
      (!query.statuses || query.statuses.includes(job.status)) &&
      (query.label === undefined || job.label === query.label) &&
      (query.owner === undefined || job.owner === query.owner);
    const out: JobRecord[] = [];
    const offsets = keys.map(() => 0);
    const exhausted = keys.map(() => false);
    while (out.length < limit && exhausted.some((x) => !x)) {
      const page = Math.min(500, Math.max(50, Number.isFinite(limit) ? limit - out.length : 500));
      const live = keys.flatMap((_, i) => (exhausted[i] ? [] : [i]));
      // The next `page` of each index: the next `page` of their union is among them.
      const heads = await this.run('list jobs', async () => {
        const pipe = this.client.pipeline();
        for (const i of live) pipe.zrevrange(keys[i]!, offsets[i]!, offsets[i]! + page - 1, 'WITHSCORES');
        return ((await pipe.exec()) ?? []).map(([e, v]) => {
          if (e) throw e;
          return v as string[];
        });
      });
      const candidates: Array<{ id: string; score: number; from: number }> = [];
      const fetched = new Map<number, number>();
      heads.forEach((flat, n) => {
        const i = live[n]!;
        fetched.set(i, flat.length / 2);
        for (let j = 0; j < flat.length; j += 2) candidates.push({ id: flat[j]!, score: Number(flat[j + 1]), from: i });
      });
      candidates.sort((a, b) => b.score - a.score || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      const taken = candidates.slice(0, page);
      if (taken.length === 0) break;
      const took = new Map<number, number>();
      for (const c of taken) {
        offsets[c.from]!++;
        took.set(c.from, (took.get(c.from) ?? 0) + 1);
      }
      // An index is done once it gave less than a page and all of it was taken.
      for (const i of live) if (fetched.get(i)! < page && (took.get(i) ?? 0) === fetched.get(i)) exhausted[i] = true;
      const records = (await this.run('list jobs', () => this.scripts.getMany([], [this.prefix, ...taken.map((c) => c.id)]))) as Array<
        string | null
      >;
      for (const [i, json] of records.entries()) {
        const job = json ? this.parseOrSkip(json, taken[i]!.id) : undefined;
        if (!job || !matches(job)) continue;
        out.push(job);
        if (out.length >= limit) break;
      }
    }
    return out;
  }

  /**
   * Jobs written by 0.1–0.2 have no filter indexes: the first list of a store instance builds
   * them (in batches, idempotent, safe beside other processes) unless the schema mark says done.
   */
  private ensureIndexes(): Promise<void> {
    this.indexed ??= (async () => {
      const mark = `${this.prefix}:schema`;
      if ((await this.run('list jobs', () => this.client.get(mark))) === SCHEMA) return;
      for (let start = 0; ; start += 1000) {
        const n = Number(await this.run('index jobs', () => this.scripts.index([this.keys.jobs], [this.prefix, start, 1000])));
        if (n < 1000) break;
      }
      await this.run('index jobs', () => this.client.set(mark, SCHEMA));
    })().catch((e: unknown) => {
      this.indexed = undefined; // tried again by the next list
      throw e;
    });
    return this.indexed;
  }

  /** The index keys to read for a query: the smallest candidate set its filters allow. */
  private async indexesFor(query: JobQuery): Promise<string[]> {
    const p = this.prefix;
    const statuses = query.statuses && query.statuses.length < JOB_STATUSES.length ? Array.from(new Set(query.statuses)) : undefined;
    let keys: string[];
    if (statuses && query.owner !== undefined) keys = statuses.map((s) => `${p}:os:${s}:${query.owner}`);
    else if (statuses) keys = statuses.map((s) => `${p}:s:${s}`);
    else if (query.owner !== undefined) keys = [`${p}:o:${query.owner}`];
    else keys = [this.keys.jobs];
    if (query.label === undefined) return keys;
    // A label too: read whichever holds fewer jobs, the label's index or the others.
    const label = `${p}:l:${query.label}`;
    if (keys[0] === this.keys.jobs) return [label];
    const cards = (await this.run('list jobs', async () => {
      const pipe = this.client.pipeline();
      [label, ...keys].forEach((k) => pipe.zcard(k));
      return ((await pipe.exec()) ?? []).map(([e, v]) => (e ? 0 : Number(v)));
    })) as number[];
    const rest = cards.slice(1).reduce((a, b) => a + b, 0);
    return cards[0]! <= rest ? [label] : keys;
  }

  async prune(query: PruneQuery): Promise<number> {
    const statuses = FINAL_STATUSES.every((s) => query.statuses.includes(s)) ? '*' : query.statuses.join(',');
    let total = 0;
    for (;;) {
      const n = Number(
        await this.run('prune jobs', () =>
          this.scripts.prune(
            [this.keys.settled, this.keys.jobs, this.keys.counts],
            [this.prefix, statuses, query.keepNewest ?? -1, query.settledBefore ? Date.parse(query.settledBefore) : '', 1000],
          ),
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
      if (!/^-?\d+$/.test(v))
        throw new StoreCorruptError(
          `RedisJobStore ${this.prefix}: the counts hash holds ${JSON.stringify(v.slice(0, 40))} for ${s}, not a count`,
        );
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
      this.scripts.expire(
        [this.keys.active, this.keys.counts, this.keys.settled],
        [this.prefix, now, this.keys.channel, this.runner, limit, patch.status ?? '', ...fields(values)],
      ),
    )) as string[];
    const out: JobRecord[] = [];
    for (const json of changed) {
      const job = this.parseOrSkip(json, 'swept');
      if (job) out.push(job);
    }
    return out;
  }

  async claim(targets: readonly string[], limit: number, lease: JobLease, now: number): Promise<JobRecord[]> {
    if (targets.length === 0 || limit < 1) return [];
    const changed = (await this.run('claim jobs', () =>
      this.scripts.claim(
        [`${this.prefix}:due`, this.keys.counts, this.keys.active, this.keys.settled],
        [this.prefix, this.runner, this.keys.channel, now, JSON.stringify(isoTime(now)), limit, lease.expiresAt, targets.join(',')],
      ),
    )) as string[];
    const out: JobRecord[] = [];
    for (const json of changed) {
      const job = this.parseOrSkip(json, 'claimed');
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
        await Promise.race([
          c.quit().catch(() => undefined),
          new Promise((r) => (t = setTimeout(r, Math.min(1_000, this.connectTimeoutMs)))),
        ]);
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
    if (json.startsWith('!'))
      throw new StoreCorruptError(`RedisJobStore ${this.prefix}: malformed job record ${id}: its key holds a ${json.slice(1)}, not a hash`);
    try {
      return parseJobRecord(JSON.parse(json), `Redis (${this.prefix}, job ${id})`);
    } catch (e) {
      throw e instanceof StoreCorruptError
        ? e
        : new StoreCorruptError(`RedisJobStore ${this.prefix}: malformed job record ${id}: not valid JSON`, { cause: e });
    }
  }

  /** `parse`, for reads of many records: a bad one is reported (once per id) and skipped. */
  private parseOrSkip(json: string, id: string): JobRecord | undefined {
    return this.malformed.parseOrSkip(() => this.parse(json, id), id);
  }

  /** Runs a command once connected (waiting up to `connectTimeoutMs`); failures become STORE_UNAVAILABLE. */
  private async run<T>(what: string, command: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError(`RedisJobStore ${this.prefix} is closed`);
    if (this.client.status !== 'ready' && !(await this.connected())) {
      throw new StoreUnavailableError(
        `Redis is not reachable (status ${this.client.status}); could not ${what} within ${this.connectTimeoutMs} ms`,
      );
    }
    try {
      return await command();
    } catch (e) {
      if (e instanceof SmartAsyncError) throw e;
      const message = (e as Error)?.message ?? String(e);
      // Bad data (a corrupt counts hash, a key of the wrong type) is not an outage.
      if (/^(STORE_CORRUPT|WRONGTYPE)\b/.test(message) || message.includes('STORE_CORRUPT')) {
        throw new StoreCorruptError(`RedisJobStore ${this.prefix} could not ${what}: ${message.replace(/^.*?STORE_CORRUPT /, '')}`, {
          cause: e,
        });
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
