import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * The README's code is what a new user copies first: every block marked `<!-- typechecked -->`
 * compiles with strict tsc against the library's source (as `smart-async`, `smart-async/http`, …)
 * and the real types of its peers (@types/express 5), with legacy and with standard decorators.
 */
const root = join(__dirname, '..', '..');
const work = join(root, '.tmp', 'readme');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

function markedBlocks(): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  return Array.from(readme.matchAll(/<!-- typechecked[^\n]*-->\n```ts\n([\s\S]*?)\n```/g), (m) => m[1]!);
}

afterAll(() => rmSync(work, { recursive: true, force: true }));

test.each([
  ['legacy', { experimentalDecorators: true, emitDecoratorMetadata: true }],
  ['standard', {}],
])(
  'the README’s marked code blocks compile with strict tsc (%s decorators)',
  async (mode, decorators) => {
    const blocks = markedBlocks();
    expect(blocks.length).toBeGreaterThanOrEqual(2); // quick start and HTTP at least
    const dir = join(work, mode);
    mkdirSync(dir, { recursive: true });
    const files = blocks.map((code, i) => {
      const file = `block-${i}.ts`;
      writeFileSync(join(dir, file), `${code}\nexport {};\n`);
      return file;
    });
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          target: 'ES2022',
          module: 'ES2022',
          moduleResolution: 'bundler',
          esModuleInterop: true,
          skipLibCheck: true,
          types: ['node'],
          typeRoots: [join(root, 'node_modules', '@types')],
          baseUrl: root,
          paths: { 'smart-async': ['src/index.ts'], 'smart-async/*': ['src/*/index.ts'] },
          ...decorators,
        },
        files,
      }),
    );
    const out = await promisify(execFile)(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { cwd: root }).then(
      () => '',
      (e: { stdout?: string }) => e.stdout ?? 'tsc failed',
    );
    expect(out).toBe('');
  },
  120_000,
);
