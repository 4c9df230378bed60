import { randomUUID } from 'node:crypto';
import { isJobTicket, jobContext, JobManager, MemoryJobStore, type JobPatch, type JobRecord, type JobStatus } from '../src';
import { fmt, heading, jobsPerSecond, row, sleep } from './common';

const gc = (): void => {
  global.gc?.();
  global.gc?.();
};

/** A hand-written job table: the least a background-job helper does (a Map of records, three transitions). */
async function handWrittenJobs(n: number, callers: number): Promise<number> {
  const jobs = new Map<string, Record<string, unknown>>();
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (next++ < n) {
        const id = randomUUID();
        const now = new Date().toISOString();
        jobs.set(id, { id, status: 'pending', created_at: now });
        await new Promise<void>((resolve) =>
          setImmediate(() => {
            jobs.set(id, { ...jobs.get(id), status: 'running' });
            void Promise.resolve({ ok: true }).then((result) => {
              jobs.set(id, { ...jobs.get(id), status: 'completed', result });
              resolve();
            });
          }),
        );
        if (jobs.size > 1000) jobs.delete(jobs.keys().next().value!);
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

const smartJobs = (seconds: number, callers: number): Promise<number> =>
  jobsPerSecond(new JobManager(new MemoryJobStore(), { retention: { maxJobs: 1000 } }), callers, seconds);

class CountingStore extends MemoryJobStore {
  updates = 0;
  override async update(id: string, patch: JobPatch, expect?: readonly JobStatus[]): Promise<JobRecord | undefined> {
    this.updates++;
    return super.update(id, patch, expect);
  }
}

/** Runs `fill` on a manager that keeps every job and prints the heap it holds per job. */
async function heapPerRetainedJob(how: string, fill: (manager: JobManager) => Promise<void>): Promise<void> {
  await sleep(100); // callbacks queued by the section before run, and release what they hold
  const manager = new JobManager(new MemoryJobStore(), { retention: { maxJobs: 1_000_000 } });
  gc();
  const before = process.memoryUsage().heapUsed;
  await fill(manager);
  gc();
  const { total } = await manager.health();
  row([fmt(total), how, `${fmt((process.memoryUsage().heapUsed - before) / total)} B`]);
  await manager.close();
}

export async function benchMemoryStore(): Promise<void> {
  heading('Memory store: explicit-async jobs launched and completed per second');
  row(['callers', 'hand-written job table', 'JobManager', 'ratio', 'store transitions/s']);
  row(['---:', '---:', '---:', '---:', '---:']);
  for (const callers of [1, 100]) {
    await handWrittenJobs(20_000, callers); // warm-up
    await smartJobs(0.5, callers);
    const base = await handWrittenJobs(100_000, callers);
    const ours = await smartJobs(3, callers);
    row([callers, `${fmt(base)}/s`, `${fmt(ours)}/s`, `${(ours / base).toFixed(2)}×`, `${fmt(ours * 3)}/s`]);
  }

  heading('Memory: bytes per retained settled job (result `{ ok: true, n }`)');
  row(['jobs retained', 'launched', 'heap per job']);
  row(['---:', '---', '---:']);
  // Jobs that settle in the same millisecond share their timestamp strings.
  await heapPerRetainedJob('in bursts of 1,000', async (manager) => {
    for (let i = 0; i < 100; i++) {
      const tickets = await Promise.all(
        Array.from({ length: 1000 }, (_, k) =>
          manager.launch(async () => ({ ok: true, n: i * 1000 + k }), { label: 'bench', asyncMode: true }),
        ),
      );
      await Promise.all(tickets.map((t) => (isJobTicket(t) ? manager.wait(t.job_id) : undefined)));
    }
  });
  // One job per millisecond or so: every record has timestamps of its own.
  await heapPerRetainedJob('one at a time, ~1 ms apart', async (manager) => {
    for (let n = 0; n < 3000; n++) {
      const t = await manager.launch(async () => ({ ok: true, n }), { label: 'bench', asyncMode: true });
      if (isJobTicket(t)) await manager.wait(t.job_id);
      await sleep(1);
    }
  });

  heading('Memory: heap with retention on (maxJobs 1,000) over 1,000,000 jobs');
  {
    const manager = new JobManager(new MemoryJobStore(), { retention: { maxJobs: 1000 } });
    const samples: number[] = [];
    for (let i = 1; i <= 1000; i++) {
      const tickets = await Promise.all(
        Array.from({ length: 1000 }, () => manager.launch(async () => ({ ok: true }), { label: 'bench', asyncMode: true })),
      );
      await Promise.all(tickets.map((t) => (isJobTicket(t) ? manager.wait(t.job_id) : undefined)));
      if (i % 200 === 0) {
        gc();
        samples.push(process.memoryUsage().heapUsed);
      }
    }
    row(['jobs run', ...samples.map((_, k) => fmt((k + 1) * 200_000))]);
    row(['---', ...samples.map(() => '---:')]);
    row(['heap used', ...samples.map((b) => `${fmt(b / 2 ** 20, 1)} MiB`)]);
    console.log(
      `\nHeap at 1,000,000 jobs vs at 200,000: ${(samples[samples.length - 1]! / samples[0]!).toFixed(2)}× (flat = 1.00×); jobs kept: ${(await manager.health()).total}`,
    );
    await manager.close();
  }

  heading('Progress: 100,000 reportProgress() calls in one background job');
  {
    const store = new CountingStore();
    const manager = new JobManager(store);
    const t0 = performance.now();
    const t = await manager.launch(
      async () => {
        const ctx = jobContext()!;
        for (let i = 1; i <= 100_000; i++) {
          ctx.reportProgress(i, 100_000);
          if (i % 1000 === 0) await new Promise((r) => setImmediate(r));
        }
      },
      { label: 'progress', asyncMode: true },
    );
    if (isJobTicket(t)) await manager.wait(t.job_id);
    const ms = performance.now() - t0;
    const progressWrites = store.updates - 2; // running + settled
    row(['reports', 'store writes for progress', 'uncoalesced would be', 'ratio', 'time']);
    row(['---:', '---:', '---:', '---:', '---:']);
    row(['100,000', fmt(progressWrites), '100,000', `${(100_000 / Math.max(1, progressWrites)).toFixed(0)}× fewer`, `${fmt(ms)} ms`]);
    await manager.close();
  }
}

if (require.main === module) void benchMemoryStore();
