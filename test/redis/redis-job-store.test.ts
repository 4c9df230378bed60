import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { jobContext, JobManager, SmartAsyncConfigError, StoreUnavailableError, type JobRecord } from '../../src';
import { RedisJobStore } from '../../src/redis';
import { compileFixtures } from '../support/build';
import { exited, killChildren, startChild } from '../support/child';
import { ticketOf } from '../fixtures/ticket';

/**
 * Against the real Redis on 127.0.0.1:6379 (each test under its own prefix), and, for the
 * outage test, a private redis-server this test starts and restarts on another port.
 */
let fixture: (name: string) => string;
let admin: Redis;
beforeAll(() => {
  fixture = compileFixtures('redis');
  admin = new Redis('redis://127.0.0.1:6379');
}, 120_000);
afterAll(async () => {
  await admin.quit();
});

const closers: Array<() => Promise<unknown>> = [];
const prefixes: string[] = [];
afterEach(async () => {
  killChildren();
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  for (const p of prefixes.splice(0)) {
    const keys = await admin.keys(`${p}:*`); // test cleanup only; the store itself never scans
    if (keys.length > 0) await admin.del(...keys);
  }
});

function prefix(): string {
  const p = `test-${randomUUID().slice(0, 8)}`;
  prefixes.push(p);
  return p;
}

function manager(p: string, opts: { leaseMs?: number; port?: number; connectTimeoutMs?: number } = {}): JobManager {
  const store = new RedisJobStore({
    connection: `redis://127.0.0.1:${opts.port ?? 6379}`,
    prefix: p,
    leaseMs: opts.leaseMs ?? 600,
    connectTimeoutMs: opts.connectTimeoutMs,
    onWarning: () => undefined,
  });
  const m = new JobManager(store, { onWarning: () => undefined, closeGraceMs: 200 });
  closers.push(() => m.close());
  return m;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('several processes', () => {
  test('a job started in one process is seen, waited for and cancelled from another, and the cancel aborts its work', async () => {
    const p = prefix();
    const a = startChild(fixture('redis-worker.ts'), ['6379', p, 'hold', '2']);
    const [first, second] = JSON.parse((await a.next(/^ready /)).slice(6)) as string[];
    const b = manager(p);
    expect((await b.status(first!)).job).toMatchObject({ status: 'running', label: 'hold-0' });
    expect((await b.list()).map((j) => j.id).sort()).toEqual([first, second].sort());
    const waited = b.wait(first!, { timeoutMs: 10_000 });
    const sent = Date.now();
    expect((await b.cancel(first!, 'from B')).status).toBe('cancelled');
    const line = await a.next(new RegExp(`^aborted ${first}`));
    const latency = Number(line.split(' ')[2]) - sent;
    expect(latency).toBeLessThan(2_000); // the target (< 100 ms) is measured by the benchmark
    expect(await waited).toMatchObject({ status: 'cancelled', error: { message: 'from B' } });
    expect((await b.get(second!))?.status).toBe('running');
  });

  test('a process killed with SIGKILL leaves no job running: another marks it stale within two leases', async () => {
    const p = prefix();
    const a = startChild(fixture('redis-worker.ts'), ['6379', p, 'hold', '1']);
    const [id] = JSON.parse((await a.next(/^ready /)).slice(6)) as string[];
    const b = manager(p);
    await sleep(1_000); // A keeps renewing its lease meanwhile
    expect((await b.get(id!))?.status).toBe('running');
    const waited = b.wait(id!, { timeoutMs: 10_000 });
    const killedAt = Date.now();
    a.child.kill('SIGKILL');
    await exited(a.child);
    const job = await waited;
    expect(job).toMatchObject({ status: 'stale', error: { name: 'StaleJobError' } });
    expect(Date.now() - killedAt).toBeLessThan(2 * 600 + 1_000);
  });

  test('conflicting transitions from two processes: exactly one wins for each job, and counts stay right', async () => {
    const p = prefix();
    const a = manager(p);
    const b = manager(p);
    const storeA = new RedisJobStore({ prefix: p, onWarning: () => undefined });
    const storeB = new RedisJobStore({ prefix: p, onWarning: () => undefined });
    closers.push(
      () => storeA.close(),
      () => storeB.close(),
    );
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) {
      const t = await a.launch(() => new Promise(() => undefined), { label: 'race', asyncMode: true });
      ids.push(ticketOf(t).job_id);
    }
    await sleep(50);
    const results = await Promise.all(
      ids.flatMap((id) => [
        storeA.update(id, { status: 'completed', result: 'A', completed_at: new Date().toISOString() }, ['pending', 'running']),
        storeB.update(id, { status: 'cancelled', completed_at: new Date().toISOString() }, ['pending', 'running']),
      ]),
    );
    const winners = results.filter((r) => r !== undefined) as JobRecord[];
    expect(winners).toHaveLength(40);
    for (const id of ids) expect(winners.filter((w) => w.id === id)).toHaveLength(1);
    const counts = await b.health();
    expect(counts.counts.completed + counts.counts.cancelled).toBe(40);
    expect(counts.counts.running + counts.counts.pending).toBe(0);
  });
});

