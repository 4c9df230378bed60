import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FileJobStore,
  isJobTicket,
  jobContext,
  JobManager,
  SmartAsyncConfigError,
  stalePatch,
  StoreUnavailableError,
  type JobRecord,
} from '../../src';
import { compileFixtures } from '../support/build';
import { exited, killChildren, startChild, type Child } from '../support/child';
import { ticketOf } from '../fixtures/ticket';

let fixture: (name: string) => string;
beforeAll(() => {
  fixture = compileFixtures('file-store');
}, 120_000);

const dirs: string[] = [];
const managers: JobManager[] = [];
afterEach(async () => {
  killChildren();
  await Promise.all(managers.splice(0).map((m) => m.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'smart-async-file-'));
  dirs.push(d);
  return join(d, 'store');
}

function manager(path: string, warnings: string[] = []): JobManager {
  const onWarning = (w: string): void => void warnings.push(w);
  const m = new JobManager(new FileJobStore({ path, leaseMs: 600, watchIntervalMs: 30, onWarning }), { onWarning });
  managers.push(m);
  return m;
}

function quietStore(path: string, warnings: string[] = []): FileJobStore {
  return new FileJobStore({ path, onWarning: (w) => warnings.push(w) });
}

function worker(path: string, ...args: string[]): Child {
  return startChild(fixture('file-worker.ts'), [path, ...args]);
}

describe('durability and restarts', () => {
  test('jobs survive a restart with identical records', async () => {
    const path = tempDir();
    const first = manager(path);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const t = await first.launch(async () => ({ i }), { label: `job-${i}`, asyncMode: true, owner: 'ann' });
      ids.push(ticketOf(t).job_id);
    }
    const settled = await Promise.all(ids.map((id) => first.wait(id)));
    await first.close();
    const second = manager(path);
    for (const job of settled) expect(await second.get(job.id)).toEqual(job);
    expect((await second.list({ owner: 'ann' })).map((j) => j.id)).toEqual([...ids].reverse());
  });

  test('jobs a killed process left running become stale; its settled jobs stay as they were', async () => {
    const path = tempDir();
    const w = worker(path, 'hold', '3');
    const ids = JSON.parse((await w.next(/^ready /)).slice(6)) as string[];
    w.child.kill('SIGKILL');
    await exited(w.child);
    const warnings: string[] = [];
    const m = manager(path, warnings);
    const jobs = await m.list();
    expect(jobs).toHaveLength(4);
    for (const id of ids) {
      expect(await m.get(id)).toMatchObject({ status: 'stale', error: { name: 'StaleJobError' } });
    }
    expect(jobs.find((j) => j.label === 'quick')).toMatchObject({ status: 'completed', result: 'finished' });
  });

  test('a live process’s jobs are never marked stale by another', async () => {
    const path = tempDir();
    const w = worker(path, 'hold', '2');
    const ids = JSON.parse((await w.next(/^ready /)).slice(6)) as string[];
    const store = quietStore(path);
    const m = new JobManager(store);
    managers.push(m);
    expect(await store.expireLeases(Date.now(), stalePatch('test'), 100)).toEqual([]);
    for (const id of ids) expect((await m.get(id))?.status).toBe('running');
    await new Promise((r) => setTimeout(r, 1_300)); // two of the worker's leases, renewed meanwhile
    expect(await store.expireLeases(Date.now(), stalePatch('test'), 100)).toEqual([]);
    for (const id of ids) expect((await m.get(id))?.status).toBe('running');
  });

  test('a store that is open notices when another process dies, and its waiters hear of it', async () => {
    const path = tempDir();
    const w = worker(path, 'hold', '1');
    const [id] = JSON.parse((await w.next(/^ready /)).slice(6)) as string[];
    const m = manager(path);
    const waited = m.wait(id!, { timeoutMs: 10_000 });
    w.child.kill('SIGKILL');
    expect(await waited).toMatchObject({ status: 'stale' });
  });

  test('a kill -9 at any moment leaves a store that loads and holds every job whose ticket was handed out', async () => {
    const path = tempDir();
    const rounds = 15;
    let tickets = 0;
    for (let round = 0; round < rounds; round++) {
      const w = worker(path, 'churn');
      await w.next(/^ticket /);
      await new Promise((r) => setTimeout(r, Math.random() * 150));
      w.child.kill('SIGKILL');
      await exited(w.child);
      const handedOut = w.lines.filter((l) => l.startsWith('ticket ')).map((l) => l.slice(7));
      tickets += handedOut.length;
      const store = quietStore(path);
      for (const id of handedOut) expect(await store.get(id)).toBeDefined();
      await store.close();
    }
    // A manager that opens the store marks the killed processes' jobs stale before its first answer.
    const warnings: string[] = [];
    const m = manager(path, warnings);
    const all = await m.list();
    expect(all.length).toBeGreaterThanOrEqual(tickets);
    expect(all.filter((j) => j.status === 'running' || j.status === 'pending')).toEqual([]);
    expect(warnings.filter((w) => w.includes('corrupt'))).toEqual([]);
  }, 90_000);
});

