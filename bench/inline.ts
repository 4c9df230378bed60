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
}

export async function benchInline(): Promise<void> {
  const child = container.createChildContainer();
  const store = new MemoryJobStore();
  child.register(JOB_STORE, { useValue: store });
  child.registerSingleton(JobManager);
  configureSmartAsync({ container: child });
  const svc = new Svc();
  const r = await measure({
    undecorated: () => svc.plain(1),
    'hand-written race': () => handRace(() => svc.plain(1), 10_000),
    '@SmartAsync': () => svc.smart(1),
    '@SmartAsync + timeoutEnv': () => svc.smartEnv(1),
  });
  heading('Inline path: a method that settles inside its budget');
  row(['variant', 'ns/call', 'vs hand-written race', 'added vs undecorated']);
  row(['---', '---:', '---:', '---:']);
  for (const [name, ns] of Object.entries(r)) {
    row([name, fmt(ns), ratio(ns, r['hand-written race']!), `${fmt((ns - r.undecorated!) / 1000, 2)} µs`]);
  }
  console.log(`\nStore writes on the inline path: ${(await store.list()).length} jobs created`);
  configureSmartAsync();
}

if (require.main === module) void benchInline();
