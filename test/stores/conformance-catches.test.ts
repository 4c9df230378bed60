import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The conformance suite itself: a store whose update reads, then writes (not atomic) must fail
 * describeJobStore's atomicity check on every run, not now and then. Two runs in child jests.
 */
const root = join(__dirname, '..', '..');
const config = JSON.stringify({
  rootDir: root,
  testEnvironment: 'node',
  testMatch: ['<rootDir>/test/fixtures/broken-store.conformance.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
});

interface JestJson {
  testResults: Array<{ assertionResults: Array<{ title: string; status: string; failureMessages: string[] }> }>;
}

async function runSuite(): Promise<JestJson> {
  const out = await promisify(execFile)(process.execPath, [require.resolve('jest/bin/jest'), '--config', config, '--json', '--ci'], {
    cwd: root,
    timeout: 120_000,
  }).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  return JSON.parse(out.stdout) as JestJson;
}

test('describeJobStore fails a read-then-write store on every run, and only on what it breaks', async () => {
  for (const run of await Promise.all([runSuite(), runSuite()])) {
    const results = run.testResults.flatMap((r) => r.assertionResults);
    const race = results.find((r) => r.title.startsWith('lets exactly one of two racing transitions win'));
    expect(race?.status).toBe('failed');
    expect(race?.failureMessages.join('\n')).toMatch(/races did not have exactly one winner/);
    expect(results.filter((r) => r.status === 'passed').length).toBeGreaterThan(5); // the rest of the contract holds
  }
}, 120_000);
