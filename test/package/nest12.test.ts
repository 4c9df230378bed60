import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * NestJS 12 ships ES modules only. A Nest 12 app (ES modules) installs the pinned Nest 12 of
 * test/fixtures/nest12/package.json (from npm's cache when it has them, else the registry) and
 * runs against the packed smart-async: fast 200, slow 202 with Location, the job completed, and
 * the injected JobManager the very one the decorated method used.
 */
const root = join(__dirname, '..', '..');
const work = join(root, '.tmp', 'nest12');

test('a NestJS 12 app (ES modules) runs with smart-async/nestjs', () => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  cpSync(join(root, 'test', 'fixtures', 'nest12'), work, { recursive: true });
  execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: work,
    stdio: 'pipe',
    timeout: 240_000,
  });
  const packed = join(work, 'pack');
  mkdirSync(packed);
  execFileSync('npm', ['pack', '--silent', '--pack-destination', packed], { cwd: root, stdio: 'pipe' });
  const tarball = readdirSync(packed).find((f) => f.endsWith('.tgz'))!;
  const target = join(work, 'node_modules', 'smart-async');
  mkdirSync(target, { recursive: true });
  execFileSync('tar', ['-xzf', join(packed, tarball), '-C', target, '--strip-components=1']);
  // smart-async's own dependencies (zod, uuid) resolve from the repository's node_modules above .tmp/, as hoisted ones would
  const out = execFileSync(process.execPath, ['app.mjs'], { cwd: work, encoding: 'utf8', timeout: 60_000 });
  expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ fast: 200, slow: 202, location: true, job: 'completed', same: true });
}, 300_000);
