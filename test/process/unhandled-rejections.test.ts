import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = join(__dirname, '..', '..');

describe.each(['tsconfig.json', 'tsconfig.std.json'])('with %s', (tsconfig) => {
  test('failing, cancelled and timed-out background jobs leave no unhandled rejection', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--unhandled-rejections=strict', '-r', 'ts-node/register/transpile-only', 'test/fixtures/background-failures.ts'],
      {
        cwd: root,
        env: { ...process.env, TS_NODE_PROJECT: tsconfig },
        timeout: 60_000,
      },
    );
    expect(stdout).toContain('all settled');
    expect(JSON.parse(stdout.split('\n')[0]!)).toEqual([
      ['failed', 'late failure'],
      ['cancelled', 'test cancel'],
      ['failed', 'a bare string'],
      ['failed', 'late failure'],
    ]);
  });
});

test('hooks of the app that throw or reject (listeners, warning sinks, the dashboard owner and cancel rules) never crash the process', async () => {
  const { stdout } = await run(
    process.execPath,
    ['--unhandled-rejections=strict', '-r', 'ts-node/register/transpile-only', 'test/fixtures/rejecting-hooks.ts'],
    {
      cwd: root,
      timeout: 60_000,
    },
  );
  expect(stdout).toContain('survived');
  const report = JSON.parse(stdout.split('\n')[0]!);
  expect(report.status).toBe('completed');
  // the page and the cancel (whose rule throws) are 500s; the reads under a throwing owner rule too
  expect(report.statuses).toEqual([500, 500, 500, 500]);
  expect(report.warnings).toBeGreaterThanOrEqual(3); // created, updated/settled listeners reported
});
