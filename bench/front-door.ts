import 'reflect-metadata';
import { JobManager, MemoryJobStore, withCallOptions, type JobManager as Manager } from '../src';
import { fmt, heading, measure, ratio, row, sleep } from './common';

/** Launches `n` async jobs of `ms` each and waits for them all; returns seconds taken. */
async function drain(manager: Manager, n: number, ms: number, owner = 'o'): Promise<number> {
  const t0 = performance.now();
  const tickets = await Promise.all(
    Array.from({ length: n }, () => manager.launch(() => (ms > 0 ? sleep(ms) : Promise.resolve()), { label: 'q', asyncMode: true, owner })),
  );
  await Promise.all(tickets.map((t) => manager.wait((t as { job_id: string }).job_id)));
  return (performance.now() - t0) / 1000;
}

export async function benchFrontDoor(): Promise<void> {
  heading('The front door: an inline call with an idempotency key, admission, fairness (memory store)');
  const plain = new JobManager(new MemoryJobStore(), { onWarning: () => undefined });
  const keyedManager = new JobManager(new MemoryJobStore(), { onWarning: () => undefined });
  let k = 0;
  const work = async (): Promise<number> => 1;
  const r = await measure({
    'inline call': () => plain.launch(work, { label: 'x', timeoutMs: 10_000 }),
    'inline call + idempotency key (reserve + outcome: 2 store writes)': () =>
      keyedManager.launch(work, { label: 'x', timeoutMs: 10_000, idempotencyKey: `k${k++}`, fingerprint: 'f' }),
    'repeated key (answered from the store, work not run)': () =>
      keyedManager.launch(work, { label: 'x', timeoutMs: 10_000, idempotencyKey: 'k0', fingerprint: 'f' }),
  });
  row(['variant', 'µs/call', 'vs inline call']);
  row(['---', '---:', '---:']);
  for (const [name, ns] of Object.entries(r)) row([name, fmt(ns / 1000, 2), ratio(ns, r['inline call']!)]);
  await Promise.all([plain.close(), keyedManager.close()]);

  const n = 10_000;
  const free = new JobManager(new MemoryJobStore(), { onWarning: () => undefined });
  const limited = new JobManager(new MemoryJobStore(), { onWarning: () => undefined, concurrency: { max: 10 } });
  const tFree = await drain(free, n, 0);
  const tLimited = await drain(limited, n, 0);
  console.log('');
  row([`${fmt(n)} jobs through the door (no work)`, 'seconds', 'jobs/s', 'ratio']);
  row(['---', '---:', '---:', '---:']);
  row(['no limit', tFree.toFixed(3), fmt(n / tFree), '1.00×']);
  row(['concurrency { max: 10 } (9,990 wait in the queue)', tLimited.toFixed(3), fmt(n / tLimited), ratio(tLimited, tFree)]);
  await Promise.all([free.close(), limited.close()]);

  // Fairness: one slot; a heavy owner queues 500 jobs of 2 ms, then a light owner one. Its wait
  // is at most about one job (the one running), whatever the heavy owner's backlog.
  const fair = new JobManager(new MemoryJobStore(), { onWarning: () => undefined, concurrency: { max: 1 } });
  const heavy = drain(fair, 500, 2, 'heavy');
  await sleep(5);
  const t0 = performance.now();
  await withCallOptions({ manager: fair }, async () => {
    const t = await fair.launch(() => sleep(2), { label: 'light', asyncMode: true, owner: 'light' });
    await fair.wait((t as { job_id: string }).job_id);
  });
  const lightWait = performance.now() - t0;
  await heavy;
  console.log('');
  row(['fairness (1 slot, heavy owner: 500 queued jobs of 2 ms)', 'light owner’s one job, queued to done', 'FIFO would be']);
  row(['---', '---:', '---:']);
  row(['', `${lightWait.toFixed(1)} ms`, '~1,000 ms']);
  await fair.close();
}

if (require.main === module) void benchFrontDoor();
