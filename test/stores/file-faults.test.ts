import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileJobStore, JobManager, jobContext, SmartAsyncConfigError, type JobRecord } from '../../src';
import { ticketOf } from '../fixtures/ticket';

/**
 * FileJobStore under faults, against real files: a full tmpfs, a read-only remount, symlinks,
 * locks in the way, torn lines, a path that is not a store. The tests run as root (tmpfs mounts);
 * every mount is undone and every directory removed after each test.
 */
const dirs: string[] = [];
const mounts: string[] = [];
const managers: JobManager[] = [];
afterEach(async () => {
  await Promise.all(managers.splice(0).map((m) => m.close().catch(() => undefined)));
  for (const m of mounts.splice(0).reverse()) execFileSync('umount', ['-l', m]);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'smart-async-faults-'));
  dirs.push(d);
  return d;
}

/** A tmpfs of `size` (e.g. '1m') mounted on a fresh directory, undone after the test. */
function tmpfs(size: string): string {
  const d = tempDir();
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', d]);
  mounts.push(d);
  return d;
}

function manager(path: string, options: Partial<ConstructorParameters<typeof FileJobStore>[0]> = {}, warnings: string[] = []): JobManager {
  const onWarning = (w: string): void => void warnings.push(w);
  const m = new JobManager(new FileJobStore({ path, onWarning, ...options }), { onWarning, closeGraceMs: 100, storeTimeoutMs: 3_000 });
  managers.push(m);
  return m;
}

async function completedJobs(m: JobManager, n: number, result: (i: number) => unknown): Promise<JobRecord[]> {
  const tickets = await Promise.all(
    Array.from({ length: n }, (_, i) => m.launch(async () => result(i), { label: `job-${i}`, asyncMode: true })),
  );
  return Promise.all(tickets.map((t) => m.wait(ticketOf(t).job_id)));
}

/** Fills a file system until about `leaveBytes` are free. */
function fillUp(dir: string, leaveBytes: number): void {
  const free = Number(execFileSync('df', ['--output=avail', '-B1', dir]).toString().split('\n')[1]);
  writeFileSync(join(dir, 'filler'), Buffer.alloc(Math.max(0, free - leaveBytes)));
}

describe('a full disk', () => {
  test('compaction on a nearly full disk loses no acknowledged record; the log stays whole', async () => {
    const mount = tmpfs('1m');
    const path = join(mount, 'store');
    const first = manager(path, { compactMinBytes: 1 << 30 });
    const done = await completedJobs(first, 60, (i) => ({ i, pad: 'x'.repeat(2_000) }));
    await first.close();
    fillUp(mount, 24 * 1024); // room for a small batch, not for a compacted copy of the log
    const warnings: string[] = [];
    const second = manager(path, { compactMinBytes: 1 }, warnings);
    const extra = await completedJobs(second, 1, () => 'small');
    expect(warnings.join('\n')).toMatch(/compaction failed, the log is kept as it is/);
    await second.close();
    rmSync(join(mount, 'filler'));
    const reader = manager(path);
    for (const job of [...done, ...extra]) expect(await reader.get(job.id)).toEqual(job);
  });

  test('a batch that does not fit is cut off whole: no torn line, and the outcome lands once there is room', async () => {
    const mount = tmpfs('2m');
    const path = join(mount, 'store');
    const warnings: string[] = [];
    const m = manager(path, {}, warnings);
    let release: () => void = () => undefined;
    const started = new Promise<void>((ready) => {
      void m.launch(() => new Promise<string>((r) => ((release = () => r('y'.repeat(600_000))), ready())), {
        label: 'big',
        asyncMode: true,
      });
    });
    await started;
    const [t] = await m.list({ label: 'big' }).then((jobs) => jobs.map((j) => ({ job_id: j.id })));
    fillUp(mount, 64 * 1024);
    release();
    await new Promise((r) => setTimeout(r, 300));
    expect(warnings.join('\n')).toMatch(/could not be stored yet; retrying/);
    const peek: string[] = [];
    const reader = new FileJobStore({ path, onWarning: (w) => peek.push(w) });
    expect((await reader.get(t!.job_id))?.status).toBe('running');
    expect(peek).toEqual([]); // no unfinished line to cut
    await reader.close();
    rmSync(join(mount, 'filler'));
    const job = await m.wait(t!.job_id, { timeoutMs: 10_000 });
    expect(job.status).toBe('completed');
  });

  test('a compaction that fails after the batch is durable does not fail the calls of that batch', async () => {
    const path = join(tempDir(), 'store');
    const warnings: string[] = [];
    const m = manager(path, { compactMinBytes: 1 }, warnings);
    await completedJobs(m, 1, () => 'warm-up');
    mkdirSync(join(path, 'jobs.jsonl.compact')); // compaction cannot create its file
    const jobs = await completedJobs(m, 5, (i) => i);
    expect(jobs.map((j) => j.status)).toEqual(['completed', 'completed', 'completed', 'completed', 'completed']);
    expect(warnings.join('\n')).toMatch(/compaction failed/);
  });
});