describe('several processes on one path', () => {
  test('two processes writing at once lose nothing of each other’s jobs', async () => {
    const path = tempDir();
    const a = worker(path, 'burst', '150');
    const b = worker(path, 'burst', '150');
    await Promise.all([a.next(/^done$/), b.next(/^done$/)]);
    const m = manager(path);
    const jobs = await m.list();
    expect(jobs).toHaveLength(300);
    expect(jobs.every((j) => j.status === 'completed')).toBe(true);
    expect(new Set(jobs.map((j) => j.label)).size).toBe(2);
  });

  test('each process sees the other’s jobs, and a cancel from one aborts the work in the other', async () => {
    const path = tempDir();
    const w = worker(path, 'hold', '1');
    const [id] = JSON.parse((await w.next(/^ready /)).slice(6)) as string[];
    const m = manager(path);
    expect((await m.status(id!)).job).toMatchObject({ label: 'hold-0', status: 'running' });
    const mine = await m.launch(async () => 'parent', { label: 'from-parent', asyncMode: true });
    expect(isJobTicket(mine)).toBe(true);
    expect((await m.cancel(id!, 'from the other process')).status).toBe('cancelled');
    expect(await w.next(new RegExp(`^aborted ${id}$`))).toBeTruthy();
    expect((await m.get(id!))?.status).toBe('cancelled');
  });
});