describe('data in Redis', () => {
  test('a malformed record is reported and skipped; listing still works', async () => {
    const p = prefix();
    const warnings: string[] = [];
    const store = new RedisJobStore({ prefix: p, onWarning: (w) => warnings.push(w) });
    const m = new JobManager(store);
    closers.push(() => m.close());
    const t = await m.launch(async () => 'fine', { label: 'good', asyncMode: true });
    await m.wait(ticketOf(t).job_id);
    await admin.hset(`${p}:job:evil`, 'id', '"evil"', 'status', 'exploded', 'label', 'not json');
    await admin.zadd(`${p}:jobs`, Date.now() + 1000, 'evil');
    const jobs = await m.list();
    expect(jobs.map((j) => j.id)).toEqual([ticketOf(t).job_id]);
    expect(warnings.join('\n')).toMatch(/malformed job record/);
    await m.list();
    expect(warnings.filter((w) => w.includes('evil'))).toHaveLength(1); // reported once, not at every list
    await expect(m.get('evil')).rejects.toMatchObject({ code: 'STORE_CORRUPT' }); // malformed is not "not found"
  });

  test('retention keeps Redis bounded through the sorted sets', async () => {
    const p = prefix();
    const store = new RedisJobStore({ prefix: p, onWarning: () => undefined });
    const m = new JobManager(store, { retention: { maxJobs: 10 } });
    closers.push(() => m.close());
    for (let i = 0; i < 60; i++) {
      const t = await m.launch(async () => ({ i }), { label: 'churn', asyncMode: true });
      await m.wait(ticketOf(t).job_id);
    }
    await sleep(50);
    expect((await m.list()).length).toBeLessThanOrEqual(11);
    const keys = await admin.keys(`${p}:*`);
    expect(keys.length).toBeLessThanOrEqual(11 + 5);
    expect(await admin.zcard(`${p}:jobs`)).toBeLessThanOrEqual(11);
    const h = await m.health();
    expect(h.total).toBeLessThanOrEqual(11);
  });

  test('bad options are refused', () => {
    expect(() => new RedisJobStore({ prefix: 'has space' })).toThrow(SmartAsyncConfigError);
    expect(() => new RedisJobStore({ leaseMs: 5 })).toThrow(SmartAsyncConfigError);
  });
});