describe('links and paths', () => {
  test('a log that is a symbolic link is STORE_CORRUPT, and the file it points at is left alone', async () => {
    const root = tempDir();
    const path = join(root, 'store');
    mkdirSync(path, { mode: 0o700 });
    const outside = join(root, 'precious.txt');
    writeFileSync(outside, 'precious, no newline at the end');
    symlinkSync(outside, join(path, 'jobs.jsonl'));
    const m = manager(path);
    await expect(m.list()).rejects.toMatchObject({ code: 'STORE_CORRUPT', message: expect.stringContaining('symbolic link') });
    expect(readFileSync(outside, 'utf8')).toBe('precious, no newline at the end');
  });

  test('a planted compaction file is not followed: the file it points at is left alone', async () => {
    const root = tempDir();
    const path = join(root, 'store');
    const outside = join(root, 'root-only.conf');
    writeFileSync(outside, 'secret=1\n', { mode: 0o600 });
    const m = manager(path, { compactMinBytes: 1 });
    await completedJobs(m, 1, () => 'first');
    symlinkSync(outside, join(path, 'jobs.jsonl.compact'));
    const jobs = await completedJobs(m, 10, (i) => i);
    expect(readFileSync(outside, 'utf8')).toBe('secret=1\n');
    const reader = manager(path);
    for (const job of jobs) expect(await reader.get(job.id)).toEqual(job);
  });

  test('a path that is a regular file (a seed-era jobs.json) is STORE_CORRUPT naming it, and left exactly as it was', async () => {
    const file = join(tempDir(), 'jobs.json');
    writeFileSync(file, '{"jobs": {"a": {"status": "completed"}}}');
    const before = statSync(file);
    const m = manager(file);
    const err = await m.list().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STORE_CORRUPT' });
    expect((err as Error).message).toContain(file);
    expect(readFileSync(file, 'utf8')).toBe('{"jobs": {"a": {"status": "completed"}}}');
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
  });

  test("a directory holding files that are not the store's (a seed-era jobs.json beside notes) is STORE_CORRUPT naming one, left as it was", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'jobs.json'), '{"jobs": {}}');
    writeFileSync(join(dir, '.gitkeep'), '');
    const m = manager(dir);
    const err = await m.list().catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'STORE_CORRUPT', message: expect.stringContaining('"jobs.json"') });
    expect(readdirSync(dir).sort()).toEqual(['.gitkeep', 'jobs.json']); // nothing created in it
    // the store's own files and hidden files are fine
    const own = tempDir();
    writeFileSync(join(own, '.gitkeep'), '');
    expect(await completedJobs(manager(own), 2, () => 'ok')).toHaveLength(2);
  });

  test('a store directory other users may write into is refused', async () => {
    const path = join(tempDir(), 'store');
    mkdirSync(path);
    execFileSync('chmod', ['0777', path]);
    const m = manager(path);
    await expect(m.list()).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringContaining('writable by other users'),
    });
  });
});

