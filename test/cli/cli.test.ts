import 'reflect-metadata';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { FileJobStore, JobManager, jobContext, type JobRecord, type JobStore } from '../../src';
import { RedisJobStore } from '../../src/redis';
import { freePort } from '../support/redis-server';

/**
 * The `smart-async` bin, spawned as a user would run it, against real stores the test fills: a
 * FileJobStore directory and a RedisJobStore (the machine's Redis, a prefix of its own).
 */
const root = join(__dirname, '..', '..');
const bin = join(root, 'src', 'cli', 'index.ts');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', bin, ...args],
      { cwd: root, timeout: timeoutMs },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Fills a store: a completed job, a failed one, an owned one, and a long one whose work records its abort. */
async function fill(
  manager: JobManager,
): Promise<{ completed: string; failed: string; owned: string; long: string; aborted: () => boolean }> {
  const id = async (p: Promise<unknown>): Promise<string> => ((await p) as { job_id: string }).job_id;
  const completed = await id(manager.launch(async () => ({ rows: 3 }), { label: 'quick report', asyncMode: true }));
  const failed = await id(
    manager.launch(async () => Promise.reject(Object.assign(new Error('no data for apac'), { code: 'NO_DATA' })), {
      label: 'broken report',
      asyncMode: true,
    }),
  );
  const owned = await id(manager.launch(async () => 'mine', { label: 'alice report', asyncMode: true, owner: 'alice' }));
  let abortedFlag = false;
  const long = await id(
    manager.launch(
      async () => {
        const ctx = jobContext()!;
        for (let i = 1; i <= 10_000; i++) {
          if (ctx.signal.aborted) {
            abortedFlag = true;
            throw ctx.signal.reason;
          }
          await sleep(20);
          ctx.reportProgress(i, 10_000, `chunk ${i}`);
        }
        return 'never';
      },
      { label: 'long index', asyncMode: true },
    ),
  );
  for (const j of [completed, failed, owned]) await manager.wait(j, { timeoutMs: 5_000 });
  return { completed, failed, owned, long, aborted: () => abortedFlag };
}

