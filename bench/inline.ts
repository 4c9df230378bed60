import 'reflect-metadata';
import { container } from 'tsyringe';
import { configureSmartAsync, JOB_STORE, JobManager, MemoryJobStore, SmartAsync } from '../src';
import { fmt, heading, measure, ratio, row } from './common';

/** The floor of the technique: a hand-written race of the work against a timer. */
function handRace<T>(work: () => Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('timeout')), ms);
    work().then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

class Svc {
  async plain(n: number): Promise<number> {
    return n + 1;
  }
  @SmartAsync({ timeoutMs: 10_000 })
  async smart(n: number): Promise<number> {
    return n + 1;
  }
  @SmartAsync({ timeoutMs: 10_000, timeoutEnv: 'BENCH_TIMEOUT_UNSET' })
  async smartEnv(n: number): Promise<number> {
    return n + 1;
  }
  @SmartAsync({ timeoutMs: 10_000, durable: { name: 'bench.inline.durable' } })
  async durable(n: number): Promise<number> {
    return n + 1;
  }
}

export async function benchInline(): Promise<void> {
  const child = container.createChildContainer();
  const store = new MemoryJobStore();
  child.register(JOB_STORE, { useValue: store });
  child.registerSingleton(JobManager);
  configureSmartAsync({ container: child });
  const svc = new Svc();
  const baseline = {
    undecorated: () => svc.plain(1),
    'hand-written race': () => handRace(() => svc.plain(1), 10_000),
  };
  // Node 20 turns on AsyncLocalStorage's promise hooks for the whole process at its first use
  // (jobContext() needs it); from then on every promise costs a little more, decorated or not.
  const before = await measure(baseline);
  await svc.smart(1);
  // Rounds alternate the variants; each figure is its median over the rounds.
  const rounds: Array<Record<string, number>> = [];
  for (let i = 0; i < 5; i++)
    rounds.push(
      await measure(
        {
          ...baseline,
          '@SmartAsync': () => svc.smart(1),
          '@SmartAsync + timeoutEnv': () => svc.smartEnv(1),
          '@SmartAsync({ durable })': () => svc.durable(1),
        },
        600,
      ),
    );
  const r: Record<string, number> = {};
  for (const name of Object.keys(rounds[0]!)) r[name] = rounds.map((x) => x[name]!).sort((a, b) => a - b)[2]!;
  heading('Inline path: a method that settles inside its budget');
  row(['variant', 'ns/call', 'vs hand-written race', 'added vs undecorated']);
  row(['---', '---:', '---:', '---:']);
  for (const [name, ns] of Object.entries(r)) {
    row([name, fmt(ns), ratio(ns, r['hand-written race']!), `${fmt((ns - r.undecorated!) / 1000, 2)} µs`]);
  }
  console.log(
    `\nMedians of 5 alternating rounds, all with AsyncLocalStorage's promise hooks on. Before they were on: ` +
      `undecorated ${fmt(before.undecorated!)} ns, hand-written race ${fmt(before['hand-written race']!)} ns ` +
      `(the hooks' cost to every promise of the process on Node 20: ${ratio(r.undecorated!, before.undecorated!)} on the undecorated call).`,
  );
  console.log(`\nStore writes on the inline path: ${(await store.list()).length} jobs created`);
  configureSmartAsync();
}

if (require.main === module) void benchInline();
