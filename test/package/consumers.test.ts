import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Packs the library as npm would publish it, unpacks the tarball into a consumer project, and
 * compiles and runs TypeScript consumers against it: CommonJS with legacy decorators (NestJS's
 * default tsconfig), ES modules with standard decorators, and a `bundler` type check.
 * The consumer folder sits inside the repository so its peers (tsyringe, reflect-metadata)
 * resolve from the repository's node_modules, as they would from an app's.
 */
const root = join(__dirname, '..', '..');
const work = join(root, '.tmp', 'consumers');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

const consumerSource = `
import 'reflect-metadata';
import { container } from 'tsyringe';
import { isJobTicket, JobManager, SmartAsync, SmartAsyncConfigError, type SmartResult } from 'smart-async';
import { toCallToolResult } from 'smart-async/mcp';
import { RedisJobStore } from 'smart-async/redis';
import { describeJobStore } from 'smart-async/testing';
import { httpReply } from 'smart-async/http';

class Svc {
  @SmartAsync({ timeoutMs: 50 })
  async run(ms: number): Promise<SmartResult<string>> {
    await new Promise((r) => setTimeout(r, ms));
    return 'done';
  }
}

export async function main(): Promise<void> {
  const svc = new Svc();
  const fast = await svc.run(1);
  const ticket = await svc.run(200);
  if (!isJobTicket(ticket)) throw new Error('expected a ticket');
  const job = await container.resolve(JobManager).wait(ticket.job_id);
  const err = new SmartAsyncConfigError('x');
  const mcp = toCallToolResult(job.result).structuredContent;
  const redis = new RedisJobStore({ prefix: 'consumer-test' });
  const kind = redis.kind;
  await redis.close();
  const testing = typeof describeJobStore;
  const http = httpReply(ticket, { jobsPath: '/jobs' }).status;
  console.log(JSON.stringify({ fast, status: job.status, result: job.result, code: err.code, mcp, kind, testing, http }));
}
`;

const expected = {
  fast: 'done',
  status: 'completed',
  result: 'done',
  code: 'SMART_ASYNC_CONFIG',
  mcp: { result: 'done' },
  kind: 'redis',
  testing: 'function',
  http: 202,
};

function sh(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function project(name: string, files: Record<string, string>): string {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

beforeAll(() => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(join(work, 'node_modules', 'smart-async'), { recursive: true });
  sh('npm', ['pack', '--silent', '--pack-destination', work], root);
  const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'))!;
  sh('tar', ['-xzf', tarball, '-C', join(work, 'node_modules', 'smart-async'), '--strip-components=1'], work);
}, 120_000);

test('the tarball holds the build, the types and the docs, and no sources or tests', () => {
  const files = sh('tar', ['-tzf', readdirSync(work).find((f) => f.endsWith('.tgz'))!], work).split('\n');
  expect(files).toEqual(
    expect.arrayContaining([
      'package/dist/index.js',
      'package/dist/index.mjs',
      'package/dist/index.d.ts',
      'package/dist/index.d.mts',
      'package/dist/mcp/index.js',
      'package/dist/mcp/index.mjs',
      'package/dist/mcp/index.d.ts',
      'package/dist/redis/index.js',
      'package/dist/redis/index.d.ts',
      'package/dist/testing/index.js',
      'package/dist/testing/index.d.ts',
      'package/dist/http/index.js',
      'package/dist/http/index.d.ts',
      'package/README.md',
      'package/LICENSE',
    ]),
  );
  expect(files.some((f) => f.startsWith('package/src/') || f.startsWith('package/test/'))).toBe(false);
  // no declaration a consumer loads needs an optional peer of the core (@opentelemetry/api): only the private telemetry file names it
  const declarations = files.filter((f) => f.endsWith('.d.ts') && !f.endsWith('/manager/telemetry.d.ts'));
  const needing = declarations.filter((f) =>
    /from '(@opentelemetry\/api|\.\/telemetry)'/.test(
      readFileSync(join(work, 'node_modules', 'smart-async', f.replace(/^package\//, '')), 'utf8'),
    ),
  );
  expect(needing).toEqual([]);
  // every picture the README shows by a relative path is in the package (npm renders the README from it)
  const images = Array.from(
    readFileSync(join(root, 'README.md'), 'utf8').matchAll(/!\[[^\]]*\]\((?!https?:)([^)\s]+)\)/g),
    (m) => `package/${m[1]}`,
  );
  expect(images.length).toBeGreaterThan(0);
  expect(files).toEqual(expect.arrayContaining(images));
});

test('a CommonJS consumer compiled with legacy decorators (node10 resolution) works', () => {
  const dir = project('cjs-legacy', {
    'package.json': JSON.stringify({ name: 'cjs-legacy', private: true, type: 'commonjs' }),
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        target: 'ES2021',
        module: 'commonjs',
        moduleResolution: 'node',
        experimentalDecorators: true,
        emitDecoratorMetadata: true,
        strict: true,
        outDir: 'out',
        skipLibCheck: true,
        types: ['node'],
      },
      files: ['main.ts'],
    }),
    'main.ts': `${consumerSource}\nmain().catch((e) => { console.error(e); process.exit(1); });\n`,
  });
  sh(process.execPath, [tsc, '-p', '.'], dir);
  expect(JSON.parse(sh(process.execPath, ['out/main.js'], dir))).toEqual(expected);
}, 60_000);

