/**
 * Jobs shared through Redis by several processes.
 *
 * Run: npx ts-node --transpile-only samples/redis-workers.ts   (Redis on 127.0.0.1:6379, or REDIS_URL)
 *
 * Two worker processes each start jobs; a client in this third process sees all of them, polls
 * their status, cancels one (its work stops in the worker that runs it) and waits for the rest.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { jobContext, JobManager } from '../src';
import { RedisJobStore } from '../src/redis';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function worker(name: string, prefix: string): Promise<void> {
  const jobs = new JobManager(new RedisJobStore({ connection: url, prefix, leaseMs: 3_000 }));
  for (let i = 1; i <= 2; i++) {
    const steps = name === 'worker-a' && i === 2 ? 50 : 5;
    await jobs.launch(
      async () => {
        const ctx = jobContext()!;
        for (let s = 1; s <= steps; s++) {
          if (ctx.signal.aborted) {
            console.log(`${name}: job ${ctx.jobId!.slice(0, 8)} stopped: ${(ctx.signal.reason as Error).message}`);
            throw ctx.signal.reason;
          }
          await sleep(100);
          ctx.reportProgress(s, steps);
        }
        return { by: name, steps };
      },
      { label: `${name}-job-${i}`, asyncMode: true },
    );
  }
  console.log(`${name}: started 2 jobs`);
  process.on('SIGTERM', () => void jobs.close().then(() => process.exit(0)));
}

async function main(): Promise<void> {
  const prefix = `sample-${process.pid}`;
  const workers = ['worker-a', 'worker-b'].map((name) =>
    spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename, '--worker', name, prefix], {
      stdio: ['ignore', 'inherit', 'inherit'],
    }),
  );
  const store = new RedisJobStore({ connection: url, prefix });
  const client = new JobManager(store);
  try {
    let jobs = await client.list();
    while (jobs.length < 4) {
      await sleep(100);
      jobs = await client.list();
    }
    console.log(
      `client: sees ${jobs.length} jobs from 2 workers: ${jobs
        .map((j) => j.label)
        .sort()
        .join(', ')}`,
    );
    const long = jobs.find((j) => j.label === 'worker-a-job-2')!;
    await sleep(300);
    const { job } = await client.status(long.id);
    console.log(`client: ${job.label} is ${job.status}, progress ${job.progress?.current ?? 0}/${job.progress?.total ?? '?'}`);
    console.log(`client: cancelling ${job.label} → ${(await client.cancel(long.id, 'cancelled by the client')).status}`);
    const settled = await Promise.all(jobs.map((j) => client.wait(j.id, { timeoutMs: 20_000 })));
    for (const j of settled.sort((a, b) => a.label.localeCompare(b.label))) {
      console.log(
        `client: ${j.label.padEnd(16)} ${j.status.padEnd(10)} ${j.status === 'completed' ? JSON.stringify(j.result) : j.error?.message}`,
      );
    }
    const health = await client.health();
    console.log(`client: health ${health.status}, store ${health.store}, counts ${JSON.stringify(health.counts)}`);
    await client.prune();
  } finally {
    workers.forEach((w) => w.kill('SIGTERM'));
    await Promise.all(workers.map((w) => new Promise((r) => (w.exitCode !== null ? r(null) : w.once('exit', r)))));
    await client.close();
  }
}

const i = process.argv.indexOf('--worker');
(i > 0 ? worker(process.argv[i + 1]!, process.argv[i + 2]!) : main()).catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
