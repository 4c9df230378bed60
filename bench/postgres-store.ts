import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { isJobTicket, jobContext, JobManager } from '../src';
import { PostgresJobStore } from '../src/postgres';
import { fmt, heading, jobsPerSecond, percentile, row, sleep } from './common';

const URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/** pg-boss is ES modules only: loaded with a real dynamic import. */
const importEsm = new Function('s', 'return import(s)') as (s: string) => Promise<{ PgBoss?: unknown; default?: unknown }>;

type Boss = {
  start(): Promise<unknown>;
  stop(o?: unknown): Promise<void>;
  createQueue(name: string): Promise<void>;
  send(name: string, data: object): Promise<string | null>;
  work(name: string, options: object, handler: (jobs: Array<{ id: string }>) => Promise<void>): Promise<string>;
};

/** pg-boss: `callers` concurrent callers each send a job and wait until its worker ran it, for `seconds`. */
async function pgBoss(schema: string, callers: number, seconds: number): Promise<number> {
  const mod = await importEsm('pg-boss');
  const PgBoss = (mod.PgBoss ?? mod.default) as new (o: object) => Boss;
  const boss = new PgBoss({ connectionString: URL, schema });
  await boss.start();
  const queue = 'bench';
  await boss.createQueue(queue);
  const waiting = new Map<string, () => void>();
  await boss.work(queue, { pollingIntervalSeconds: 0.5, batchSize: 50 }, async (jobs) => {
    for (const j of jobs) waiting.get(j.id)?.();
  });
  let done = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < end) {
        const id = randomUUID();
        const finished = new Promise<void>((r) => waiting.set(id, r));
        await boss.send(queue, { id }).then((jobId) => jobId && waiting.set(jobId, waiting.get(id)!));
        await finished;
        done++;
      }
    }),
  );
  const rate = done / ((performance.now() - t0) / 1000);
  await boss.stop({ graceful: false, wait: true });
  return rate;
}

/** pg-boss in bulk: `n` jobs sent at once (insert many), a worker taking batches of 100; jobs/s until all ran. */
async function pgBossBulk(schema: string, n: number): Promise<number> {
  const mod = await importEsm('pg-boss');
  const PgBoss = (mod.PgBoss ?? mod.default) as new (o: object) => Boss & { insert(name: string, jobs: object[]): Promise<unknown> };
  const boss = new PgBoss({ connectionString: URL, schema });
  await boss.start();
  await boss.createQueue('bulk');
  let left = n;
  let all!: () => void;
  const finished = new Promise<void>((r) => (all = r));
  const t0 = performance.now();
  await boss.insert(
    'bulk',
    Array.from({ length: n }, (_, i) => ({ data: { i } })),
  );
  await boss.work('bulk', { pollingIntervalSeconds: 0.5, batchSize: 100 }, async (jobs) => {
    left -= jobs.length;
    if (left <= 0) all();
  });
  await finished;
  const rate = n / ((performance.now() - t0) / 1000);
  await boss.stop({ graceful: false, wait: true });
  return rate;
}

/** Ours in bulk: `n` jobs launched at once (explicit async), all waited for. */
async function oursBulk(schema: string, n: number): Promise<number> {
  const m = new JobManager(new PostgresJobStore({ connection: URL, schema }));
  await m.list({ limit: 1 });
  const t0 = performance.now();
  const tickets = await Promise.all(Array.from({ length: n }, (_, i) => m.launch(async () => i, { label: 'bulk', asyncMode: true })));
  await Promise.all(tickets.map((t) => (isJobTicket(t) ? m.wait(t.job_id) : undefined)));
  const rate = n / ((performance.now() - t0) / 1000);
  await m.close();
  return rate;
}

async function dropSchemas(names: string[]): Promise<void> {
  const pool = new Pool({ connectionString: URL });
  for (const s of names) await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await pool.end();
}