describe('Redis down', () => {
  const PORT = 6390 + Math.floor(Math.random() * 50);
  let server: ChildProcess | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'smart-async-redis-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
  const startRedis = async (): Promise<void> => {
    // persistent (append-only file), so that a restart keeps the jobs, as a production Redis does
    server = spawn(
      'redis-server',
      ['--port', String(PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dataDir],
      { stdio: 'ignore' },
    );
    const probe = new Redis({ port: PORT, lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: null });
    probe.on('error', () => undefined);
    await probe.connect().catch(() => undefined);
    await probe.ping();
    probe.disconnect();
  };
  const stopRedis = async (): Promise<void> => {
    server?.kill('SIGKILL');
    if (server) await exited(server);
    server = undefined;
  };
  afterEach(async () => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
    await stopRedis();
  });

  test('Redis down at start: calls fail with STORE_UNAVAILABLE and nothing crashes', async () => {
    const m = manager(prefix(), { port: PORT, connectTimeoutMs: 300 });
    const err = await m.launch(async () => 1, { label: 'x', asyncMode: true }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    await expect(m.list()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect((await m.health()).status).toBe('unavailable');
  });

  test('Redis restarted mid-job: the running work finishes and its outcome is written once Redis is back', async () => {
    await startRedis();
    const p = prefix();
    const a = startChild(fixture('redis-worker.ts'), [String(PORT), p, 'slow', '1500']);
    const id = (await a.next(/^ticket /)).slice(7);
    await stopRedis();
    await sleep(300);
    await startRedis();
    // the worker's settle write failed while Redis was down and is retried until it answers
    expect(await a.next(/^settled /, 20_000)).toBe('settled completed');
    const b = manager(p, { port: PORT });
    expect(await b.get(id)).toMatchObject({ status: 'completed', result: { finished: true } });
  }, 30_000);
});

describe('samples of use', () => {
  test('jobContext progress written from one process is read from another', async () => {
    const p = prefix();
    const a = manager(p);
    const b = manager(p);
    const t = await a.launch(
      async () => {
        jobContext()!.reportProgress(3, 10, 'a third');
        await sleep(400);
        return 'ok';
      },
      { label: 'progress', asyncMode: true },
    );
    await sleep(350);
    expect((await b.get(ticketOf(t).job_id))?.progress).toEqual({ current: 3, total: 10, message: 'a third' });
    expect((await b.wait(ticketOf(t).job_id)).result).toBe('ok');
  });
});

describe('filtered lists read their own indexes', () => {
  const statuses = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
  async function fill(store: RedisJobStore): Promise<JobRecord[]> {
    const t0 = Date.parse('2026-12-01T00:00:00.000Z');
    for (let i = 0; i < 240; i++) {
      const at = new Date(t0 + Math.floor(i / 3) * 1000).toISOString(); // ties of three: the merge must keep one order
      const job: JobRecord = {
        id: randomUUID(),
        label: `label-${i % 4}`,
        status: 'running',
        created_at: at,
        started_at: at,
        completed_at: null,
        updated_at: at,
        result: null,
        error: null,
        progress: null,
      };
      if (i % 5 !== 0) job.owner = `owner-${i % 3}`;
      await store.create(job);
      const to = statuses[(i * 7) % statuses.length]!;
      if (to === 'pending') {
        await store.create({ ...job, id: randomUUID(), status: 'pending', started_at: null });
      } else if (to !== 'running') {
        await store.update(job.id, { status: to, completed_at: at });
      }
    }
    return store.list();
  }

  test('every combination of owner, statuses, label and limit answers as a filter over the whole list would', async () => {
    const p = prefix();
    const store = new RedisJobStore({ prefix: p, onWarning: () => undefined });
    closers.push(() => store.close());
    const all = await fill(store);
    expect(all.length).toBeGreaterThan(240);
    const ownerSets = [undefined, 'owner-0', 'owner-2', 'nobody'];
    const statusSets = [undefined, ['running'], ['completed', 'failed'], ['pending', 'running', 'cancelled']] as const;
    const labels = [undefined, 'label-1'];
    for (const owner of ownerSets)
      for (const st of statusSets)
        for (const label of labels)
          for (const limit of [undefined, 1, 7, 50]) {
            const expected = all
              .filter(
                (j) =>
                  (owner === undefined || j.owner === owner) &&
                  (!st || (st as readonly string[]).includes(j.status)) &&
                  (label === undefined || j.label === label),
              )
              .slice(0, limit ?? Infinity)
              .map((j) => j.id);
            const got = (await store.list({ owner, statuses: st as JobRecord['status'][] | undefined, label, limit })).map((j) => j.id);
            expect({ owner, st, label, limit, ids: got }).toEqual({ owner, st, label, limit, ids: expected });
          }
  });

  test('jobs written before the indexes existed are indexed by the first list (a store of 0.2 upgraded in place)', async () => {
    const p = prefix();
    const store = new RedisJobStore({ prefix: p, onWarning: () => undefined });
    closers.push(() => store.close());
    const all = await fill(store);
    // what 0.2 left: no filter indexes, no schema mark
    const indexKeys = [
      ...(await admin.keys(`${p}:s:*`)),
      ...(await admin.keys(`${p}:o:*`)),
      ...(await admin.keys(`${p}:os:*`)),
      ...(await admin.keys(`${p}:l:*`)),
      `${p}:schema`,
    ];
    await admin.del(...indexKeys);
    const upgraded = new RedisJobStore({ prefix: p, onWarning: () => undefined });
    closers.push(() => upgraded.close());
    const mine = await upgraded.list({ owner: 'owner-1', statuses: ['completed'], limit: 20 });
    expect(mine.map((j) => j.id)).toEqual(
      all
        .filter((j) => j.owner === 'owner-1' && j.status === 'completed')
        .slice(0, 20)
        .map((j) => j.id),
    );
    expect(await admin.get(`${p}:schema`)).toBe('2');
  });

  test('prune removes a job from every index it was in', async () => {
    const p = prefix();
    const store = new RedisJobStore({ prefix: p, onWarning: () => undefined });
    closers.push(() => store.close());
    await fill(store);
    await store.prune({ statuses: ['completed', 'failed', 'cancelled', 'stale'], settledBefore: '2100-01-01T00:00:00.000Z' });
    const left = await store.list();
    expect(left.every((j) => j.status === 'pending' || j.status === 'running')).toBe(true);
    for (const key of [
      ...(await admin.keys(`${p}:s:*`)),
      ...(await admin.keys(`${p}:o:*`)),
      ...(await admin.keys(`${p}:os:*`)),
      ...(await admin.keys(`${p}:l:*`)),
    ]) {
      const ids = await admin.zrange(key, 0, -1);
      for (const id of ids) expect(left.some((j) => j.id === id)).toBe(true);
    }
  });
});

test('idempotency across processes: two managers on one Redis, one key at the same instant — the work runs once, every caller gets its value', async () => {
  const p = prefix();
  const a = manager(p);
  const b = manager(p);
  let runs = 0;
  const work = async (): Promise<string> => {
    runs++;
    await sleep(50);
    return 'once';
  };
  const call = (m: JobManager): Promise<unknown> =>
    m.launch(work, { label: 'pay', idempotencyKey: 'redis-race', fingerprint: 'f', timeoutMs: 2_000 });
  expect(await Promise.all([call(a), call(b), call(a), call(b)])).toEqual(['once', 'once', 'once', 'once']);
  expect(runs).toBe(1);
  await expect(b.launch(work, { label: 'pay', idempotencyKey: 'redis-race', fingerprint: 'other' })).rejects.toMatchObject({
    code: 'IDEMPOTENCY_KEY_REUSED',
  });
});
