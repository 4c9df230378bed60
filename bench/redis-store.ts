import { randomUUID } from 'node:crypto';
import { Queue, QueueEvents, Worker } from 'bullmq';
import Redis from 'ioredis';
import { isJobTicket, jobContext, JobManager } from '../src';
import { RedisJobStore } from '../src/redis';
import { fmt, heading, jobsPerSecond, percentile, ratio, row, sleep } from './common';

const connection = { host: '127.0.0.1', port: 6379 };

async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

async function deletePrefix(redis: Redis, pattern: string): Promise<void> {
  const keys = await redis.keys(pattern); // benchmark cleanup only
  for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
}

async function ours(seconds: number, callers: number): Promise<number> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const rate = await jobsPerSecond(new JobManager(new RedisJobStore({ prefix }), { retention: { maxJobs: 1000 } }), callers, seconds);
  const admin = new Redis(connection);
  await deletePrefix(admin, `${prefix}:*`);
  await admin.quit();
  return rate;
}

async function bullmq(seconds: number, callers: number): Promise<number> {
  const name = `bench-${randomUUID().slice(0, 8)}`;
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  const worker = new Worker(name, async () => ({ ok: true }), { connection, concurrency: callers });
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady(), worker.waitUntilReady()]);
  let done = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < end) {
        const job = await queue.add('noop', {}, { removeOnComplete: 1000 });
        await job.waitUntilFinished(events);
        done++;
      }
    }),
  );
  const rate = done / ((performance.now() - t0) / 1000);
  await worker.close();
  await events.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return rate;
}

async function memoryPerJob(admin: Redis, n: number): Promise<{ ours: number; bull: number }> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const before = await usedMemory(admin);
  const manager = new JobManager(new RedisJobStore({ prefix }), { retention: { maxJobs: 1_000_000 } });
  for (let i = 0; i < n; i += 500) {
    const tickets = await Promise.all(
      Array.from({ length: 500 }, (_, k) => manager.launch(async () => ({ ok: true, n: i + k }), { label: 'bench', asyncMode: true })),
    );
    await Promise.all(tickets.map((t) => (isJobTicket(t) ? manager.wait(t.job_id) : undefined)));
  }
  const oursPer = ((await usedMemory(admin)) - before) / n;
  await manager.close();
  await deletePrefix(admin, `${prefix}:*`);

  const name = `bench-${randomUUID().slice(0, 8)}`;
  const queue = new Queue(name, { connection });
  const worker = new Worker(name, async (job) => ({ ok: true, n: job.data.n as number }), { connection, concurrency: 50 });
  const before2 = await usedMemory(admin);
  for (let i = 0; i < n; i += 500) await queue.addBulk(Array.from({ length: 500 }, (_, k) => ({ name: 'noop', data: { n: i + k } })));
  while ((await queue.getCompletedCount()) < n) await sleep(100);
  const bullPer = ((await usedMemory(admin)) - before2) / n;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return { ours: oursPer, bull: bullPer };
}

async function cancelLatency(rounds: number): Promise<number[]> {
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const runner = new JobManager(new RedisJobStore({ prefix }));
  const canceller = new JobManager(new RedisJobStore({ prefix }));
  const out: number[] = [];
  for (let i = 0; i < rounds; i++) {
    let abortedAt = 0;
    const aborted = new Promise<void>((resolve) => {
      void runner
        .launch(
          async () => {
            const { signal } = jobContext()!;
            await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
            abortedAt = performance.now();
            resolve();
          },
          { label: 'cancel-me', asyncMode: true },
        )
        .then(async (t) => {
          if (!isJobTicket(t)) return;
          await sleep(20);
          const sent = performance.now();
          await canceller.cancel(t.job_id);
          await aborted;
          out.push(abortedAt - sent);
        });
    });
    await aborted;
    await sleep(5);
  }
  await Promise.all([runner.close(), canceller.close()]);
  const admin = new Redis(connection);
  await deletePrefix(admin, `${prefix}:*`);
  await admin.quit();
  return out.sort((a, b) => a - b);
}

