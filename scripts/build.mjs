// Builds dist/:
// - CommonJS + .d.ts from tsc: what Node loads, from require() and from import alike (the .mjs
//   wrappers re-export it), so both module systems share one instance (one JobManager
//   registration, one decorator configuration);
// - dist/esm/: the same code as ES modules, for bundlers only (the `module` export condition,
//   which Node ignores): a bundle gets one copy, with no require() of Node's built-ins that an
//   ES-module bundle could not run.
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tsc = require.resolve('typescript/bin/tsc');
rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
execFileSync(
  process.execPath,
  [
    tsc,
    '-p',
    'tsconfig.build.json',
    '--module',
    'esnext',
    '--moduleResolution',
    'bundler',
    '--declaration',
    'false',
    '--outDir',
    'dist/esm',
  ],
  { stdio: 'inherit' },
);
writeFileSync('dist/esm/package.json', `${JSON.stringify({ type: 'module', sideEffects: false })}\n`);

for (const entry of ['index', 'mcp/index', 'redis/index', 'postgres/index', 'testing/index', 'http/index', 'nestjs/index']) {
  if (!existsSync(`dist/${entry}.js`)) continue;
  writeFileSync(`dist/${entry}.mjs`, "export * from './index.js';\n");
  writeFileSync(`dist/${entry}.d.mts`, "export * from './index.js';\n");
}
console.log('built dist/');