test('an ES-module consumer compiled with standard decorators (nodenext) works', () => {
  const dir = project('esm-standard', {
    'package.json': JSON.stringify({ name: 'esm-standard', private: true, type: 'module' }),
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        outDir: 'out',
        skipLibCheck: true,
        types: ['node'],
      },
      files: ['main.ts'],
    }),
    'main.ts': `${consumerSource}\nawait main();\n`,
  });
  sh(process.execPath, [tsc, '-p', '.'], dir);
  expect(JSON.parse(sh(process.execPath, ['out/main.js'], dir))).toEqual(expected);
}, 60_000);

test('types resolve under bundler resolution', () => {
  const dir = project('bundler', {
    'package.json': JSON.stringify({ name: 'bundler', private: true, type: 'module' }),
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'esnext',
        moduleResolution: 'bundler',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: ['node'],
      },
      files: ['main.ts'],
    }),
    'main.ts': consumerSource,
  });
  expect(() => sh(process.execPath, [tsc, '-p', '.'], dir)).not.toThrow();
}, 60_000);

test('plain JavaScript can require and import the package and gets one shared instance', () => {
  const dir = project('plain-js', {
    'package.json': JSON.stringify({ name: 'plain-js', private: true }),
    'both.mjs': `
import { createRequire } from 'node:module';
import * as esm from 'smart-async';
const cjs = createRequire(import.meta.url)('smart-async');
console.log(JSON.stringify({ same: esm.JobManager === cjs.JobManager, ticket: esm.isJobTicket({ job_id: '7ae9bd8c-d99f-4452-b4e6-1d90a274bffd', status: 'pending' }) }));
`,
  });
  expect(JSON.parse(sh(process.execPath, ['both.mjs'], dir))).toEqual({ same: true, ticket: true });
});

const strictSource = `
import 'reflect-metadata';
import { isJobTicket, JobManager, SmartAsync, SmartAsyncConfigError, FileJobStore, type SmartResult } from 'smart-async';
import { httpReply, expressJobs, fastifyJobs } from 'smart-async/http';
import { describeJobStore } from 'smart-async/testing';
import { RedisJobStore } from 'smart-async/redis';

class Svc {
  @SmartAsync({ timeoutMs: 50 })
  async run(ms: number): Promise<SmartResult<string>> {
    await new Promise((r) => setTimeout(r, ms));
    return 'done';
  }
}
export const things = [Svc, isJobTicket, JobManager, SmartAsyncConfigError, FileJobStore, httpReply, expressJobs, fastifyJobs, describeJobStore, RedisJobStore];
`;