describe.each([
  [
    'file',
    (): { store: JobStore; flags: string[]; cleanup: () => void } => {
      const dir = mkdtempSync(join(tmpdir(), 'smart-async-cli-'));
      return {
        store: new FileJobStore({ path: dir }),
        flags: ['--file', dir],
        cleanup: () => rmSync(dir, { recursive: true, force: true }),
      };
    },
  ],
  [
    'redis',
    (): { store: JobStore; flags: string[]; cleanup: () => void } => {
      const prefix = `cli-test-${randomUUID()}`;
      return {
        store: new RedisJobStore({ prefix }),
        flags: ['--redis', 'redis://127.0.0.1:6379', '--prefix', prefix],
        cleanup: () => undefined,
      };
    },
  ],
])('%s store', (_kind, open) => {
  let manager: JobManager;
  let flags: string[];
  let cleanup: () => void;
  let ids: Awaited<ReturnType<typeof fill>>;
  beforeAll(async () => {
    const o = open();
    flags = o.flags;
    cleanup = o.cleanup;
    manager = new JobManager(o.store, { closeGraceMs: 0 });
    ids = await fill(manager);
  });
  afterAll(async () => {
    await manager.list({}).then((jobs) => Promise.all(jobs.filter((j) => j.status === 'running').map((j) => manager.cancel(j.id))));
    await manager.close();
    cleanup();
  });

  test('list --json matches the store, newest first; filters by status and label', async () => {
    const [all, done, labelled] = await Promise.all([
      cli(['jobs', 'list', ...flags, '--json']),
      cli(['jobs', 'list', ...flags, '--json', '--status', 'completed,failed']),
      cli(['jobs', 'list', ...flags, '--json', '--label', 'broken report']),
    ]);
    expect(all.code).toBe(0);
    const listed = JSON.parse(all.stdout) as JobRecord[];
    expect(listed.map((j) => j.id)).toEqual((await manager.list({ limit: 50 })).map((j) => j.id));
    expect(new Set(listed.map((j) => j.id))).toEqual(new Set([ids.completed, ids.failed, ids.owned, ids.long]));
    expect((JSON.parse(done.stdout) as JobRecord[]).map((j) => j.status).sort()).toEqual(['completed', 'completed', 'failed']);
    expect((JSON.parse(labelled.stdout) as JobRecord[]).map((j) => j.id)).toEqual([ids.failed]);
  }, 60_000);

  test('list prints a table; show prints one record (text and --json); an unknown id exits 1', async () => {
    const [table, text, json, unknown] = await Promise.all([
      cli(['jobs', 'list', ...flags]),
      cli(['jobs', 'show', ids.failed, ...flags]),
      cli(['jobs', 'show', ids.completed, ...flags, '--json']),
      cli(['jobs', 'show', randomUUID(), ...flags]),
    ]);
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+STATUS\s+PROGRESS\s+ELAPSED\s+LABEL\s+NOTE$/);
    expect(table.stdout).toMatch(new RegExp(`${ids.failed}\\s+failed\\s+-\\s+\\S+\\s+broken report\\s+NO_DATA: no data for apac`));
    expect(text.stdout).toMatch(/^status\s+failed$/m);
    expect(text.stdout).toMatch(/^error\s+NO_DATA: no data for apac$/m);
    expect(JSON.parse(json.stdout)).toEqual(await manager.get(ids.completed));
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^smart-async: No job [0-9a-f-]{36} in the /);
  }, 60_000);

  test('health matches the store’s counts', async () => {
    const [json, text] = await Promise.all([cli(['jobs', 'health', ...flags, '--json']), cli(['jobs', 'health', ...flags])]);
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as { status: string; counts: Record<string, number>; total: number };
    expect(report).toMatchObject({ status: 'ok', counts: (await manager.health()).counts, total: 4 });
    expect(text.stdout).toMatch(/^status\s+ok$/m);
  }, 60_000);

  test('watch prints one line per change of a running job (not a terminal), and its end', async () => {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', bin, 'jobs', 'watch', ...flags, '--interval', '100', '--label', 'watched'],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    try {
      for (let i = 0; i < 200 && !err.includes('Watching'); i++) await sleep(50);
      expect(err).toContain('Watching the ');
      const ticket = (await manager.launch(
        async () => {
          for (let i = 1; i <= 5; i++) {
            await sleep(250);
            jobContext()!.reportProgress(i, 5, `part ${i}`);
          }
          return 'ok';
        },
        { label: 'watched', asyncMode: true },
      )) as { job_id: string };
      await manager.wait(ticket.job_id, { timeoutMs: 10_000 });
      for (let i = 0; i < 50 && !/completed/.test(out); i++) await sleep(100);
      const lines = out
        .trim()
        .split('\n')
        .filter((l) => l.includes(ticket.job_id));
      expect(lines.length).toBeGreaterThanOrEqual(3);
      expect(lines.some((l) => /running\s+\d+%.*watched {2}part \d/.test(l))).toBe(true);
      expect(lines.at(-1)).toMatch(/completed\s+100%/);
      const percents = lines
        .map((l) => /\s(\d+)%/.exec(l)?.[1])
        .filter(Boolean)
        .map(Number);
      expect(percents).toEqual([...percents].sort((a, b) => a - b));
    } finally {
      child.kill('SIGINT');
    }
  }, 60_000);

  test('cancel cancels a running job: the store says cancelled and its work is aborted', async () => {
    const run = await cli(['jobs', 'cancel', ids.long, ...flags, '--reason', 'not needed']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(`Cancelled ${ids.long}`);
    expect(await manager.get(ids.long)).toMatchObject({ status: 'cancelled', error: { message: 'not needed' } });
    for (let i = 0; i < 100 && !ids.aborted(); i++) await sleep(50);
    expect(ids.aborted()).toBe(true);
    const again = await cli(['jobs', 'cancel', ids.long, ...flags]);
    expect(again.stdout.trim()).toBe(`${ids.long} had already ended: cancelled`);
  }, 60_000);

  test('prune deletes the finished jobs it is asked to', async () => {
    const run = await cli(['jobs', 'prune', ...flags, '--status', 'failed', '--json']);
    expect(JSON.parse(run.stdout)).toEqual({ deleted: 1 });
    expect(await manager.get(ids.failed)).toBeUndefined();
    expect(await manager.get(ids.completed)).toBeDefined();
  }, 60_000);
});