describe('torn lines', () => {
  test('an unfinished last line is cut off and kept aside, never just thrown away', async () => {
    const path = join(tempDir(), 'store');
    const m = manager(path);
    const [job] = await completedJobs(m, 1, () => 'kept');
    await m.close();
    appendFileSync(join(path, 'jobs.jsonl'), '{"op":"put","by":"x","run":"x","job":{"id":"half');
    const warnings: string[] = [];
    const again = manager(path, {}, warnings);
    expect(await again.get(job!.id)).toEqual(job);
    const aside = readdirSync(path).find((f) => f.startsWith('jobs.jsonl.torn-'));
    expect(aside).toBeDefined();
    expect(readFileSync(join(path, aside!), 'utf8')).toBe('{"op":"put","by":"x","run":"x","job":{"id":"half');
    expect(warnings.join('\n')).toContain(aside!);
  });

  test('a whole record missing only its newline is kept (its older version does not come back)', async () => {
    const path = join(tempDir(), 'store');
    const m = manager(path);
    const [job] = await completedJobs(m, 1, () => 'last word');
    await m.close();
    const log = join(path, 'jobs.jsonl');
    truncateSync(log, statSync(log).size - 1); // drop the final newline
    const again = manager(path);
    expect(await again.get(job!.id)).toEqual(job);
    expect(readdirSync(path).filter((f) => f.startsWith('jobs.jsonl.torn-'))).toEqual([]);
  });
});

