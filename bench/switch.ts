import 'reflect-metadata';
import { isJobTicket, JobManager, MemoryJobStore } from '../src';
import { fmt, heading, percentile, row, sleep } from './common';

/**
 * 1,000 concurrent calls whose work outlives a 50 ms budget: how late after the budget does
 * each caller get its ticket? The seed allowed budget + 1 s.
 */
export async function benchSwitch(calls = 1000, budget = 50): Promise<{ p50: number; p99: number; max: number }> {
  const manager = new JobManager(new MemoryJobStore(), { retention: { maxJobs: 100_000 } });
  const late: number[] = [];
  const work = (): Promise<string> => sleep(budget + 200).then(() => 'done');
  await Promise.all(
    Array.from({ length: calls }, async () => {
      const t0 = performance.now();
      const out = await manager.launch(work, { label: 'slow', timeoutMs: budget });
      if (!isJobTicket(out)) throw new Error('expected a ticket');
      late.push(performance.now() - t0 - budget);
    }),
  );
  await sleep(300);
  await manager.close();
  late.sort((a, b) => a - b);
  const r = { p50: percentile(late, 50), p99: percentile(late, 99), max: late[late.length - 1]! };
  heading(`Switch latency: ${fmt(calls)} concurrent calls, ${budget} ms budget`);
  row(['', 'p50', 'p99', 'max', 'target']);
  row(['---', '---:', '---:', '---:', '---:']);
  row(['ticket after budget', `${r.p50.toFixed(2)} ms`, `${r.p99.toFixed(2)} ms`, `${r.max.toFixed(2)} ms`, '≤ 5 ms (seed: 1 s)']);
  return r;
}

if (require.main === module) void benchSwitch();
