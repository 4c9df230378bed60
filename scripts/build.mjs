// Builds dist/: CommonJS + .d.ts from tsc, plus a thin ES-module wrapper (.mjs + .d.mts) per
// entry point that re-exports the CommonJS build, so both module systems share one instance
// (one JobManager registration, one decorator configuration).
import { execFileSync } from 'node:child_process';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { stdio: 'inherit' });

for (const entry of ['index', 'mcp/index', 'redis/index', 'testing/index', 'http/index', 'nestjs/index']) {
  if (!existsSync(`dist/${entry}.js`)) continue;
  writeFileSync(`dist/${entry}.mjs`, "export * from './index.js';\n");
  writeFileSync(`dist/${entry}.d.mts`, "export * from './index.js';\n");
}
console.log('built dist/');