/** Cancel from one store (its own pool and LISTEN connection) until the abort in the other's work. */
async function cancelLatency(schema: string, rounds: number): Promise<number[]> {
  const runner = new JobManager(new PostgresJobStore({ connection: URL, schema }));
  const canceller = new JobManager(new PostgresJobStore({ connection: URL, schema }));
  await canceller.list({ limit: 1 });
  await runner.list({ limit: 1 });
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let abortedAt = 0;
    let release!: () => void;
    const aborted = new Promise<void>((r) => (release = r));
    const t = await runner.launch(
      async () => {
        const { signal } = jobContext()!;
        await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
        abortedAt = performance.now();
        release();
      },
      { label: 'cancel-me', asyncMode: true },
    );
    if (!isJobTicket(t)) continue;
    await sleep(150); // the job runs, and the runner listens
    const sent = performance.now();
    await canceller.cancel(t.job_id);
    await aborted;
    if (i > 1) out.push(abortedAt - sent);
  }
  await Promise.all([runner.close(), canceller.close()]);
  return out.sort((a, b) => a - b);
}

/** Time from launch() to the ticket (the job is durable in the database): asyncMode, one after another. */
async function timeToTicket(schema: string, rounds: number): Promise<number[]> {
  const m = new JobManager(new PostgresJobStore({ connection: URL, schema }));
  await m.list({ limit: 1 });
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await m.launch(async () => 1, { label: 'ticket', asyncMode: true });
    out.push(performance.now() - t0);
  }
  await m.close();
  return out.sort((a, b) => a - b);
}

export async function benchPostgres(seconds = 3): Promise<void> {
  const probe = new Pool({ connectionString: URL, connectionTimeoutMillis: 2_000 });
  try {
    await probe.query('SELECT 1');
  } catch {
    console.log(`\n## PostgreSQL: skipped (no PostgreSQL at ${URL})`);
    await probe.end();
    return;
  }
  await probe.end();
  const schemas: string[] = [];
  const fresh = (): string => {
    const s = `bench_${randomUUID().slice(0, 8)}`;
    schemas.push(s);
    return s;
  };
  try {
    heading('PostgreSQL: explicit-async jobs launched and completed per second (same database, same run)');
    row(['callers', 'pg-boss (send + worker, wait for it)', 'PostgresJobStore', 'ratio']);
    row(['---:', '---:', '---:', '---:']);
    for (const callers of [1, 10]) {
      const boss = await pgBoss(fresh(), callers, seconds);
      const ours = await jobsPerSecond(new JobManager(new PostgresJobStore({ connection: URL, schema: fresh() })), callers, seconds);
      row([callers, `${fmt(boss, 1)}/s`, `${fmt(ours)}/s`, `${(ours / boss).toFixed(1)}×`]);
    }
    const bossBulk = await pgBossBulk(fresh(), 2_000);
    const ourBulk = await oursBulk(fresh(), 2_000);
    row(['2,000 at once', `${fmt(bossBulk)}/s`, `${fmt(ourBulk)}/s`, `${(ourBulk / bossBulk).toFixed(2)}×`]);
    console.log(
      '\npg-boss workers poll (0.5 s at the least): a job waited for one by one waits for the next poll; smart-async runs it where it was launched, at once. In bulk, pg-boss inserts and fetches in batches.',
    );
    heading('PostgreSQL: latencies (ms)');
    row(['what', 'p50', 'p99', 'target']);
    row(['---', '---:', '---:', '---:']);
    const ticket = await timeToTicket(fresh(), 300);
    row(['launch() → ticket (the job stored)', percentile(ticket, 50).toFixed(2), percentile(ticket, 99).toFixed(2), '']);
    const cancel = await cancelLatency(fresh(), 30);
    row([
      'cancel() in one store → abort in the other’s work (NOTIFY)',
      percentile(cancel, 50).toFixed(2),
      percentile(cancel, 99).toFixed(2),
      '< 50 p50',
    ]);
  } finally {
    await dropSchemas(schemas);
  }
}

if (require.main === module) void benchPostgres();
