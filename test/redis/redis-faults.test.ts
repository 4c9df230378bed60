import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import Redis from 'ioredis';
import { jobContext, JobManager, stalePatch, type JobRecord, type SmartAsyncConfig } from '../../src';
import { RedisJobStore, type RedisJobStoreOptions } from '../../src/redis';
import { ticketOf } from '../fixtures/ticket';
import { PrivateRedis } from '../support/redis-server';
import { TcpProxy } from '../support/tcp-proxy';

/**
 * RedisJobStore under faults: bad data in the shared Redis (each test under its own prefix,
 * removed afterwards), and outages, partitions and restarts of a private redis-server or through a
 * TCP proxy that pauses traffic. Every call answers within its deadline with the right code.
 */
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
let admin: Redis;
beforeAll(() => {
  admin = new Redis('redis://127.0.0.1:6379');
});
afterAll(async () => {
  await admin.quit();
});

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

function prefix(): string {
  const p = `faults-${randomUUID().slice(0, 8)}`;
  cleanups.push(async () => {
    const keys = await admin.keys(`${p}:*`); // test cleanup only; the store itself never scans
    if (keys.length > 0) await admin.del(...keys);
  });
  return p;
}

function manager(store: Partial<RedisJobStoreOptions>, config: SmartAsyncConfig = {}, warnings: string[] = []): JobManager {
  const onWarning = (w: string): void => void warnings.push(w);
  const m = new JobManager(new RedisJobStore({ onWarning, leaseMs: 1_000, ...store }), {
    onWarning,
    closeGraceMs: 100,
    storeTimeoutMs: 1_000,
    ...config,
  });
  cleanups.push(() => m.close());
  return m;
}

function timed<T>(p: Promise<T>): Promise<{ ms: number; value?: T; error?: unknown }> {
  const start = Date.now();
  return p.then(
    (value) => ({ ms: Date.now() - start, value }),
    (error: unknown) => ({ ms: Date.now() - start, error }),
  );
}

describe('bad data in Redis', () => {
  test('a corrupt counts hash: transitions are refused whole with STORE_CORRUPT, nothing half-written, health says why', async () => {
    const p = prefix();
    const m = manager({ prefix: p });
    const running = ticketOf(await m.launch(() => new Promise(() => undefined), { label: 'held', asyncMode: true }));
    await sleep(50);
    await admin.hset(`${p}:counts`, 'running', 'abc');
    const keysBefore = (await admin.keys(`${p}:*`)).sort();
    await expect(m.launch(async () => 1, { label: 'x', asyncMode: true })).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
    await expect(m.cancel(running.job_id)).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
    expect((await admin.keys(`${p}:*`)).sort()).toEqual(keysBefore); // no orphaned hash
    expect(await admin.hget(`${p}:job:${running.job_id}`, 'status')).toBe('running'); // not cancelled on paper while its work runs on
    const health = await m.health();
    expect(health).toMatchObject({ status: 'unavailable', total: 0 });
    expect(health.error).toMatch(/counts/);
    await admin.hset(`${p}:counts`, 'running', '1');
    expect((await m.cancel(running.job_id)).status).toBe('cancelled');
  });

  test.each(['jobs', 'active', 'settled'])(
    'an index key (%s) of the wrong type: creates and settles are refused whole, no orphan record',
    async (index) => {
      const p = prefix();
      const m = manager({ prefix: p });
      const running = ticketOf(await m.launch(() => new Promise(() => undefined), { label: 'held', asyncMode: true }));
      await sleep(50);
      const saved = await admin.dumpBuffer(`${p}:${index}`);
      await admin.del(`${p}:${index}`);
      await admin.set(`${p}:${index}`, 'not a sorted set');
      const keysBefore = (await admin.keys(`${p}:*`)).sort();
      const hashBefore = await admin.hgetall(`${p}:job:${running.job_id}`);
      await expect(m.launch(async () => 1, { label: 'x', asyncMode: true })).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
      if (index !== 'jobs')
        await expect(m.cancel(running.job_id)).rejects.toMatchObject({ code: 'STORE_CORRUPT', message: expect.stringContaining(index) });
      expect((await admin.keys(`${p}:*`)).sort()).toEqual(keysBefore); // no orphan pending record
      expect(await admin.hgetall(`${p}:job:${running.job_id}`)).toEqual(hashBefore); // nothing half-applied
      await admin.del(`${p}:${index}`);
      if (saved) await admin.restore(`${p}:${index}`, 0, saved);
      expect((await m.cancel(running.job_id)).status).toBe('cancelled');
    },
  );

  test('a job key of the wrong type is STORE_CORRUPT for that job and does not stop retention', async () => {
    const p = prefix();
    const warnings: string[] = [];
    const m = manager({ prefix: p }, { retention: { maxJobs: 5 } }, warnings);
    const first = ticketOf(await m.launch(async () => 'first', { label: 'x', asyncMode: true }));
    await m.wait(first.job_id);
    await admin.del(`${p}:job:${first.job_id}`);
    await admin.set(`${p}:job:${first.job_id}`, 'not a hash');
    await expect(m.get(first.job_id)).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
    await expect(m.status(first.job_id)).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
    await expect(m.cancel(first.job_id)).rejects.toMatchObject({ code: 'STORE_CORRUPT' });
    for (let i = 0; i < 30; i++) await m.wait(ticketOf(await m.launch(async () => i, { label: 'churn', asyncMode: true })).job_id);
    await sleep(100);
    expect(await admin.zcard(`${p}:settled`)).toBeLessThanOrEqual(6);
    expect(warnings.filter((w) => w.includes('Retention could not prune'))).toEqual([]);
  });
});

