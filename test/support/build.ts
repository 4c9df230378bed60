import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/**
 * Compiles src/ and test/fixtures/ to plain JavaScript once per test file, so the child
 * processes a test starts (and kills) begin in ~100 ms instead of ts-node's ~1.5 s.
 * Returns the path of a compiled fixture.
 */
export function compileFixtures(name: string): (fixture: string) => string {
  const out = join(root, '.tmp', `build-${name}`);
  execFileSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.fixtures.json'), '--outDir', out],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
  return (fixture) => join(out, 'test', 'fixtures', fixture.replace(/\.ts$/, '.js'));
}
