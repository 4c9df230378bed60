import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

/** Runs a sample the way its header says, and returns what it printed. */
async function sample(file: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['-r', 'ts-node/register/transpile-only', file], { cwd: root, timeout: 60_000 });
  return stdout;
}

test('npm run demo shows a fast call, a switch, explicit async, progress, a cancel and the final records', async () => {
  const out = await sample('samples/demo.ts');
  expect(out).toContain('{"region":"eu","rows":2000}');
  expect(out).toMatch(/"status":"running","message":"Task exceeded time budget; running in background"/);
  expect(out).toMatch(/"status":"pending"/);
  expect(out).toMatch(/progress: the slow job is running, \d\/8/);
  expect(out).toContain('cancelled: no longer needed');
  expect(out).toMatch(/apac-nightly\s+completed/);
  expect(out).toMatch(/to-be-cancelled\s+cancelled/);
  expect(out).toContain('"status": "completed"');
});

test('the DI sample swaps the store and keeps a child container’s jobs apart', async () => {
  const out = await sample('samples/di-container.ts');
  expect(out).toContain('global manager uses the "logging-memory" store');
  expect(out).toContain('global job completed');
  expect(out).toContain('tenant manager (memory) sees its job: true');
  expect(out).toContain("global manager sees the tenant's job: false");
});

test('the file store sample shows jobs surviving a SIGKILL: completed and stale', async () => {
  const out = await sample('samples/file-store-restart.ts');
  expect(out).toContain('killed with SIGKILL');
  expect(out).toMatch(/quick-report\s+completed\s+\{"rows":42\}/);
  expect(out).toMatch(/long-index\s+stale/);
  expect(out).toMatch(/long-benchmark\s+stale/);
});

test('the Redis sample shares jobs between two workers and a client that cancels one', async () => {
  const out = await sample('samples/redis-workers.ts');
  expect(out).toContain('client: sees 4 jobs from 2 workers');
  expect(out).toMatch(/worker-a: job \w+ stopped: cancelled by the client/);
  expect(out).toMatch(/worker-a-job-2\s+cancelled/);
  expect(out).toMatch(/worker-b-job-2\s+completed/);
});

test('the PostgreSQL sample: a durable job of a killed process is finished by another (attempt 2), and a retry with the same idempotency key gets that job', async () => {
  const out = await sample('samples/postgres-durable.ts');
  expect(out).toContain('process A: killed');
  expect(out).toContain('a client retrying with the same key gets the same job: true');
  expect(out).toContain('process B finished it: completed {"region":"eu","rows":8000} (attempt 2; before: stale)');
});

test('the telemetry sample prints one trace across the switch: the work’s span before it under the call, after it under the job', async () => {
  const out = await sample('samples/telemetry.ts');
  expect(out).toMatch(
    /^POST \/reports \(\d+ ms\)\n {2}smart_async\.call Reports\.build \(\d+ ms\) {2}outcome=ticket\n {4}warehouse\.query \(\d+ ms\)\n {4}smart_async\.job Reports\.build \(\d+ ms\) {2}attempt=1 status=completed\n {6}render\.csv \(\d+ ms\)/m,
  );
});

test('the custom store sample gets crash detection from its leases: a silent runner’s job goes stale, a live one completes', async () => {
  const out = await sample('samples/custom-store.ts');
  expect(out).toMatch(/crashed-worker-job: stale \(JOB_STALE: The process running this job stopped renewing its lease/);
  expect(out).toContain('live-job: completed "done"');
});

test('the Express sample: 200 fast, 202 slow with Location, polling to the result, cancel then 410, another user 404', async () => {
  const out = await sample('samples/express-app.ts');
  expect(out).toContain('POST /reports (1 step)  -> 200 {"region":"eu","rows":1000}');
  expect(out).toMatch(
    /POST \/reports \(job_label: 42\) -> 400 application\/json; charset=utf-8 \{"error":\{"code":"SMART_ASYNC_CONFIG","message":"Expected `job_label`/,
  );
  expect(out).toMatch(/POST \/reports \(6 steps\) -> 202 Location: \/jobs\/[0-9a-f-]{36} Retry-After: 1/);
  expect(out).toMatch(/-> running \d\/6/);
  expect(out).toMatch(/\/result -> 200 \{"region":"us","rows":6000\}/);
  expect(out).toMatch(/DELETE \/jobs\/[0-9a-f-]{36} -> 200 cancelled/);
  expect(out).toMatch(/\/result -> 410 \{"error":\{"code":"JOB_CANCELLED"/);
  expect(out).toMatch(/as another user -> 404/);
});

test('the Nest sample: 200, 202 with Location, polling to the result, cancel, and app.close() leaves nothing running', async () => {
  const out = await sample('samples/nest-app/main.ts');
  expect(out).toContain('POST /reports (1 step)  -> 200 {"region":"eu","rows":1000}');
  expect(out).toMatch(/POST \/reports \(5 steps\) -> 202 Location: \/jobs\/[0-9a-f-]{36} Retry-After: 1/);
  expect(out).toMatch(/\/result -> 200 \{"region":"us","rows":5000\}/);
  expect(out).toMatch(/DELETE \/jobs\/[0-9a-f-]{36} -> 200 cancelled/);
  expect(out).toContain('after app.close(): the unfinished job is stale (JOB_STALE)');
});

test('the watch-jobs sample: its jobs are seen from another process by the CLI and through its dashboard', async () => {
  const { spawn } = await import('node:child_process');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'smart-async-watch-'));
  const app = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'samples/watch-jobs.ts'], {
    cwd: root,
    env: { ...process.env, JOBS_DIR: dir, RUN_FOR: '30s' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const dashboard = await new Promise<string>((resolve, reject) => {
      let out = '';
      app.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /dashboard on (\S+)/.exec(out);
        if (m && out.includes('watch from another terminal')) resolve(m[1]!);
      });
      app.on('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
    });
    let listed: Array<{ status: string; label: string }> = [];
    for (let i = 0; i < 20 && !listed.some((j) => j.status === 'running'); i++) {
      const { stdout } = await run(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', 'src/cli/index.ts', 'jobs', 'list', '--file', dir, '--json'],
        { cwd: root, timeout: 30_000 },
      );
      listed = JSON.parse(stdout) as typeof listed;
    }
    expect(listed.some((j) => j.status === 'running' && j.label === 'Reports.build')).toBe(true);
    const api = (await (await fetch(`${dashboard}api/jobs`)).json()) as { jobs: Array<{ id: string }> };
    expect(api.jobs.length).toBeGreaterThan(0);
    expect(await (await fetch(dashboard)).text()).toContain('<title>smart-async jobs</title>');
  } finally {
    app.kill('SIGTERM');
    await new Promise((r) => app.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}, 90_000);
