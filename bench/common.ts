import { Bench } from 'tinybench';

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

export const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
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