describe('outages and partitions', () => {
  test('a partition: status and list answer STORE_UNAVAILABLE within the store deadline, not after the partition', async () => {
    const p = prefix();
    const proxy = new TcpProxy(6379);
    const port = await proxy.start();
    cleanups.push(() => proxy.stop());
    const m = manager({ prefix: p, connection: `redis://127.0.0.1:${port}` }, { storeTimeoutMs: 400 });
    const t = ticketOf(await m.launch(() => new Promise(() => undefined), { label: 'held', asyncMode: true }));
    proxy.pause();
    const status = await timed(m.status(t.job_id));
    const list = await timed(m.list());
    proxy.resume();
    expect(status.error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(list.error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(status.ms).toBeLessThan(1_500);
    expect(list.ms).toBeLessThan(1_500);
    expect((await m.status(t.job_id)).job.status).toBe('running');
    await m.cancel(t.job_id);
  });

  test("wait({ timeoutMs: 500 }) while Redis is silent ends within its timeout; a fresh manager's status() within one store deadline", async () => {
    const p = prefix();
    const proxy = new TcpProxy(6379);
    const port = await proxy.start();
    cleanups.push(() => proxy.stop());
    const m = manager({ prefix: p, connection: `redis://127.0.0.1:${port}` }, { storeTimeoutMs: 1_000 });
    const t = ticketOf(await m.launch(() => new Promise(() => undefined), { label: 'held', asyncMode: true }));
    proxy.pause();
    const waited = await timed(m.wait(t.job_id, { timeoutMs: 500 }));
    expect(waited.error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(waited.ms).toBeLessThan(900);
    // a fresh manager: its first lease sweep and the read share one deadline
    const fresh = manager({ prefix: p, connection: `redis://127.0.0.1:${port}` }, { storeTimeoutMs: 1_000 });
    const status = await timed(fresh.status(t.job_id));
    proxy.resume();
    expect(status.error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(status.ms).toBeLessThan(1_700);
  });

  test('close() during a partition returns on time and leaves no socket open: the process exits by itself', async () => {
    const p = prefix();
    const proxy = new TcpProxy(6379);
    const port = await proxy.start();
    cleanups.push(() => proxy.stop());
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'test/fixtures/redis-close-partition.ts', `redis://127.0.0.1:${port}`, p],
      {
        cwd: join(__dirname, '..', '..'),
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    cleanups.push(async () => void child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    for (let i = 0; i < 200 && !out.includes('launched'); i++) await sleep(50);
    proxy.pause();
    const exit = await new Promise<number | null>((r) => {
      const t = setTimeout(() => r(null), 8_000);
      child.once('exit', (code) => {
        clearTimeout(t);
        r(code);
      });
    });
    proxy.resume();
    expect(exit).toBe(0);
    const closedMs = Number(/closed (\d+)/.exec(out)?.[1]);
    expect(closedMs).toBeLessThan(100 + 500 + 1_000); // grace + one store deadline, with room
  }, 20_000);

  test('a launch refused with STORE_UNAVAILABLE leaves no ghost: a create that lands late is made final at once', async () => {
    const p = prefix();
    const proxy = new TcpProxy(6379);
    const port = await proxy.start();
    cleanups.push(() => proxy.stop());
    const m = manager({ prefix: p, connection: `redis://127.0.0.1:${port}`, leaseMs: 5_000 }, { storeTimeoutMs: 300 });
    await m.health(); // connected
    proxy.pause();
    let aborted = false;
    const launched = await timed(
      m.launch(() => new Promise<void>((r) => jobContext()!.signal.addEventListener('abort', () => ((aborted = true), r()))), {
        label: 'ghost',
        asyncMode: true,
      }),
    );
    expect(launched.error).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    proxy.resume(); // the held create lands now
    await sleep(300);
    const other = manager({ prefix: p, leaseMs: 5_000 });
    const jobs = await other.list();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).toMatchObject({ label: 'ghost', status: 'cancelled', error: { code: 'STORE_UNAVAILABLE' } });
    expect(await admin.zcard(`${p}:active`)).toBe(0);
    expect(aborted).toBe(false); // asyncMode: the work never started
  });

  test("a key whose reservation missed its deadline: STORE_UNAVAILABLE, the work not started; the late reservation is withdrawn and the client's retry runs the work once", async () => {
    const p = prefix();
    const proxy = new TcpProxy(6379);
    const port = await proxy.start();
    cleanups.push(() => proxy.stop());
    const m = manager({ prefix: p, connection: `redis://127.0.0.1:${port}`, leaseMs: 5_000 }, { storeTimeoutMs: 300 });
    await m.health();
    let runs = 0;
    const work = async (): Promise<string> => (runs++, 'paid');
    proxy.pause();
    await expect(m.launch(work, { label: 'pay', idempotencyKey: 'k-late', fingerprint: 'f' })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
    });
    expect(runs).toBe(0);
    proxy.resume(); // the held reservation lands now, and is withdrawn
    await sleep(300);
    const [ghost] = await m.list({ label: 'pay' });
    expect(ghost).toMatchObject({ status: 'cancelled', error: { code: 'STORE_UNAVAILABLE' } });
    expect(await m.launch(work, { label: 'pay', idempotencyKey: 'k-late', fingerprint: 'f' })).toBe('paid');
    expect(runs).toBe(1);
  });

  test('an outage longer than 2 s: a wait from another process rides it out and sees the outcome, never JOB_NOT_FOUND', async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.remove());
    const p = `outage-${randomUUID().slice(0, 8)}`;
    const a = manager({ prefix: p, connection: redis.url, leaseMs: 10_000, connectTimeoutMs: 300 }, { storeTimeoutMs: 500 });
    const b = manager(
      { prefix: p, connection: redis.url, leaseMs: 10_000, connectTimeoutMs: 300 },
      { storeTimeoutMs: 500, pollIntervalMs: 100 },
    );
    const t = ticketOf(await a.launch(() => sleep(1_000).then(() => 'survived'), { label: 'x', asyncMode: true }));
    expect((await b.status(t.job_id)).job.status).not.toBe('completed'); // B is connected and sees the job
    const waited = b.wait(t.job_id, { timeoutMs: 20_000 });
    await sleep(100); // its first read is answered before the outage
    await redis.stop();
    await sleep(3_000); // the work finished meanwhile; its outcome waits for Redis
    await redis.start();
    expect(await waited).toMatchObject({ status: 'completed', result: 'survived' });
  }, 30_000);

  test('close with Redis down returns within the grace plus one deadline, however many jobs run', async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.remove());
    const m = manager({ prefix: 'close', connection: redis.url, connectTimeoutMs: 300 }, { closeGraceMs: 100, storeTimeoutMs: 500 });
    for (let i = 0; i < 20; i++) await m.launch(() => new Promise(() => undefined), { label: `held-${i}`, asyncMode: true });
    await redis.stop();
    const closed = await timed(m.close());
    expect(closed.error).toBeUndefined();
    expect(closed.ms).toBeLessThan(100 + 500 + 1_000);
  }, 20_000);

  test('concurrent calls during an outage each fail with their own words', async () => {
    const redis = await PrivateRedis.start();
    cleanups.push(() => redis.remove());
    const m = manager({ prefix: 'words', connection: redis.url, connectTimeoutMs: 300 });
    await redis.stop();
    const [list, status, launch] = await Promise.all([
      m.list().catch((e: Error) => e.message),
      m.status(randomUUID()).catch((e: Error) => e.message),
      m.launch(async () => 1, { label: 'x', asyncMode: true }).catch((e: Error) => e.message),
    ]);
    expect(list).toContain('list jobs');
    expect(status).toContain('read a job');
    expect(launch).toContain('create a job');
  });
});