describe('a store that cannot be opened', () => {
  test('a missing directory, a file, no store and two stores: exit 1 with a message that names it', async () => {
    const missing = join(tmpdir(), `smart-async-missing-${randomUUID()}`);
    const [a, b, c, d, e] = await Promise.all([
      cli(['jobs', 'list', '--file', missing]),
      cli(['jobs', 'health', '--file', __filename]),
      cli(['jobs', 'list']),
      cli(['jobs', 'list', '--file', '/tmp', '--redis', 'redis://127.0.0.1:6379']),
      cli(['jobs', 'list', '--status', 'bogus', '--file', '/tmp']),
    ]);
    expect(a).toMatchObject({ code: 1, stdout: '' });
    expect(a.stderr.trim()).toBe(`smart-async: Cannot open the file store at ${missing}: no such directory`);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain(`Cannot open the file store at ${__filename}: not a directory`);
    expect(c.code).toBe(1);
    expect(c.stderr).toContain('Name a store: --file <dir>, --redis <url> or --postgres <url>');
    expect(d.code).toBe(1);
    expect(e.code).toBe(1);
    expect(e.stderr).toContain('unknown status "bogus"');
  }, 60_000);

  /** How long the CLI takes to start and answer --help: what a timed run may spend besides its --timeout. */
  async function startup(): Promise<number> {
    const started = Date.now();
    await cli(['jobs', 'list', '--help']);
    return Date.now() - started;
  }

  test('a Redis that does not answer: one line, exit 1 within its --timeout, naming the URL (password hidden)', async () => {
    const port = await freePort();
    const base = await startup();
    const started = Date.now();
    const run = await cli(['jobs', 'list', '--redis', `redis://:secret@127.0.0.1:${port}`, '--timeout', '1000']);
    const elapsed = Date.now() - started;
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(`Cannot open the Redis store at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${port} \\(prefix smart-async\\)`),
    );
    expect(run.stderr).not.toContain('secret');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(elapsed - base).toBeLessThan(1_000 + 800);
  }, 60_000);

  test('a file store whose lock a stopped process holds: one line, exit 1 within its --timeout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smart-async-cli-lock-'));
    try {
      await new JobManager(new FileJobStore({ path: dir }), { closeGraceMs: 0 }).close(); // a store
      const holder = spawn('sleep', ['60']);
      holder.kill('SIGSTOP');
      const start = readFileSync(`/proc/${holder.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[19];
      writeFileSync(join(dir, 'jobs.lock'), `${holder.pid} ${start} held-by-a-stopped-process`);
      const base = await startup();
      const started = Date.now();
      const run = await cli(['jobs', 'list', '--file', dir, '--timeout', '1000']);
      const elapsed = Date.now() - started;
      holder.kill('SIGKILL');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`Cannot open the file store at ${dir}`);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(elapsed - base).toBeLessThan(1_000 + 800);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

test('--help on every command', async () => {
  const commands = [
    [],
    ['jobs'],
    ['jobs', 'list'],
    ['jobs', 'show'],
    ['jobs', 'watch'],
    ['jobs', 'cancel'],
    ['jobs', 'retry'],
    ['jobs', 'prune'],
    ['jobs', 'health'],
    ['dashboard'],
  ];
  const runs = await Promise.all(commands.map((c) => cli([...c, '--help'])));
  runs.forEach((r, i) => {
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^Usage: smart-async ${commands[i]!.join(' ')}`.replace(/ +$/, '')));
  });
  expect(runs[2]!.stdout).toContain('--file <dir>');
  expect(runs[2]!.stdout).toContain('--redis <url>');
  expect(runs[2]!.stdout).toContain('--json');
}, 90_000);

