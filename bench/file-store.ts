import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { FileJobStore, isJobTicket, JobManager, type JobRecord, type JobStore } from '../src';
import { fmt, heading, row } from './common';
import { SeedJsonStore } from './seed-json-store';

function record(i: number): JobRecord {
  const t = new Date(Date.now() - 1000).toISOString();
  return { id: randomUUID(), label: `old-${i}`, status: 'completed', created_at: t, started_at: t, completed_at: t, updated_at: t, result: { i, rows: 1000 }, error: null, progress: null };
}

/** Fills a store with `n` settled jobs, directly. */
async function preload(store: JobStore, n: number): Promise<void> {
  const batch = 1000;
  for (let i = 0; i < n; i += batch) await Promise.all(Array.from({ length: Math.min(batch, n - i) }, (_, k) => store.create(record(i + k))));
}

/** Durable explicit-async jobs launched and completed per second by `callers` concurrent callers, over `seconds`. */
async function throughput(store: JobStore, callers: number, seconds: number): Promise<number> {
  const manager = new JobManager(store, { retention: { maxJobs: 1_000_000 } });
  let done = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < end) {
        const t = await manager.launch(async () => ({ ok: true }), { label: 'bench', asyncMode: true });
        if (isJobTicket(t)) await manager.wait(t.job_id);
        done++;
      }
    }),
  );
  const rate = done / ((performance.now() - t0) / 1000);
  await manager.close();
  return rate;
}

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
        row([fmt(stored), callers, `${fmt(seedRate)}/s`, `${fmt(ourRate)}/s`, `${(ourRate / seedRate).toFixed(1)}×`, `${fmt(looseRate)}/s`]);
      }
    }

    heading('File store: opening a store of 100,000 jobs');
    const path = join(root, 'big');
    const lines: string[] = [];
    for (let i = 0; i < 100_000; i++) lines.push(JSON.stringify({ op: 'put', by: 'bench', run: 'bench', job: record(i) }));
    const { mkdirSync } = await import('node:fs');
    mkdirSync(path, { recursive: true });
    writeFileSync(join(path, 'jobs.jsonl'), `${lines.join('\n')}\n`);
    lines.length = 0;
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const big = new FileJobStore({ path });
    const counts = await big.counts();
    const openMs = performance.now() - t0;
    global.gc?.();
    const heapAfter = process.memoryUsage().heapUsed;
    row(['jobs', 'open time', 'target', 'heap held', 'per job']);
    row(['---:', '---:', '---:', '---:', '---:']);
    row([fmt(counts.completed), `${fmt(openMs)} ms`, '< 1,000 ms', `${fmt((heapAfter - heapBefore) / 2 ** 20, 1)} MiB`, `${fmt((heapAfter - heapBefore) / counts.completed)} B`]);
    await big.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (require.main === module) void benchFileStore();