/**
 * A filtered page beside the unfiltered page, over `n` stored jobs (20 owners, mixed statuses):
 * median ms of `list({ owner, statuses: ['running'], limit: 50 })` and of `list({ limit: 50 })`.
 */
export async function filteredPage(admin: Redis, n: number): Promise<{ filtered: number; plain: number }> {
  const prefix = `bench-list-${randomUUID().slice(0, 8)}`;
  const store = new RedisJobStore({ connection, prefix });
  const now = Date.now();
  for (let i = 0; i < n; i += 1000) {
    await Promise.all(
      Array.from({ length: Math.min(1000, n - i) }, (_, k) => {
        const at = new Date(now - (n - i - k) * 10).toISOString();
        const status = (i + k) % 10 === 0 ? 'running' : 'completed';
        return store.create({
          id: randomUUID(),
          label: 'report',
          status,
          created_at: at,
          started_at: at,
          completed_at: status === 'completed' ? at : null,
          updated_at: at,
          result: null,
          error: null,
          progress: null,
          owner: `tenant-${(i + k) % 20}`,
        });
      }),
    );
  }
  const median = async (fn: () => Promise<unknown>): Promise<number> => {
    const times: number[] = [];
    for (let r = 0; r < 25; r++) {
      const t0 = performance.now();
      await fn();
      times.push(performance.now() - t0);
    }
    return times.sort((a, b) => a - b)[12]!;
  };
  await store.list({ limit: 1 }); // indexes checked once
  const filtered = await median(() => store.list({ owner: 'tenant-10', statuses: ['running'], limit: 50 }));
  const plain = await median(() => store.list({ limit: 50 }));
  await store.close();
  await deletePrefix(admin, `${prefix}:*`);
  return { filtered, plain };
}

export async function benchRedis(seconds = 3): Promise<void> {
  const admin = new Redis(connection);
  try {
    await admin.ping();
  } catch {
    console.log('\n## Redis: skipped (no Redis on 127.0.0.1:6379)');
    admin.disconnect();
    return;
  }
  heading('Redis: explicit-async jobs launched and completed per second (same Redis, same run)');
  row(['callers', 'BullMQ (add + worker, wait for completion)', 'RedisJobStore', 'ratio']);
  row(['---:', '---:', '---:', '---:']);
  for (const callers of [1, 10]) {
    const bull = await bullmq(seconds, callers);
    const mine = await ours(seconds, callers);
    row([callers, `${fmt(bull)}/s`, `${fmt(mine)}/s`, `${(mine / bull).toFixed(2)}×`]);
  }
  heading('Redis: memory per retained completed job (5,000 jobs, INFO used_memory)');
  const mem = await memoryPerJob(admin, 5000);
  row(['', 'BullMQ', 'RedisJobStore', 'ratio']);
  row(['---', '---:', '---:', '---:']);
  row(['bytes per job', fmt(mem.bull), fmt(mem.ours), `${(mem.ours / mem.bull).toFixed(2)}×`]);
  heading('Redis: a filtered page beside the unfiltered page (median of 25; 20 owners, 10 % running)');
  row(['stored jobs', 'list({ limit: 50 })', 'list({ owner, status: running, limit: 50 })', 'ratio', 'target']);
  row(['---:', '---:', '---:', '---:', '---:']);
  for (const n of [10_000, 100_000]) {
    const page = await filteredPage(admin, n);
    row([fmt(n), `${page.plain.toFixed(2)} ms`, `${page.filtered.toFixed(2)} ms`, ratio(page.filtered, page.plain), '≤ 2×']);
  }
  heading('Redis: cancel latency, from cancel() in one store to the abort in the other (loopback)');
  const lat = await cancelLatency(30);
  row(['p50', 'p99', 'max', 'target']);
  row(['---:', '---:', '---:', '---:']);
  row([
    `${percentile(lat, 50).toFixed(2)} ms`,
    `${percentile(lat, 99).toFixed(2)} ms`,
    `${lat[lat.length - 1]!.toFixed(2)} ms`,
    '< 100 ms',
  ]);
  await admin.quit();
}

if (require.main === module) void benchRedis();