test('the shipped types compile with skipLibCheck: false on an ES2021 target', () => {
  const dir = project('strict-es2021', {
    'package.json': JSON.stringify({ name: 'strict-es2021', private: true, type: 'commonjs' }),
    'tsconfig.json': JSON.stringify({
      compilerOptions: {
        target: 'ES2021',
        lib: ['ES2021'],
        module: 'node16',
        moduleResolution: 'node16',
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        types: ['node'],
      },
      files: ['main.ts'],
    }),
    'main.ts': strictSource,
  });
  expect(() => sh(process.execPath, [tsc, '-p', '.'], dir)).not.toThrow();
}, 60_000);

test('the oldest TypeScript the README states (5.4) compiles consumers with standard and with legacy decorators', () => {
  const oldTsc = join(root, 'node_modules', 'typescript-min', 'bin', 'tsc');
  expect(
    JSON.parse(
      sh(process.execPath, [oldTsc, '--version'], root)
        .replace(/^Version /, '"')
        .trim() + '"',
    ),
  ).toMatch(/^5\.4\./);
  for (const legacy of [false, true]) {
    const dir = project(`ts-min-${legacy ? 'legacy' : 'standard'}`, {
      'package.json': JSON.stringify({ name: 'ts-min', private: true, type: 'commonjs' }),
      'tsconfig.json': JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'commonjs',
          moduleResolution: 'node',
          strict: true,
          skipLibCheck: true,
          noEmit: true,
          types: ['node'],
          experimentalDecorators: legacy,
        },
        files: ['main.ts'],
      }),
      'main.ts': strictSource,
    });
    expect(() => sh(process.execPath, [oldTsc, '-p', '.'], dir)).not.toThrow();
  }
}, 60_000);

test('an app bundled to ES modules with esbuild runs (the bundle takes the ES-module build)', () => {
  const dir = project('esbuild-esm', {
    'package.json': JSON.stringify({ name: 'esbuild-esm', private: true, type: 'module' }),
    'app.mjs': `
import 'reflect-metadata';
import { JobManager, isJobTicket } from 'smart-async';
import { httpReply } from 'smart-async/http';
const jobs = new JobManager();
const t = await jobs.launch(() => new Promise((r) => setTimeout(() => r('done'), 80)), { label: 'x', timeoutMs: 20 });
console.log(JSON.stringify({ ticket: isJobTicket(t), result: (await jobs.wait(t.job_id)).result, http: httpReply(t, { jobsPath: '/jobs' }).status }));
`,
  });
  const esbuild = join(root, 'node_modules', '.bin', 'esbuild');
  sh(esbuild, ['app.mjs', '--bundle', '--platform=node', '--format=esm', '--outfile=out.mjs', '--log-level=error'], dir);
  expect(JSON.parse(sh(process.execPath, ['out.mjs'], dir))).toEqual({ ticket: true, result: 'done', http: 202 });
}, 60_000);

/**
 * A consumer with only one MCP SDK line installed: a folder outside the repository whose
 * node_modules holds a copy of the packed package and links to just the packages named (so the
 * other line cannot be found), type-checked with skipLibCheck false, then run.
 */
function isolated(name: string, packages: string[], files: Record<string, string>): string {
  const dir = join(tmpdir(), 'smart-async-consumers', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'node_modules', '@types'), { recursive: true });
  cpSync(join(work, 'node_modules', 'smart-async'), join(dir, 'node_modules', 'smart-async'), { recursive: true });
  for (const pkg of ['tsyringe', 'reflect-metadata', 'zod', 'uuid', 'tslib', '@types/node', 'undici-types', ...packages]) {
    mkdirSync(join(dir, 'node_modules', dirname(pkg)), { recursive: true });
    symlinkSync(join(root, 'node_modules', pkg), join(dir, 'node_modules', pkg), 'dir');
  }
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

/** CommonJS (node16) or ES modules (nodenext): v1's own declarations do not check under node16 CommonJS (TS1541 in the SDK), so v1 is checked as ES modules. */
const onlyOneLine = (source: string, type: 'commonjs' | 'module'): Record<string, string> => ({
  'package.json': JSON.stringify({ name: 'one-line', private: true, type }),
  'tsconfig.json': JSON.stringify({
    compilerOptions: {
      target: 'ES2022',
      module: type === 'module' ? 'nodenext' : 'node16',
      moduleResolution: type === 'module' ? 'nodenext' : 'node16',
      strict: true,
      skipLibCheck: false,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      outDir: 'out',
      types: ['node'],
    },
    files: ['main.ts'],
  }),
  'main.ts': source,
});