test('watch on a terminal draws progress bars (label, percent, message, elapsed)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smart-async-cli-tty-'));
  const manager = new JobManager(new FileJobStore({ path: dir }), { closeGraceMs: 0 });
  // `script` gives the command a pseudo-terminal, as a user's terminal would.
  const command = [process.execPath, '-r', 'ts-node/register/transpile-only', bin, 'jobs', 'watch', '--file', dir, '--interval', '100']
    .map((a) => `'${a}'`)
    .join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: root,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, COLUMNS: '160', LINES: '40' },
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  try {
    for (let i = 0; i < 200 && !out.includes('Watching'); i++) await sleep(50);
    const ticket = (await manager.launch(
      async () => {
        for (let i = 1; i <= 8; i++) {
          await sleep(200);
          jobContext()!.reportProgress(i, 8, `part ${i}`);
        }
        return 'ok';
      },
      { label: 'tty report', asyncMode: true },
    )) as { job_id: string };
    await manager.wait(ticket.job_id, { timeoutMs: 10_000 });
    for (let i = 0; i < 50 && !/completed/.test(out); i++) await sleep(100);
    expect(out).toMatch(/running\s+[█░]+ \d+% \| tty report \| \d+(ms|s) \| part \d/);
    expect(out).toMatch(/\u001b\[/); // redrawn in place, not line by line
    expect(out).toMatch(/completed\s+100%\s+\S+\s+tty report/);
  } finally {
    child.kill('SIGKILL');
    await manager.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('a long watch does not pile up listeners on its stop signal (no leak warning), and Ctrl-C ends it cleanly', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smart-async-cli-long-'));
  const child = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', bin, 'jobs', 'watch', '--file', dir, '--interval', '20'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  try {
    for (let i = 0; i < 200 && !err.includes('Watching'); i++) await sleep(50);
    await sleep(1_500); // ~75 rounds
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(err).not.toMatch(/MaxListenersExceeded|memory leak/);
  } finally {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

test('jobs retry: a durable job that failed runs again as a new job (retry_of); show prints its call, attempts and history', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smart-async-cli-retry-'));
  try {
    const store = new FileJobStore({ path: dir });
    const at = new Date().toISOString();
    const failed: JobRecord = {
      id: randomUUID(),
      label: 'Reports.build',
      status: 'failed',
      created_at: at,
      started_at: at,
      completed_at: at,
      updated_at: at,
      result: null,
      error: { name: 'Error', message: 'upstream down', code: 'UPSTREAM' },
      progress: null,
      call: { target: 'Reports.build', args: ['2026-12-07'] },
      attempt: 2,
      max_attempts: 2,
      run_at: null,
      history: [{ attempt: 1, status: 'failed', error: { name: 'Error', message: 'timeout' }, started_at: at, ended_at: at }],
    };
    await store.create(failed);
    await store.close();
    const shown = await cli(['jobs', 'show', failed.id, '--file', dir]);
    expect(shown.stdout).toMatch(/call\s+Reports\.build\("2026-12-07"\)/);
    expect(shown.stdout).toMatch(/attempt\s+2 of 2/);
    expect(shown.stdout).toMatch(/try 1\s+failed \(timeout\)/);
    const run = await cli(['jobs', 'retry', failed.id, '--file', dir, '--json']);
    expect(run.code).toBe(0);
    const again = JSON.parse(run.stdout) as JobRecord;
    expect(again).toMatchObject({ status: 'pending', retry_of: failed.id, call: failed.call, attempt: 0 });
    const plain = await cli(['jobs', 'retry', again.id, '--file', dir]);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('only a job that ended failed or stale is retried');
    const reread = new FileJobStore({ path: dir });
    expect((await reread.get(failed.id))?.status).toBe('failed'); // the old job stays as it was
    await reread.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);

describe('PostgreSQL store', () => {
  const url = 'postgres://postgres@127.0.0.1:5432/postgres';
  test('list and show over --postgres --schema; a database that does not answer is one line and exit 1 within --timeout, the password hidden', async () => {
    const { PostgresJobStore } = await import('../../src/postgres');
    const { Pool } = await import('pg');
    const schema = `cli_${randomUUID().slice(0, 8)}`;
    const manager = new JobManager(new PostgresJobStore({ connection: url, schema }), { closeGraceMs: 0 });
    try {
      const ticket = (await manager.launch(async () => ({ rows: 3 }), { label: 'pg report', asyncMode: true })) as { job_id: string };
      await manager.wait(ticket.job_id, { timeoutMs: 5_000 });
      const list = await cli(['jobs', 'list', '--postgres', url, '--schema', schema, '--json']);
      expect(list.code).toBe(0);
      expect((JSON.parse(list.stdout) as JobRecord[]).map((j) => [j.id, j.status])).toEqual([[ticket.job_id, 'completed']]);
      const show = await cli(['jobs', 'show', ticket.job_id, '--postgres', url, '--schema', schema]);
      expect(show.stdout).toMatch(/result\s+\{"rows":3\}/);
      const port = await freePort();
      const started = Date.now();
      const down = await cli(['jobs', 'list', '--postgres', `postgres://app:secret@127.0.0.1:${port}/app`, '--timeout', '1000']);
      expect(down.code).toBe(1);
      expect(down.stderr).toContain(`Cannot open the PostgreSQL store at postgres://app:***@127.0.0.1:${port}/app (schema smart_async)`);
      expect(down.stderr).not.toContain('secret');
      expect(down.stderr.trim().split('\n')).toHaveLength(1);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await manager.close();
      const pool = new Pool({ connectionString: url });
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await pool.end();
    }
  }, 60_000);
});
