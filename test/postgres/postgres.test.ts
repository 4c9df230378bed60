import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Pool } from 'pg';
import { jobContext, JobManager, type JobRecord, type SmartAsyncConfig } from '../../src';
import { PostgresJobStore, type PostgresJobStoreOptions } from '../../src/postgres';
import { ticketOf } from '../fixtures/ticket';
import { PrivatePostgres } from '../support/private-postgres';
import { TcpProxy } from '../support/tcp-proxy';

/**
 * PostgresJobStore against real servers: the machine's PostgreSQL (each test in a schema of its
 * own, dropped after), a private cluster this test starts and restarts on a free port, and a TCP
 * proxy that pauses traffic. Processes are real (node children).
 */
const URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const root = join(__dirname, '..', '..');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
});

function schema(url = URL): string {
  const s = `pgtest_${randomUUID().slice(0, 8)}`;
  cleanups.push(async () => {
    const pool = new Pool({ connectionString: url });
    await pool.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`).catch(() => undefined);
    await pool.end();
  });
  return s;
}

function manager(options: PostgresJobStoreOptions, config: SmartAsyncConfig = {}, warnings: string[] = []): JobManager {
  const onWarning = (w: string): void => void warnings.push(w);
  const m = new JobManager(new PostgresJobStore({ connection: URL, onWarning, leaseMs: 1_000, ...options }), {
    onWarning,
    closeGraceMs: 100,
    storeTimeoutMs: 2_000,
    ...config,
  });
  cleanups.push(() => m.close());
  return m;
}

/** A node child running `code` with the store at hand; resolves its stdout lines as they come. */
function child(code: string): { lines: string[]; kill: () => void; exited: Promise<number | null> } {
  const proc = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', code], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let buf = '';
  proc.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  cleanups.push(() => proc.kill('SIGKILL'));
  return { lines, kill: () => proc.kill('SIGKILL'), exited };
}

async function until(fn: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error('timed out');
    await sleep(25);
  }
}

test('two processes share jobs: status, list and wait from here; a cancel from here aborts the work there; a killed process’s job goes stale by lease', async () => {
  const s = schema();
  const other = child(`
    require('reflect-metadata');
    const { JobManager, jobContext } = require('./src');
    const { PostgresJobStore } = require('./src/postgres');
    const m = new JobManager(new PostgresJobStore({ connection: '${URL}', schema: '${s}', leaseMs: 1000 }), { onWarning: () => {} });
    (async () => {
      const hold = () => new Promise((_, reject) => { const { signal, jobId } = jobContext(); signal.addEventListener('abort', () => { console.log('aborted ' + jobId); reject(signal.reason); }); });
      const a = await m.launch(hold, { label: 'held', asyncMode: true, owner: 'ann' });
      const b = await m.launch(hold, { label: 'held', asyncMode: true, owner: 'ann' });
      const c = await m.launch(async () => ({ rows: 7 }), { label: 'quick', asyncMode: true, owner: 'ann' });
      console.log('ids ' + JSON.stringify([a.job_id, b.job_id, c.job_id]));
      setInterval(() => {}, 1000);
    })();
  `);
  await until(() => other.lines.some((l) => l.startsWith('ids ')));
  const [a, b, c] = JSON.parse(other.lines.find((l) => l.startsWith('ids '))!.slice(4)) as string[];
  const here = manager({ schema: s });
  expect((await here.wait(c!, { timeoutMs: 5_000 })).result).toEqual({ rows: 7 });
  expect((await here.status(a!)).job.status).toBe('running');
  expect((await here.list({ owner: 'ann', status: 'running' })).map((j) => j.id).sort()).toEqual([a, b].sort());
  const t0 = Date.now();
  expect((await here.cancel(a!, 'from elsewhere')).status).toBe('cancelled');
  await until(() => other.lines.includes(`aborted ${a}`), 5_000);
  expect(Date.now() - t0).toBeLessThan(2_000); // NOTIFY, not the lease renewal
  other.kill();
  await other.exited;
  const stale = await here.wait(b!, { timeoutMs: 10_000 });
  expect(stale).toMatchObject({ status: 'stale', error: { code: 'JOB_STALE' } });
}, 60_000);

test('four processes migrating a fresh schema at once: every one opens it, the migration runs once', async () => {
  const s = schema();
  const kids = Array.from({ length: 4 }, () =>
    child(`
      const { PostgresJobStore } = require('./src/postgres');
      const store = new PostgresJobStore({ connection: '${URL}', schema: '${s}' });
      store.counts().then((c) => { console.log('ok ' + JSON.stringify(c)); return store.close(); }, (e) => { console.log('failed ' + e.message); process.exit(1); });
    `),
  );
  const codes = await Promise.all(kids.map((k) => k.exited));
  expect(codes).toEqual([0, 0, 0, 0]);
  expect(kids.every((k) => k.lines.some((l) => l.startsWith('ok ')))).toBe(true);
  const pool = new Pool({ connectionString: URL });
  const { rows } = await pool.query(`SELECT version FROM "${s}".migrations`);
  await pool.end();
  expect(rows.map((r) => r.version)).toEqual([1]);
}, 60_000);

test('idempotency across two managers: one key at the same instant runs the work once', async () => {
  const s = schema();
  const a = manager({ schema: s });
  const b = manager({ schema: s });
  let runs = 0;
  const work = async (): Promise<string> => (runs++, await sleep(30), 'once');
  const call = (m: JobManager): Promise<unknown> =>
    m.launch(work, { label: 'pay', idempotencyKey: 'pg-race', fingerprint: 'f', timeoutMs: 3_000 });
  expect(await Promise.all([call(a), call(b), call(a), call(b)])).toEqual(Array(4).fill('once'));
  expect(runs).toBe(1);
});

test('a row changed by hand into something that is not a record: STORE_CORRUPT for that job only; lists skip it, once reported', async () => {
  const s = schema();
  const warnings: string[] = [];
  const m = manager({ schema: s }, {}, warnings);
  const good = ticketOf(await m.launch(async () => 1, { label: 'good', asyncMode: true }));
  const bad = ticketOf(await m.launch(async () => 2, { label: 'bad', asyncMode: true }));
  await m.wait(good.job_id);
  await m.wait(bad.job_id);
  const pool = new Pool({ connectionString: URL });
  await pool.query(`UPDATE "${s}".jobs SET record = '{"id": 5}' WHERE id = $1`, [bad.job_id]);
  await pool.end();
  await expect(m.get(bad.job_id)).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
  expect((await m.get(good.job_id))?.result).toBe(1);
  expect((await m.list()).map((j) => j.id)).toEqual([good.job_id]);
  await m.list();
  expect(warnings.filter((w) => w.includes(bad.job_id))).toHaveLength(1);
});

test('an outage (traffic paused): calls answer STORE_UNAVAILABLE within the deadline; the running job is intact after and its outcome lands', async () => {
  const s = schema();
  const proxy = new TcpProxy(5432);
  const port = await proxy.start();
  cleanups.push(() => proxy.stop());
  const m = manager({ schema: s, connection: `postgres://postgres@127.0.0.1:${port}/postgres`, leaseMs: 5_000 }, { storeTimeoutMs: 500 });
  let release!: () => void;
  const t = ticketOf(
    await m.launch(() => new Promise<string>((r) => (release = () => r('after the outage'))), { label: 'x', asyncMode: true }),
  );
  await sleep(100);
  proxy.pause();
  const started = Date.now();
  await expect(m.status(t.job_id)).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  expect(Date.now() - started).toBeLessThan(1_500);
  release(); // its outcome is retried until the database answers again
  await sleep(300);
  proxy.resume();
  const job: JobRecord = await m.wait(t.job_id, { timeoutMs: 15_000 });
  expect(job).toMatchObject({ status: 'completed', result: 'after the outage' });
}, 60_000);

test('a PostgreSQL restart loses no acknowledged job: tickets handed out before it are there after it, and a running job’s outcome lands', async () => {
  const pg = await PrivatePostgres.start();
  cleanups.push(() => pg.remove());
  const s = schema(pg.url);
  const m = manager({ schema: s, connection: pg.url, leaseMs: 10_000 }, { storeTimeoutMs: 2_000 });
  const done = await Promise.all(Array.from({ length: 20 }, (_, i) => m.launch(async () => i, { label: 'quick', asyncMode: true })));
  let release!: () => void;
  const long = ticketOf(
    await m.launch(() => new Promise<string>((r) => (release = () => r('long done'))), { label: 'long', asyncMode: true }),
  );
  for (const t of done) await m.wait(ticketOf(t).job_id);
  pg.restart();
  release(); // its outcome is written once the database answers again
  for (let i = 0; i < 100 && (await m.health()).status !== 'ok'; i++) await sleep(100);
  const job = await m.wait(long.job_id, { timeoutMs: 20_000 });
  expect(job).toMatchObject({ status: 'completed', result: 'long done' });
  const all = await m.list({ label: 'quick' });
  expect(all.map((j) => j.status)).toEqual(Array(20).fill('completed'));
  expect((await m.health()).counts.completed).toBe(21);
  void jobContext;
}, 60_000);

test('bad options are refused with SMART_ASYNC_CONFIG; a bad URL or credentials are STORE_UNAVAILABLE, the password never shown', async () => {
  for (const options of [{ schema: 'Bad-Name' }, { schema: 'x'.repeat(64) }, { leaseMs: 10 }, { connection: 42 }, { other: true }]) {
    expect(() => new PostgresJobStore(options as never)).toThrow(expect.objectContaining({ code: 'SMART_ASYNC_CONFIG' }));
  }
  const wrong = new JobManager(new PostgresJobStore({ connection: 'postgres://nobody:hunter2@127.0.0.1:5432/no_such_db' }), {
    onWarning: () => undefined,
    storeTimeoutMs: 3_000,
  });
  cleanups.push(() => wrong.close());
  const err = (await wrong.list().catch((e: unknown) => e)) as Error & { code: string };
  expect(err.code).toBe('STORE_UNAVAILABLE');
  expect(err.message).not.toContain('hunter2');
  expect(err.message).toContain('postgres://nobody:***@127.0.0.1:5432/no_such_db');
});