describe('damaged files', () => {
  async function seed(path: string, n: number): Promise<JobRecord[]> {
    const m = new JobManager(quietStore(path));
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const t = await m.launch(async () => i, { label: `seed-${i}`, asyncMode: true });
      ids.push(ticketOf(t).job_id);
    }
    const jobs = await Promise.all(ids.map((id) => m.wait(id)));
    await m.close();
    return jobs;
  }

  test('a torn last line is cut off and no complete record is lost', async () => {
    const path = tempDir();
    const jobs = await seed(path, 3);
    appendFileSync(join(path, 'jobs.jsonl'), '{"op":"put","by":"x","run":"x","job":{"id":"torn');
    const warnings: string[] = [];
    const store = quietStore(path, warnings);
    expect(await store.list()).toHaveLength(3);
    for (const j of jobs) expect(await store.get(j.id)).toEqual(j);
    expect(warnings).toEqual([expect.stringContaining('unfinished last line')]);
    expect(readFileSync(join(path, 'jobs.jsonl'), 'utf8').endsWith('}\n')).toBe(true);
    await store.close();
  });

  test.each([
    ['garbage in the middle', 'this is not json\n'],
    ['a record that fails validation', '{"op":"put","by":"x","run":"x","job":{"id":"bad","status":"exploded"}}\n'],
    ['an unknown operation', '{"op":"drop-table"}\n'],
  ])('%s is reported, the file kept aside, and every valid record kept', async (_what, bad) => {
    const path = tempDir();
    await seed(path, 2);
    const log = join(path, 'jobs.jsonl');
    const original = readFileSync(log, 'utf8');
    const lines = original.split('\n');
    writeFileSync(log, [...lines.slice(0, 2), bad.trimEnd(), ...lines.slice(2)].join('\n'));
    const damaged = readFileSync(log, 'utf8');
    const warnings: string[] = [];
    const store = quietStore(path, warnings);
    expect((await store.list()).map((j) => j.status)).toEqual(['completed', 'completed']);
    expect(warnings.join('\n')).toMatch(/1 corrupt line\(s\) skipped/);
    const aside = readdirSync(path).filter((f) => f.startsWith('jobs.jsonl.corrupt-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(path, aside[0]!), 'utf8')).toBe(damaged);
    expect(readFileSync(log, 'utf8')).not.toContain(bad.trim());
    await store.close();
  });

  test('an empty file opens as an empty store', async () => {
    const path = tempDir();
    await seed(path, 0);
    writeFileSync(join(path, 'jobs.jsonl'), '');
    const store = quietStore(path);
    expect(await store.list()).toEqual([]);
    await store.close();
  });

  test('files are private: directory 0700, log and runner files 0600', async () => {
    const path = tempDir();
    const store = quietStore(path);
    const m = new JobManager(store);
    managers.push(m);
    await m.launch(async () => 1, { label: 'x', asyncMode: true });
    expect(statSync(path).mode & 0o777).toBe(0o700);
    expect(statSync(join(path, 'jobs.jsonl')).mode & 0o777).toBe(0o600);
    const runners = readdirSync(join(path, 'runners'));
    expect(runners).toHaveLength(1);
    expect(statSync(join(path, 'runners', runners[0]!)).mode & 0o777).toBe(0o600);
  });

  test('bad options are refused and an unusable path makes every call STORE_UNAVAILABLE', async () => {
    expect(() => new FileJobStore({ path: '' })).toThrow(SmartAsyncConfigError);
    expect(() => new FileJobStore({ path: '/tmp/x', leaseMs: -1 })).toThrow(SmartAsyncConfigError);
    const file = join(tempDir() + '-file');
    writeFileSync(file, 'a file, not a directory');
    dirs.push(file);
    const store = new FileJobStore({ path: join(file, 'sub') });
    await expect(store.list()).rejects.toBeInstanceOf(StoreUnavailableError);
    const m = new JobManager(store);
    await expect(m.launch(async () => 1, { label: 'x', asyncMode: true })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await m.close();
  });
});

describe('bounded files', () => {
  test('retention and compaction keep the log bounded and never lose a live job', async () => {
    const path = tempDir();
    const store = new FileJobStore({ path, compactMinBytes: 10_000, fsync: false });
    const m = new JobManager(store, { retention: { maxJobs: 20 } });
    managers.push(m);
    const long = ticketOf(
      await m.launch(
        async () => {
          await new Promise((r) => jobContext()!.signal.addEventListener('abort', r, { once: true }));
          return 'survived';
        },
        { label: 'long-lived', asyncMode: true },
      ),
    );
    let sizeAfter200 = 0;
    for (let i = 0; i < 600; i++) {
      const t = await m.launch(async () => ({ i, pad: 'x'.repeat(100) }), { label: 'churn', asyncMode: true });
      await m.wait(ticketOf(t).job_id);
      if (i === 200) sizeAfter200 = statSync(join(path, 'jobs.jsonl')).size;
    }
    const size = statSync(join(path, 'jobs.jsonl')).size;
    expect(size).toBeLessThan(30_000);
    expect(size).toBeLessThan(sizeAfter200 * 3);
    expect((await m.get(long.job_id))?.status).toBe('running');
    expect((await m.list({ status: 'completed' })).length).toBeLessThanOrEqual(21);
    // a fresh process reads the compacted file
    const reader = quietStore(path);
    expect((await reader.get(long.job_id))?.label).toBe('long-lived');
    await reader.close();
    expect(existsSync(join(path, 'jobs.jsonl.compact'))).toBe(false);
    await m.cancel(long.job_id);
  }, 60_000);
});
