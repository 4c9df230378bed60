import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { FileJobStore, isFinal, isoTime, JobManager, type JobRecord, type JobStore } from '../../src';
import { Pool } from 'pg';
import { PostgresJobStore } from '../../src/postgres';
import { RedisJobStore } from '../../src/redis';
import { compileFixtures } from '../support/build';
import { exited } from '../support/child';

/**
 * Durable jobs across real processes on a shared store (a file store directory, and the Redis on
 * 127.0.0.1:6379 under a prefix of its own): a process killed with SIGKILL mid-work has its job
 * finished by another, and a rolling restart of three workers under load finishes every job once.
 */
let fixture: (name: string) => string;
let admin: Redis;
beforeAll(() => {
  fixture = compileFixtures('durable');
  admin = new Redis('redis://127.0.0.1:6379');
}, 120_000);
afterAll(async () => {
  await admin.quit();
});

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const children: ChildProcess[] = [];
const cleanups: Array<() => Promise<unknown> | unknown> = [];
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Place {
  name: string;
  /** The STORE argument of the worker. */
  arg: string;
  open(): JobStore;
}

function filePlace(): Place {
  const dir = mkdtempSync(join(tmpdir(), 'smart-async-durable-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'jobs');
  return { name: 'file', arg: `file:${path}`, open: () => new FileJobStore({ path, leaseMs: 1_000, onWarning: () => undefined }) };
}

function redisPlace(): Place {
  const prefix = `durable-${randomUUID().slice(0, 8)}`;
  cleanups.push(async () => {
    const keys = await admin.keys(`${prefix}:*`); // test cleanup only
    if (keys.length > 0) await admin.del(...keys);
  });
  const url = 'redis://127.0.0.1:6379';
  return {
    name: 'redis',
    arg: `redis:${url}|${prefix}`,
    open: () => new RedisJobStore({ connection: url, prefix, leaseMs: 1_000, onWarning: () => undefined }),
  };
}

/** Starts a worker; resolves once it printed a line matching `ready`. */
async function worker(place: Place, effects: string, args: string[], ready: RegExp): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, [fixture('durable-worker.ts'), place.arg, effects, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let out = '';
  const line = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`worker said ${JSON.stringify(out)}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const hit = out.split('\n').find((l) => ready.test(l));
      if (hit) {
        clearTimeout(t);
        resolve(hit);
      }
    });
  });
  return { child, line };
}

const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter(Boolean);

function postgresPlace(): Place {
  const schema = `durable_${randomUUID().slice(0, 8)}`;
  const url = 'postgres://postgres@127.0.0.1:5432/postgres';
  cleanups.push(async () => {
    const pool = new Pool({ connectionString: url });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });
  return {
    name: 'postgres',
    arg: `postgres:${url}|${schema}`,
    open: () => new PostgresJobStore({ connection: url, schema, leaseMs: 1_000, onWarning: () => undefined }),
  };
}

describe.each([
  ['file store', filePlace],
  ['Redis', redisPlace],
  ['PostgreSQL', postgresPlace],
])('%s', (_, makePlace) => {
  test('a process killed with SIGKILL mid-work: another process finishes its durable job (attempt 2, its result), the step is not run again, settled once', async () => {
    const place = makePlace();
    const effects = join(mkdtempSync(join(tmpdir(), 'smart-async-effects-')), 'effects');
    writeFileSync(effects, '');
    const watcher = new JobManager(place.open(), { onWarning: () => undefined });
    cleanups.push(() => watcher.close());
    const settled: string[] = [];
    watcher.on('settled', (j) => settled.push(j.id));

    const { child, line } = await worker(place, effects, ['call', 'order-7'], /^ticket /);
    const id = line.split(' ')[1]!;
    for (let i = 0; i < 100 && !lines(effects).includes('charge order-7'); i++) await sleep(50);
    expect((await watcher.get(id))?.status).toBe('running');
    child.kill('SIGKILL');
    await exited(child);

    await worker(place, effects, ['work'], /^ready$/);
    const job = await watcher.wait(id, { timeoutMs: 20_000 });
    expect(job).toMatchObject({
      status: 'completed',
      result: 'charged order-7',
      attempt: 2,
      call: { target: 'test.reports.charge', args: ['order-7'] },
    });
    expect(job.history).toEqual([expect.objectContaining({ attempt: 1, status: 'stale' })]);
    expect(lines(effects)).toEqual(['charge order-7']); // the step ran once, in the killed process
    await sleep(300);
    expect(settled.filter((s) => s === id)).toHaveLength(1);
  }, 60_000);

  test('a rolling restart of three workers under load (SIGTERM, grace shorter than the jobs) finishes every durable job once; no record leaves a final state', async () => {
    const place = makePlace();
    const effects = join(mkdtempSync(join(tmpdir(), 'smart-async-effects-')), 'effects');
    writeFileSync(effects, '');
    const store = place.open();
    cleanups.push(() => store.close());
    // Every change the store reports, per job: nothing may follow a final status.
    const seen = new Map<string, string[]>();
    const unwatch = store.watch?.((j: JobRecord) => {
      const list = seen.get(j.id) ?? [];
      list.push(j.status);
      seen.set(j.id, list);
    });
    cleanups.push(() => unwatch?.());
    const now = isoTime();
    const ids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const job: JobRecord = {
        id: randomUUID(),
        label: 'build',
        status: 'pending',
        created_at: now,
        started_at: null,
        completed_at: null,
        updated_at: now,
        result: null,
        error: null,
        progress: null,
        call: { target: 'test.reports.build', args: [`j${i}`, 1_500 + (i % 7) * 100] },
        attempt: 0,
        max_attempts: 5,
        run_at: now,
        history: [],
      };
      ids.push(job.id);
      await store.create(job);
    }
    const workers = await Promise.all([0, 1, 2].map(() => worker(place, effects, ['work'], /^ready$/)));
    await sleep(400);
    for (let w = 0; w < 3; w++) {
      workers[w]!.child.kill('SIGTERM');
      await exited(workers[w]!.child);
      expect(workers[w]!.child.exitCode).toBe(0);
      workers[w] = await worker(place, effects, ['work'], /^ready$/);
      await sleep(500);
    }
    const watcher = new JobManager(place.open(), { onWarning: () => undefined });
    cleanups.push(() => watcher.close());
    const done = await Promise.all(ids.map((id) => watcher.wait(id, { timeoutMs: 40_000 })));
    expect(done.filter((j) => j.status !== 'completed')).toEqual([]);
    const counted = new Map<string, number>();
    for (const l of lines(effects)) counted.set(l, (counted.get(l) ?? 0) + 1);
    expect(counted.size).toBe(200);
    expect([...counted.values()].every((n) => n === 1)).toBe(true);
    // the restarts did hand work back: some jobs went running → pending → running
    const handedBack = [...seen.values()].filter((s) => s.some((x, i) => x === 'pending' && s.slice(0, i).includes('running'))).length;
    expect(handedBack).toBeGreaterThan(0);
    for (const [id, statuses] of seen) {
      const final = statuses.findIndex((s) => isFinal(s as JobRecord['status']));
      if (final >= 0) expect({ id, after: statuses.slice(final + 1).filter((s) => s !== statuses[final]) }).toEqual({ id, after: [] });
    }
  }, 120_000);
});
