import { Bench } from 'tinybench';
import { isJobTicket, type JobManager } from '../src';

/** Runs tinybench tasks and returns mean ns per op by name. */
export async function measure(tasks: Record<string, () => unknown>, time = 800): Promise<Record<string, number>> {
  const bench = new Bench({ time, warmupTime: 200 });
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
  await bench.run();
  const out: Record<string, number> = {};
  for (const task of bench.tasks) {
    const r = task.result as { latency?: { mean: number; p50?: number } } | undefined;
    out[task.name] = (r?.latency?.mean ?? NaN) * 1e6;
  }
  return out;
}

export const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}×`;

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function heading(title: string): void {
  console.log(`\n## ${title}\n`);
}

export function row(cells: Array<string | number>): void {
  console.log(`| ${cells.join(' | ')} |`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Explicit-async jobs launched and completed per second: `callers` concurrent callers each
 * launch a trivial job and wait for it, over `seconds`. Closes the manager.
 */
export async function jobsPerSecond(manager: JobManager, callers: number, seconds: number): Promise<number> {
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
