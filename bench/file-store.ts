import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { FileJobStore, JobManager, type JobRecord, type JobStore } from '../src';
import { fmt, heading, jobsPerSecond, row } from './common';
import { SeedJsonStore } from './seed-json-store';

const run = promisify(execFile);

function record(i: number): JobRecord {
  const t = new Date(Date.now() - 1000).toISOString();
  return {
    id: randomUUID(),
    label: `old-${i}`,
    status: 'completed',
    created_at: t,
    started_at: t,
    completed_at: t,
    updated_at: t,
    result: { i, rows: 1000 },
    error: null,
    progress: null,
  };
}

/** Fills a store with `n` settled jobs, directly. */
async function preload(store: JobStore, n: number): Promise<void> {
  if (store instanceof SeedJsonStore) return store.preload(Array.from({ length: n }, (_, i) => record(i)));
  const batch = 1000;
  for (let i = 0; i < n; i += batch)
    await Promise.all(Array.from({ length: Math.min(batch, n - i) }, (_, k) => store.create(record(i + k))));
}

/** Durable explicit-async jobs launched and completed per second. */
const throughput = (store: JobStore, callers: number, seconds: number): Promise<number> =>
  jobsPerSecond(new JobManager(store, { retention: { maxJobs: 1_000_000 } }), callers, seconds);

export async function benchFileStore(seconds = 2): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'smart-async-bench-'));
  try {
    heading('File store: durable explicit-async jobs (launched and completed) per second');
    row(['stored jobs', 'callers', 'seed: rewrite whole JSON per change', 'FileJobStore (fsync)', 'ratio', 'FileJobStore (no fsync)']);
    row(['---:', '---:', '---:', '---:', '---:', '---:']);
    let dir = 0;
    for (const stored of [1_000, 10_000]) {
      for (const callers of [1, 100]) {
        const seed = new SeedJsonStore(join(root, `seed-${dir++}.json`));
        await preload(seed, stored);
        const seedRate = await throughput(seed, callers, seconds);
        const ours = new FileJobStore({ path: join(root, `file-${dir++}`) });
        await preload(ours, stored);
        const ourRate = await throughput(ours, callers, seconds);
        const loose = new FileJobStore({ path: join(root, `file-${dir++}`), fsync: false });
        await preload(loose, stored);
        const looseRate = await throughput(loose, callers, seconds);
        row([
          fmt(stored),
          callers,
          `${fmt(seedRate)}/s`,
          `${fmt(ourRate)}/s`,
          `${(ourRate / seedRate).toFixed(1)}×`,
          `${fmt(looseRate)}/s`,
        ]);
      }
    }

    heading('File store: opening a store of 100,000 jobs (in a fresh process)');
    const path = join(root, 'big');
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) lines.push(JSON.stringify({ op: 'put', by: 'bench', run: 'bench', job: record(i) }));
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'jobs.jsonl'), `${lines.join('\n')}\n`);
    const { stdout } = await run(process.execPath, ['--expose-gc', '-r', 'ts-node/register/transpile-only', __filename, '--open', path], {
      cwd: join(__dirname, '..'),
    });
    const r = JSON.parse(stdout) as { jobs: number; openMs: number; heap: number };
    row(['jobs', 'open time', 'target', 'heap held', 'per job']);
    row(['---:', '---:', '---:', '---:', '---:']);
    row([fmt(r.jobs), `${fmt(r.openMs)} ms`, '< 1,000 ms', `${fmt(r.heap / 2 ** 20, 1)} MiB`, `${fmt(r.heap / r.jobs)} B`]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Child-process side of the open benchmark: opens the store once and reports. */
async function openOnce(path: string): Promise<void> {
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const store = new FileJobStore({ path });
  const counts = await store.counts();
  const openMs = performance.now() - t0;
  global.gc?.();
  process.stdout.write(JSON.stringify({ jobs: counts.completed, openMs, heap: process.memoryUsage().heapUsed - heapBefore }));
  await store.close();
}

if (require.main === module) {
  const i = process.argv.indexOf('--open');
  void (i > 0 ? openOnce(process.argv[i + 1]!) : benchFileStore());
}
