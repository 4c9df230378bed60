import { randomUUID } from 'node:crypto';
import Redis from 'ioredis';
import { isJobTicket, jobContext, JobManager, type JobRecord } from '../../src';
import { RedisJobStore } from '../../src/redis';
import { TcpProxy } from '../support/tcp-proxy';

/**
 * A partition longer than the lease, against the real Redis on 6379: manager A reaches Redis
 * through a TCP proxy that stops passing traffic (connections stay open); manager B reaches it
 * directly and marks A's jobs stale once their leases expire. When the partition heals, A learns
 * that its jobs went stale: their work is aborted with JOB_STALE, and outcomes that came during
 * or after the partition are not written. Final states never change, and each manager announces
 * each job's settle once.
 */
const LEASE = 600;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('a partition longer than the lease: jobs end stale for good, one settle per job per manager, late work aborted with JOB_STALE', async () => {
  const prefix = `partition-${randomUUID().slice(0, 8)}`;
  const proxy = new TcpProxy(6379);
  const port = await proxy.start();
  const warningsA: string[] = [];
  const a = new JobManager(
    new RedisJobStore({ connection: `redis://127.0.0.1:${port}`, prefix, leaseMs: LEASE, onWarning: () => undefined }),
    {
      storeTimeoutMs: 400,
      closeGraceMs: 100,
      onWarning: (w) => warningsA.push(w),
    },
  );
  const b = new JobManager(new RedisJobStore({ prefix, leaseMs: LEASE, onWarning: () => undefined }), { onWarning: () => undefined });
  const admin = new Redis('redis://127.0.0.1:6379');
  try {
    const settledA = new Map<string, string[]>();
    const settledB = new Map<string, string[]>();
    a.on('settled', (j) => settledA.set(j.id, [...(settledA.get(j.id) ?? []), j.status]));
    b.on('settled', (j) => settledB.set(j.id, [...(settledB.get(j.id) ?? []), j.status]));

    // Half the jobs finish during the partition, half after it has healed (unless aborted).
    const aborts = new Map<string, unknown>();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const ms = i % 2 === 0 ? 1_200 : 4_000;
      const t = await a.launch(
        async () => {
          const { signal, jobId } = jobContext()!;
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(resolve, ms);
            signal.addEventListener('abort', () => {
              clearTimeout(timer);
              aborts.set(jobId!, signal.reason);
              reject(signal.reason);
            });
          });
          return { finished: ms };
        },
        { label: `job-${i}`, asyncMode: true },
      );
      if (!isJobTicket(t)) throw new Error('expected a ticket');
      ids.push(t.job_id);
    }
    await sleep(100);
    for (const id of ids) expect((await b.get(id))?.status).toBe('running');
    const waitsB = ids.map((id) => b.wait(id, { timeoutMs: 15_000 }));

    proxy.pause();
    await sleep(2_000); // > lease + a sweep: B marks every job stale meanwhile
    const during = await Promise.all(ids.map((id) => b.get(id)));
    expect(during.map((j) => j?.status)).toEqual(ids.map(() => 'stale'));
    proxy.resume();

    const waited = await Promise.all(waitsB);
    expect(waited.map((j) => j.status)).toEqual(ids.map(() => 'stale'));
    for (const j of waited) expect(j.error).toMatchObject({ name: 'StaleJobError', code: 'JOB_STALE' });

    // Let every work finish or be aborted, and every late outcome be tried.
    await sleep(4_500);
    const after = (await Promise.all(ids.map((id) => b.get(id)))) as JobRecord[];
    expect(after).toEqual(
      waited.map((j) => expect.objectContaining({ id: j.id, status: 'stale', completed_at: j.completed_at, result: null, error: j.error })),
    );
    // Raw Redis agrees (no half-written hash), and no job is left in the active index.
    for (const id of ids) expect(await admin.hget(`${prefix}:job:${id}`, 'status')).toBe('stale');
    expect(await admin.zcard(`${prefix}:active`)).toBe(0);

    // One settle per job per manager, and it was `stale` for both.
    for (const id of ids) {
      expect(settledB.get(id)).toEqual(['stale']);
      expect(settledA.get(id)).toEqual(['stale']);
    }
    // The long jobs were still running when A learnt: their work was aborted with JOB_STALE.
    const longIds = ids.filter((_, i) => i % 2 === 1);
    for (const id of longIds) expect(aborts.get(id)).toMatchObject({ name: 'StaleJobError', code: 'JOB_STALE' });
    // Every job's late outcome was reported, not written.
    for (const id of ids) expect(warningsA.some((w) => w.includes(id) && w.includes('not written'))).toBe(true);
  } finally {
    await Promise.all([a.close(), b.close()]);
    await proxy.stop();
    const keys = await admin.keys(`${prefix}:*`); // test cleanup only
    if (keys.length > 0) await admin.del(...keys);
    await admin.quit();
  }
}, 40_000);
