import 'reflect-metadata';
import { isJobTicket, JobManager, MemoryJobStore } from '../src';
import { randomUUID } from 'node:crypto';
import { fmt, heading, percentile, row, sleep } from './common';

/** The floor: a hand-written race whose timer hands back a minimal ticket (no job record). */
function handRace(work: () => Promise<string>, ms: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => resolve({ job_id: randomUUID(), status: 'running' }), ms);
    work().then((v) => {
      clearTimeout(t);
      resolve(v);
    }, reject);
  });
}

/** A second floor: the least a switch that keeps a job record does (a record in a Map, one promise hop). */
const records = new Map<string, object>();
function handRaceWithRecord(work: () => Promise<string>, ms: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const t = setTimeout(() => {
      const id = randomUUID();
      const now = new Date().toISOString();
      const job = {
        id,
        label: 'slow',
        status: 'running',
        created_at: now,
        started_at: new Date(started).toISOString(),
        completed_at: null,
        updated_at: now,
        result: null,
        error: null,
        progress: null,
      };
      void Promise.resolve()
        .then(() => {
          records.set(id, job);
          if (records.size > 1000) records.delete(records.keys().next().value!);
        })
        .then(() => resolve({ job_id: id, status: 'running' }));
    }, ms);
    work().then((v) => {
      clearTimeout(t);
      resolve(v);
    }, reject);
  });
}

type Launch = (work: () => Promise<string>, budget: number) => Promise<unknown>;

async function lateness(launch: Launch, calls: number, budget: number): Promise<number[]> {
  const late: number[] = [];
  const work = (): Promise<string> => sleep(budget + 200).then(() => 'done');
  await Promise.all(
    Array.from({ length: calls }, async () => {
      const t0 = performance.now();
      await launch(work, budget);
      late.push(performance.now() - t0 - budget);
    }),
  );
  await sleep(250);
  return late.sort((a, b) => a - b);
}

/**
 * 1,000 concurrent calls whose work outlives a 50 ms budget: how late after the budget does
 * each caller get its ticket? Against a hand-written race in the same run; the seed allowed
 * budget + 1 s. Rounds 1-3 warm the JIT; the figures are from rounds 4-12: each percentile's
 * median over those rounds, and the worst round's max (the machine is shared and noisy).
 */
export async function benchSwitch(calls = 1000, budget = 50): Promise<void> {
  const manager = new JobManager(new MemoryJobStore(), { retention: { maxJobs: 100_000 } });
  const ours: Launch = async (work, ms) => {
    const out = await manager.launch(work, { label: 'slow', timeoutMs: ms });
    if (!isJobTicket(out)) throw new Error('expected a ticket');
  };
  const stats = { floor: [] as number[][], record: [] as number[][], ours: [] as number[][] };
  const summary = (l: number[]): number[] => [percentile(l, 50), percentile(l, 99), l[l.length - 1]!];
  for (let round = 0; round < 12; round++) {
    const f = await lateness(handRace, calls, budget);
    const r = await lateness(handRaceWithRecord, calls, budget);
    const o = await lateness(ours, calls, budget);
    if (round >= 3) {
      stats.floor.push(summary(f));
      stats.record.push(summary(r));
      stats.ours.push(summary(o));
    }
  }
  await manager.close();
  const median = (rows: number[][], k: number): number => rows.map((r) => r[k]!).sort((a, b) => a - b)[Math.floor(rows.length / 2)]!;
  heading(`Switch latency: ${fmt(calls)} concurrent calls, ${budget} ms budget (ms after the budget)`);
  const worst = (rows: number[][]): string => Math.max(...rows.map((r) => r[2]!)).toFixed(2);
  row(['', 'p50', 'p99', 'max', 'worst round max', 'target']);
  row(['---', '---:', '---:', '---:', '---:', '---:']);
  row(['hand-written race (floor)', ...[0, 1, 2].map((k) => median(stats.floor, k).toFixed(2)), worst(stats.floor), '']);
  row(['hand-written race + job record in a Map', ...[0, 1, 2].map((k) => median(stats.record, k).toFixed(2)), worst(stats.record), '']);
  row([
    'JobManager (job record + ticket)',
    ...[0, 1, 2].map((k) => median(stats.ours, k).toFixed(2)),
    worst(stats.ours),
    '≤ 5 (seed: 1,000)',
  ]);
  console.log(
    `\nMedians over ${stats.ours.length} rounds (after 3 warm-up rounds); "worst round max" is the latest ticket of any of them.`,
  );
}

if (require.main === module) void benchSwitch();
