import { randomBytes } from 'node:crypto';
import { Client, Pool, type PoolClient, type PoolConfig } from 'pg';
import { z } from 'zod';
import {
  applyPatch,
  canApply,
  claimPatch,
  emitSmartAsyncWarning,
  emptyCounts,
  expiryPatch,
  FINAL_STATUSES,
  holdsScope,
  isActive,
  isClaimable,
  isoTime,
  JOB_STATUSES,
  MalformedRecords,
  notifyWatchers,
  parseJobRecord,
  parseOrThrow,
  pickClaims,
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
import { MIGRATIONS } from './migrations';

/** Options of `new PostgresJobStore()`. */
export interface PostgresJobStoreOptions {
  /**
   * A `pg` Pool (used as is, not ended by `close()`), pool options, or a connection URL.
   * @default node-postgres's own defaults and its `PG*` environment variables
   */
  connection?: Pool | PoolConfig | string;
  /** The schema of the store's tables: keeps apps apart. An identifier (letters, digits, _). @default 'smart_async' */
  schema?: string;
  /** How long a job's manager may go silent (not renew its lease) before its job is marked stale. @default 30000 */
  leaseMs?: number;
  /** Receives malformed rows that were skipped, and background failures. @default process.emitWarning */
  onWarning?: WarningSink;
}

const optionsSchema = z
  .object({
    connection: z.union([z.string().min(1), z.custom<Pool>((v) => v instanceof Pool), z.record(z.string(), z.unknown())]).optional(),
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier (letters, digits, _; at most 63)')
      .optional(),
    leaseMs: z.number().int().min(100).optional(),
    onWarning: warningSinkSchema.optional(),
  })
  .strict();

/** A URL or options without the password, for messages. */
function redact(connection: PostgresJobStoreOptions['connection']): string {
  if (typeof connection === 'string') {
    try {
      const u = new URL(connection);
      if (u.password) u.password = '***';
      return u.toString();
    } catch {
      return '(a connection string that is not a URL)';
    }
  }
  if (connection instanceof Pool) return '(the given pool)';
  return typeof connection?.connectionString === 'string' ? redact(connection.connectionString) : '(pool options)';
}

/** The columns a record is indexed by (the record itself is kept whole, as JSON). */
function columns(job: JobRecord): unknown[] {
  return [
    job.status,
    job.owner ?? null,
    job.label,
    Date.parse(job.created_at),
    job.completed_at ? Date.parse(job.completed_at) : null,
    job.status === 'pending' && job.call ? Date.parse(job.run_at ?? job.created_at) : null,
    job.call?.target ?? null,
    job.idempotency?.scope ?? null,
    JSON.stringify(job),
  ];
}

type Queryable = Pick<PoolClient, 'query'>;

/**
 * Jobs in PostgreSQL, shared by every process that uses the same database and schema: status,
 * list, wait and cancel work from any of them, durable jobs are claimed by exactly one (`FOR
 * UPDATE SKIP LOCKED`), idempotency keys are reserved once.
 *
 * - The store creates and migrates its tables on first use (versioned migrations under an
 *   advisory lock: safe when several processes start at once).
 * - Each transition is one transaction that locks the job's row, checks the lifecycle
 *   (`canApply`) and writes the record and its index columns.
 * - Changes are announced with `NOTIFY` (a cancel reaches the work in another process at once);
 *   lease renewals find what a dropped notification missed (PgBouncer in transaction mode drops
 *   `LISTEN`), and `wait()` polls as a backstop.
 * - Leases: each leased job's row holds its runner and lease expiry; any manager marks expired
 *   ones stale (or, for a durable job with attempts left, requeues it).
 * - Rows read back are validated: a malformed one is `STORE_CORRUPT` for that job only.
 *
 * @example
 * container.register(JOB_STORE, { useValue: new PostgresJobStore({ connection: process.env.DATABASE_URL }) });
 */
export class PostgresJobStore implements JobStore {
  readonly kind = 'postgres';
  /** The schema of the store's tables. */
  readonly schema: string;
  /** How long a manager may go silent before its jobs are stale. */
  readonly leaseMs: number;
  private readonly pool: Pool;
  private readonly ownsPool: boolean;
  private readonly where: string;
  private readonly onWarning: WarningSink;
  /** Who announced a change (this store's own changes are not echoed to its watchers). */
  private readonly runner = `${process.pid}-${randomBytes(6).toString('hex')}`;
  private readonly channel: string;
  private readonly table: string;
  private ready: Promise<void> | undefined;
  private listener: Client | undefined;
  private readonly watchers = new Set<(job: JobRecord) => void>();
  /** Malformed rows skipped by reads of many, each reported once. */
  private readonly malformed: MalformedRecords;
  private closed = false;

  /** @throws SmartAsyncConfigError when an option is invalid (a password in a URL is never shown). */
  constructor(options: PostgresJobStoreOptions = {}) {
    const o = parseOrThrow(
      optionsSchema,
      { ...options, connection: options.connection === undefined ? undefined : options.connection },
      'PostgresJobStore',
    );
    this.schema = o.schema ?? 'smart_async';
    this.leaseMs = o.leaseMs ?? 30_000;
    this.onWarning = o.onWarning ?? emitSmartAsyncWarning;
    this.malformed = new MalformedRecords(this.onWarning);
    const conn = options.connection;
    this.where = `PostgreSQL ${redact(conn)} (schema ${this.schema})`;
    if (conn instanceof Pool) {
      this.pool = conn;
      this.ownsPool = false;
    } else {
      this.pool = new Pool(typeof conn === 'string' ? { connectionString: conn } : (conn ?? {}));
      this.ownsPool = true;
    }
    this.pool.on('error', () => undefined); // an idle client's error: the next query reports it
    this.table = `"${this.schema}".jobs`;
    this.channel = `smart_async_${this.schema}`;
  }

  // ---- JobStore ---------------------------------------------------------------------------

  async create(job: JobRecord, lease?: JobLease): Promise<void> {
    const created = await this.tx('create a job', (c) => this.insert(c, job, lease));
    if (!created) throw new StoreCorruptError(`Job \`${job.id}\` already exists in ${this.where}`);
    this.announce(job.id);
  }

  async get(id: string): Promise<JobRecord | undefined> {
    const { rows } = await this.query('read a job', `SELECT record FROM ${this.table} WHERE id = $1`, [id]);
    return rows[0] ? this.parse(rows[0].record, id) : undefined;
  }

  async update(id: string, patch: JobPatch, expect?: JobExpect): Promise<JobRecord | undefined> {
    const next = await this.tx('update a job', async (c) => {
      const { rows } = await c.query(`SELECT record FROM ${this.table} WHERE id = $1 FOR UPDATE`, [id]);
      if (!rows[0]) return undefined;
      const cur = this.parse(rows[0].record, id);
      if (!canApply(cur, patch, expect)) return undefined;
      const job = applyPatch(cur, patch);
      await this.write(c, job, leaseAfter(cur, job, this.leaseMs));
      return job;
    });
    if (next) this.announce(next.id);
    return next;
  }

  async list(query: JobQuery = {}): Promise<JobRecord[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.statuses) where.push(`status = ANY($${params.push(query.statuses)})`);
    if (query.owner !== undefined) where.push(`owner = $${params.push(query.owner)}`);
    if (query.label !== undefined) where.push(`label = $${params.push(query.label)}`);
    const limit = query.limit === undefined ? '' : ` LIMIT $${params.push(query.limit)}`;
    const sql = `SELECT id, record FROM ${this.table}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY created_ms DESC, id DESC${limit}`;
    const { rows } = await this.query('list jobs', sql, params);
    const out: JobRecord[] = [];
    for (const row of rows) {
      const job = this.parseOrSkip(row.record, row.id as string);
      if (job) out.push(job);
    }
    return out;
  }

  async prune(query: PruneQuery): Promise<number> {
    const statuses = query.statuses.filter((s) => FINAL_STATUSES.includes(s));
    if (statuses.length === 0) return 0;
    const rules: string[] = [];
    const params: unknown[] = [statuses];
    if (query.settledBefore !== undefined) rules.push(`settled_ms < $${params.push(Date.parse(query.settledBefore))}`);
    if (query.keepNewest !== undefined) {
      rules.push(
        `id NOT IN (SELECT id FROM ${this.table} WHERE status = ANY($1) ORDER BY settled_ms DESC NULLS LAST LIMIT $${params.push(query.keepNewest)})`,
      );
    }
    if (rules.length === 0) return 0;
    const { rowCount } = await this.query(
      'prune jobs',
      `DELETE FROM ${this.table} WHERE status = ANY($1) AND (${rules.join(' OR ')})`,
      params,
    );
    return rowCount ?? 0;
  }

  async counts(): Promise<Record<JobStatus, number>> {
    const { rows } = await this.query('count jobs', `SELECT status, count(*)::int AS n FROM ${this.table} GROUP BY status`, []);
    const counts = emptyCounts();
    for (const row of rows) if (JOB_STATUSES.includes(row.status as JobStatus)) counts[row.status as JobStatus] = row.n as number;
    return counts;
  }

  watch(listener: (job: JobRecord) => void): () => void {
    this.watchers.add(listener);
    if (!this.listener && !this.closed) void this.listen();
    return () => this.watchers.delete(listener);
  }

  async renewLeases(runner: string, ids: readonly string[], expiresAt: number): Promise<string[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.query(
      'renew job leases',
      `UPDATE ${this.table} SET lease_runner = $1, lease_expires = $2
         WHERE id = ANY($3) AND (status = 'running' OR (status = 'pending' AND target IS NULL)) RETURNING id`,
      [runner, expiresAt, ids],
    );
    const kept = new Set(rows.map((r) => r.id as string));
    return ids.filter((id) => !kept.has(id));
  }

  async expireLeases(now: number, patch: JobPatch, limit: number): Promise<JobRecord[]> {
    const changed = await this.tx('mark expired jobs stale', async (c) => {
      const { rows } = await c.query(
        `SELECT id, record FROM ${this.table} WHERE lease_expires < $1 AND status IN ('pending', 'running')
           ORDER BY lease_expires LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [now, limit],
      );
      const out: JobRecord[] = [];
      for (const row of rows) {
        const cur = this.parseOrSkip(row.record, row.id as string);
        if (!cur || isClaimable(cur)) continue;
        const p = expiryPatch(cur, patch, isoTime(now));
        if (!canApply(cur, p)) continue;
        const job = applyPatch(cur, p, isoTime(now));
        await this.write(c, job, null);
        out.push(job);
      }
      return out;
    });
    for (const job of changed) this.announce(job.id);
    return changed;
  }

  async claim(targets: readonly string[], limit: number, lease: JobLease, now: number): Promise<JobRecord[]> {
    if (targets.length === 0 || limit < 1) return [];
    const claimed = await this.tx('claim jobs', async (c) => {
      // Owners take turns (the n-th due job of each owner comes in round n), then the rows are
      // locked; rows another claim holds are skipped.
      const { rows } = await c.query(
        `WITH due AS (
           SELECT id, run_at_ms, row_number() OVER (PARTITION BY owner ORDER BY run_at_ms, created_ms) AS turn
             FROM ${this.table} WHERE status = 'pending' AND target = ANY($1) AND run_at_ms <= $2),
         picked AS (SELECT id FROM due ORDER BY turn, run_at_ms LIMIT $3)
         SELECT id, record FROM ${this.table} WHERE id IN (SELECT id FROM picked) AND status = 'pending' FOR UPDATE SKIP LOCKED`,
        [targets, now, limit],
      );
      const due = rows.map((r) => this.parseOrSkip(r.record, r.id as string)).filter((j): j is JobRecord => j !== undefined);
      const out: JobRecord[] = [];
      for (const cur of pickClaims(due, new Set(targets), limit, now)) {
        const job = applyPatch(cur, claimPatch(cur, isoTime(now)));
        await this.write(c, job, lease);
        out.push(job);
      }
      return out;
    });
    for (const job of claimed) this.announce(job.id);
    return claimed;
  }

  async reserve(job: JobRecord, lease: JobLease | undefined, ttlMs: number, now: number): Promise<{ job: JobRecord; created: boolean }> {
    const scope = job.idempotency?.scope;
    const out = await this.tx('reserve an idempotency key', async (c) => {
      if (scope !== undefined) {
        await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`${this.schema}:${scope}`]);
        const { rows } = await c.query(`SELECT id, record FROM ${this.table} WHERE idem_scope = $1 ORDER BY created_ms DESC LIMIT 1`, [
          scope,
        ]);
        const held = rows[0] ? this.parse(rows[0].record, rows[0].id as string) : undefined;
        if (held && holdsScope(held, ttlMs, now)) return { job: held, created: false };
      }
      if (!(await this.insert(c, job, lease))) throw new StoreCorruptError(`Job \`${job.id}\` already exists in ${this.where}`);
      return { job, created: true };
    });
    if (out.created) this.announce(job.id);
    return out;
  }

  /** Ends the pool this store made (a pool it was given stays open) and the listening connection. Jobs stay in the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const listener = this.listener;
    this.listener = undefined;
    await Promise.all([listener?.end().catch(() => undefined), this.ownsPool ? this.pool.end().catch(() => undefined) : undefined]);
  }

  // ---- internals ---------------------------------------------------------------------------

  /** Creates the schema and migrates it, once per store (several processes at once are serialised by an advisory lock). */
  private migrate(): Promise<void> {
    this.ready ??= this.inTransaction(async (c) => {
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [`smart-async:migrate:${this.schema}`]);
      await c.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
      await c.query(
        `CREATE TABLE IF NOT EXISTS "${this.schema}".migrations (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const { rows } = await c.query(`SELECT coalesce(max(version), 0) AS v FROM "${this.schema}".migrations`);
      for (const m of MIGRATIONS) {
        if (m.version <= (rows[0].v as number)) continue;
        await c.query(m.sql(this.schema));
        await c.query(`INSERT INTO "${this.schema}".migrations (version) VALUES ($1)`, [m.version]);
      }
    }).catch((e: unknown) => {
      this.ready = undefined; // tried again by the next call
      throw e;
    });
    return this.ready;
  }

  /** A statement outside a transaction; a read whose connection the server ended (a restart) is tried once more on a fresh one. */
  private async query(
    what: string,
    sql: string,
    params: unknown[],
  ): Promise<{ rows: Array<Record<string, unknown>>; rowCount: number | null }> {
    return this.run(what, async () => {
      try {
        return await this.pool.query(sql, params);
      } catch (e) {
        if (!sql.startsWith('SELECT') || !connectionLost(e)) throw e;
        return this.pool.query(sql, params);
      }
    });
  }

  /** Runs `fn` in one transaction, once migrated; failures become STORE_UNAVAILABLE. */
  private tx<T>(what: string, fn: (c: Queryable) => Promise<T>): Promise<T> {
    return this.run(what, () => this.inTransaction(fn));
  }

  /** Runs `fn` in one transaction on one connection of the pool. */
  private async inTransaction<T>(fn: (c: Queryable) => Promise<T>): Promise<T> {
    const c = await this.pool.connect();
    const lost = (): void => undefined; // a connection that dies mid-transaction fails its query; its 'error' event must not crash the process
    c.on('error', lost);
    try {
      await c.query('BEGIN');
      const out = await fn(c);
      await c.query('COMMIT');
      return out;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.off('error', lost);
      c.release();
    }
  }

  /** Runs a database call once migrated; failures become STORE_UNAVAILABLE (bad data stays STORE_CORRUPT). */
  private async run<T>(what: string, op: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreUnavailableError(`PostgresJobStore (schema ${this.schema}) is closed`);
    try {
      await this.migrate();
      return await op();
    } catch (e) {
      if (e instanceof SmartAsyncError) throw e;
      const message = (e as Error)?.message ?? String(e);
      throw new StoreUnavailableError(`${this.where} could not ${what}: ${message.replace(/:\/\/[^@\s]*@/g, '://***@')}`, { cause: e });
    }
  }

  /** Inserts a new job's row; resolves whether it was new. */
  private async insert(c: Queryable, job: JobRecord, lease: JobLease | undefined): Promise<boolean> {
    const leased = isActive(job.status) && !isClaimable(job);
    const { rowCount } = await c.query(
      `INSERT INTO ${this.table} (id, status, owner, label, created_ms, settled_ms, run_at_ms, target, idem_scope, record, lease_runner, lease_expires)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (id) DO NOTHING`,
      [job.id, ...columns(job), leased ? (lease?.runner ?? null) : null, leased ? (lease?.expiresAt ?? Date.now() + this.leaseMs) : null],
    );
    return rowCount === 1;
  }

  /** Writes a changed record and its columns; `lease`: a new lease, `null` to drop it, `undefined` to keep it. */
  private async write(c: Queryable, job: JobRecord, lease: JobLease | null | undefined): Promise<void> {
    const [status, owner, label, created, settled, runAt, target, scope, record] = columns(job);
    const leaseSql = lease === undefined ? '' : ', lease_runner = $11, lease_expires = $12';
    const params = [job.id, status, owner, label, created, settled, runAt, target, scope, record];
    if (lease !== undefined) params.push(lease?.runner ?? null, lease?.expiresAt ?? null);
    await c.query(
      `UPDATE ${this.table} SET status = $2, owner = $3, label = $4, created_ms = $5, settled_ms = $6, run_at_ms = $7, target = $8, idem_scope = $9, record = $10${leaseSql} WHERE id = $1`,
      params,
    );
  }

  /** Tells other processes a job changed (they read it back). */
  private announce(id: string): void {
    if (this.closed) return;
    this.pool
      .query('SELECT pg_notify($1, $2)', [this.channel, `${this.runner}\n${id}`])
      .catch((e: unknown) => this.onWarning(`${this.where}: could not announce a change`, e));
  }

  private async listen(): Promise<void> {
    const options = (this.pool as unknown as { options: PoolConfig }).options;
    const client = new Client(options);
    this.listener = client;
    client.on('error', () => undefined);
    client.on('notification', (n) => {
      const [from, id] = (n.payload ?? '').split('\n');
      if (from === this.runner || !id) return;
      void this.get(id).then(
        (job) => job && notifyWatchers(this.watchers, job),
        () => undefined,
      );
    });
    client.on('end', () => {
      if (this.listener !== client || this.closed) return;
      this.listener = undefined;
      setTimeout(() => this.watchers.size > 0 && !this.listener && !this.closed && void this.listen(), 1_000).unref();
    });
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
    } catch (e) {
      if (this.listener === client) this.listener = undefined;
      await client.end().catch(() => undefined);
      if (!this.closed) setTimeout(() => this.watchers.size > 0 && !this.listener && !this.closed && void this.listen(), 1_000).unref();
      this.onWarning(`${this.where}: cannot listen for changes (polling still works); retrying`, e);
    }
  }

  /**
   * Validates a row's record.
   * @throws StoreCorruptError saying what is wrong.
   */
  private parse(value: unknown, id: string): JobRecord {
    return parseJobRecord(value, `${this.where}, job ${id}`);
  }

  /** `parse`, for reads of many rows: a bad one is reported (once per id) and skipped. */
  private parseOrSkip(value: unknown, id: string): JobRecord | undefined {
    return this.malformed.parseOrSkip(() => this.parse(value, id), id);
  }
}

/** Whether an error says the connection was ended under the query (a server restart, a dropped socket). */
function connectionLost(e: unknown): boolean {
  const err = e as { code?: unknown; message?: unknown } | undefined;
  return (
    err?.code === '57P01' ||
    err?.code === 'ECONNRESET' ||
    (typeof err?.message === 'string' && /Connection terminated|terminating connection/.test(err.message))
  );
}

/**
 * What an update does to a job's lease: a leased job keeps it; one that stops being leased drops
 * it; one that starts being leased (a durable job started where it was created) gets one, which
 * its manager then renews.
 */
function leaseAfter(before: JobRecord, after: JobRecord, leaseMs: number): JobLease | null | undefined {
  const leased = (j: JobRecord): boolean => isActive(j.status) && !isClaimable(j);
  if (leased(after)) return leased(before) ? undefined : { runner: 'started', expiresAt: Date.now() + leaseMs };
  return leased(before) ? null : undefined;
}