const serviceSource = `
import 'reflect-metadata';
import { z } from 'zod';
import { SmartAsync, type SmartResult } from 'smart-async';
class Svc {
  @SmartAsync({ timeoutMs: 50 })
  async run(n: number): Promise<SmartResult<number>> {
    return n;
  }
}
const svc = new Svc();
const inputSchema = { n: z.number() };
`;

test('a consumer with only the v1 SDK (@modelcontextprotocol/sdk) type-checks without skipLibCheck and runs', () => {
  const dir = isolated(
    'v1-only',
    ['@modelcontextprotocol/sdk'],
    onlyOneLine(
      `${serviceSource}
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createJobTaskStore, registerJobTools, registerSmartTool, toCallToolResult } from 'smart-async/mcp';
const tasks = createJobTaskStore();
const server = new McpServer({ name: 'v1', version: '1.0.0' }, { capabilities: { tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } }, taskStore: tasks });
const tool = registerSmartTool(server, 'run', { inputSchema }, (args, extra) => {
  const session: string | undefined = extra.sessionId;
  const signal: AbortSignal = extra.signal;
  void session, signal;
  return svc.run(args.n);
}, { tasks });
tool.disable();
registerJobTools(server);
console.log(JSON.stringify({ tool: typeof tool.enable, result: toCallToolResult({ a: 1 }).structuredContent }));
`,
      'module',
    ),
  );
  expect(() => require.resolve('@modelcontextprotocol/server', { paths: [dir] })).toThrow();
  sh(process.execPath, [tsc, '-p', '.'], dir);
  expect(JSON.parse(sh(process.execPath, ['out/main.js'], dir))).toEqual({ tool: 'function', result: { a: 1 } });
}, 60_000);

test('a consumer with only the v2 SDK (@modelcontextprotocol/server) type-checks without skipLibCheck and runs', () => {
  const dir = isolated(
    'v2-only',
    ['@modelcontextprotocol/server', '@modelcontextprotocol/core'],
    onlyOneLine(
      `${serviceSource}
import { McpServer } from '@modelcontextprotocol/server';
import { registerJobTools, registerSmartTool, serveTaskExtension, toCallToolResult } from 'smart-async/mcp';
const server = new McpServer({ name: 'v2', version: '1.0.0' });
serveTaskExtension(server, { pollIntervalMs: 500 });
const tool = registerSmartTool(server, 'run', { inputSchema }, (args, ctx) => {
  const signal: AbortSignal = ctx.mcpReq.signal;
  void signal;
  return svc.run(args.n);
});
tool.disable();
registerJobTools(server);
console.log(JSON.stringify({ tool: typeof tool.enable, result: toCallToolResult({ a: 1 }).structuredContent }));
`,
      'commonjs',
    ),
  );
  expect(() => require.resolve('@modelcontextprotocol/sdk/server/mcp.js', { paths: [dir] })).toThrow();
  sh(process.execPath, [tsc, '-p', '.'], dir);
  expect(JSON.parse(sh(process.execPath, ['out/main.js'], dir))).toEqual({ tool: 'function', result: { a: 1 } });
}, 60_000);

test('the packed bin runs: smart-async --help, and jobs list on a store', () => {
  const cli = join(work, 'node_modules', 'smart-async', 'dist', 'cli', 'index.js');
  expect(readFileSync(cli, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  expect(JSON.parse(readFileSync(join(work, 'node_modules', 'smart-async', 'package.json'), 'utf8')).bin).toEqual({
    'smart-async': 'dist/cli/index.js',
  });
  expect(sh(process.execPath, [cli, '--help'], work)).toMatch(/^Usage: smart-async/);
  const dir = join(work, 'cli-store');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  expect(JSON.parse(sh(process.execPath, [cli, 'jobs', 'list', '--file', dir, '--json'], work))).toEqual([]);
}, 60_000);