describe('locks', () => {
  test('a lock left by an earlier life of this very pid (a restarted container) is broken at once', async () => {
    for (const content of [`${process.pid} 1 not-a-token-held-here`, `${process.pid}`]) {
      const path = join(tempDir(), 'store');
      mkdirSync(path, { mode: 0o700 });
      writeFileSync(join(path, 'jobs.lock'), content);
      const m = manager(path, { lockTimeoutMs: 2_000 });
      const started = Date.now();
      expect(await completedJobs(m, 1, () => 'ok')).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(1_500);
    }
  });

  test('a lock that cannot be judged (a directory) or is held by a live process gives up after lockTimeoutMs, without spinning', async () => {
    for (const plant of ['directory', 'live holder']) {
      const path = join(tempDir(), 'store');
      mkdirSync(path, { mode: 0o700 });
      const lock = join(path, 'jobs.lock');
      if (plant === 'directory') mkdirSync(lock);
      else writeFileSync(lock, `1 ${readFileSync('/proc/1/stat', 'utf8').split(') ')[1]!.split(' ')[19]} someone-else`);
      const m = manager(path, { lockTimeoutMs: 400 });
      const cpu = process.cpuUsage();
      const started = Date.now();
      await expect(m.list()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE', message: expect.stringContaining('jobs.lock') });
      const elapsed = Date.now() - started;
      const used = process.cpuUsage(cpu);
      expect(elapsed).toBeLessThan(3_000);
      expect((used.user + used.system) / 1000).toBeLessThan(elapsed * 0.5); // waiting, not spinning
    }
  });
});

test('a launch refused with STORE_UNAVAILABLE (a lock held past the deadline) leaves no ghost: the late create is made final at once', async () => {
  const path = join(tempDir(), 'jobs');
  const m = new JobManager(new FileJobStore({ path, lockTimeoutMs: 5_000 }), { storeTimeoutMs: 300, closeGraceMs: 100 });
  managers.push(m);
  await m.list(); // opened
  const lock = join(path, 'jobs.lock');
  writeFileSync(lock, `1 ${readFileSync('/proc/1/stat', 'utf8').split(') ')[1]!.split(' ')[19]} someone-else`); // held by a live process
  const refused = m.launch(async () => 'x', { label: 'ghost', asyncMode: true });
  await expect(refused).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  rmSync(lock); // the held create lands now
  await new Promise((r) => setTimeout(r, 600));
  const other = manager(path);
  const jobs = await other.list();
  expect(jobs).toHaveLength(1);
  expect(jobs[0]).toMatchObject({ label: 'ghost', status: 'cancelled', error: { code: 'STORE_UNAVAILABLE' } });
});

describe('runners and read-only file systems', () => {
  test('a manager idle longer than its lease starts a job under a fresh lease: another process opening the store does not mark it stale', async () => {
    const path = join(tempDir(), 'jobs');
    const a = manager(path, { leaseMs: 600 });
    const first = ticketOf(await a.launch(async () => 'quick', { label: 'quick', asyncMode: true }));
    expect((await a.wait(first.job_id, { timeoutMs: 2_000 })).status).toBe('completed');
    await new Promise((r) => setTimeout(r, 900)); // idle: no job to renew, the runner file's lease runs out
    let aborted: unknown;
    const long = ticketOf(
      await a.launch(
        () =>
          new Promise<string>((resolve) => {
            const t = setTimeout(() => resolve('long done'), 700);
            jobContext()!.signal.addEventListener('abort', () => {
              aborted = jobContext()?.signal.reason ?? true;
              clearTimeout(t);
            });
          }),
        { label: 'long', asyncMode: true },
      ),
    );
    const b = manager(path, { leaseMs: 600 }); // the CLI, the dashboard, a second replica
    await new Promise((r) => setTimeout(r, 250));
    expect((await b.status(long.job_id)).job.status).toBe('running');
    expect(aborted).toBeUndefined();
    expect((await a.wait(long.job_id, { timeoutMs: 3_000 })).status).toBe('completed');
  });

  test('runner files of processes that are gone are removed by the next sweep', async () => {
    const path = join(tempDir(), 'store');
    mkdirSync(join(path, 'runners'), { recursive: true, mode: 0o700 });
    let dead = 4_000_000;
    while (readdirSync('/proc').includes(String(dead))) dead++;
    for (let i = 0; i < 200; i++)
      writeFileSync(join(path, 'runners', `ghost-${i}`), JSON.stringify({ pid: dead, start: null, expiresAt: Date.now() + 60_000 }));
    const m = manager(path);
    await m.list(); // after the first sweep
    expect(readdirSync(join(path, 'runners')).filter((f) => f.startsWith('ghost-'))).toEqual([]);
  });

  test('a store on a read-only file system can be read; writes fail with STORE_UNAVAILABLE', async () => {
    const mount = tmpfs('1m');
    const path = join(mount, 'store');
    const first = manager(path);
    const done = await completedJobs(first, 3, (i) => i);
    await first.close();
    execFileSync('mount', ['-o', 'remount,ro', mount]);
    const warnings: string[] = [];
    const m = manager(path, {}, warnings);
    expect((await m.list()).map((j) => j.id).sort()).toEqual(done.map((j) => j.id).sort());
    expect(await m.wait(done[0]!.id)).toEqual(done[0]);
    await expect(m.launch(async () => 1, { label: 'x', asyncMode: true })).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(warnings.join('\n')).toMatch(/read-only/);
    await m.close();
    execFileSync('mount', ['-o', 'remount,rw', mount]);
  });
});

test('records another process accepted are never thrown away: launch refuses an owner that is not a string', async () => {
  const m = manager(join(tempDir(), 'store'));
  await expect(m.launch(async () => 1, { label: 'x', asyncMode: true, owner: 42 as never })).rejects.toBeInstanceOf(SmartAsyncConfigError);
  await expect(m.launch(async () => 1, { label: 'x', asyncMode: true, owner: { team: 'x' } as never })).rejects.toBeInstanceOf(
    SmartAsyncConfigError,
  );
  const [job] = await completedJobs(m, 1, async () => {
    throw Object.assign(new Error(), { message: 42 });
  });
  expect(job).toMatchObject({ status: 'failed', error: { message: '42' } });
});