describe('lost records and sweeps', () => {
  test('a record that vanishes (FLUSHDB, a restart without persistence): the wait here ends when the work does, and the outcome is reported', async () => {
    const p = prefix();
    const warnings: string[] = [];
    const m = manager({ prefix: p }, {}, warnings);
    const t = ticketOf(await m.launch(() => sleep(400).then(() => 'orphan'), { label: 'x', asyncMode: true }));
    const waited = timed(m.wait(t.job_id, { timeoutMs: 10_000 }));
    await sleep(100);
    const keys = await admin.keys(`${p}:*`);
    await admin.del(...keys);
    const { ms, error } = await waited;
    expect(error).toMatchObject({ code: 'JOB_NOT_FOUND' });
    expect(ms).toBeLessThan(3_000);
    expect(warnings.some((w) => w.includes(t.job_id) && w.includes('gone'))).toBe(true);
  });

  test('10,000 jobs orphaned by a dead process are all marked stale within about the lease', async () => {
    const p = prefix();
    const seeder = new RedisJobStore({ prefix: p, onWarning: () => undefined });
    cleanups.push(() => seeder.close());
    const now = new Date().toISOString();
    const base: Omit<JobRecord, 'id'> = {
      label: 'orphan',
      status: 'running',
      created_at: now,
      started_at: now,
      completed_at: null,
      updated_at: now,
      result: null,
      error: null,
      progress: null,
    };
    for (let i = 0; i < 10_000; i += 500) {
      await Promise.all(
        Array.from({ length: 500 }, () => seeder.create({ ...base, id: randomUUID() }, { runner: 'dead', expiresAt: Date.now() - 1 })),
      );
    }
    const leaseMs = 2_000;
    const started = Date.now();
    const m = manager({ prefix: p, leaseMs });
    await m.list({ limit: 1 }); // reads wait for the first sweep
    const counts = (await m.health()).counts;
    expect(counts.running).toBe(0);
    expect(counts.stale).toBe(10_000);
    expect(Date.now() - started).toBeLessThan(1.5 * leaseMs);
    expect(await seeder.expireLeases(Date.now(), stalePatch('again'), 10)).toEqual([]);
  }, 60_000);
});

test('a job whose work outlives a partition longer than the lease is told with JOB_STALE (see partition.test.ts for the whole story)', async () => {
  const p = prefix();
  const proxy = new TcpProxy(6379);
  const port = await proxy.start();
  cleanups.push(() => proxy.stop());
  const a = manager({ prefix: p, connection: `redis://127.0.0.1:${port}`, leaseMs: 400 }, { storeTimeoutMs: 300 });
  manager({ prefix: p, leaseMs: 400 }); // the sweeper on the other side
  let reason: unknown;
  await a.launch(
    async () => {
      const { signal } = jobContext()!;
      await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
      reason = signal.reason;
    },
    { label: 'x', asyncMode: true },
  );
  await sleep(50);
  proxy.pause();
  await sleep(1_200);
  proxy.resume();
  for (let i = 0; i < 40 && !reason; i++) await sleep(50);
  expect(reason).toMatchObject({ code: 'JOB_STALE' });
});
