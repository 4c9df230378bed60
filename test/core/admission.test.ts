import 'reflect-metadata';
import { JobManager, SmartAsync, withCallOptions, type SmartResult } from '../../src';
import { ticketOf } from '../fixtures/ticket';
import { closeHarnesses, CountingStore, sleep, useHarness } from '../support/harness';

/**
 * Admission (`SMART_ASYNC_CONFIG.concurrency`): limits never exceeded, calls past their budget
 * waiting as pending jobs, owners served in turn, refusals at once that create nothing.
 * Runs with legacy and with standard decorators.
 */
afterEach(closeHarnesses);

const quiet = { onWarning: () => undefined, closeGraceMs: 50 };

/** Counts how many calls run at once. */
class Gauge {
  now = 0;
  peak = 0;
  starts: string[] = [];
  async run<T>(name: string, ms: number, value: T): Promise<T> {
    this.starts.push(name);
    this.now++;
    this.peak = Math.max(this.peak, this.now);
    try {
      await sleep(ms);
      return value;
    } finally {
      this.now--;
    }
  }
}

test('a limit of 2 is never exceeded under 50 concurrent calls; every call still gets its value', async () => {
  useHarness({ ...quiet, concurrency: { max: 2 } });
  const gauge = new Gauge();
  class Svc {
    @SmartAsync({ timeoutMs: 10_000 })
    async run(i: number): Promise<SmartResult<number>> {
      return gauge.run(`c${i}`, 10, i);
    }
  }
  const svc = new Svc();
  const out = await Promise.all(Array.from({ length: 50 }, (_, i) => svc.run(i)));
  expect(out).toEqual(Array.from({ length: 50 }, (_, i) => i));
  expect(gauge.peak).toBe(2);
});

test('a call that gets no slot within its budget gets a pending ticket and starts when a slot frees; one that gets it in time writes nothing', async () => {
  const store = new CountingStore();
  const { manager } = useHarness({ ...quiet, concurrency: { max: 1 } }, store);
  const gauge = new Gauge();
  class Svc {
    @SmartAsync({ timeoutMs: 5_000 })
    async long(): Promise<SmartResult<string>> {
      return gauge.run('long', 300, 'long done');
    }
    @SmartAsync({ timeoutMs: 50 })
    async impatient(): Promise<SmartResult<string>> {
      return gauge.run('impatient', 10, 'impatient done');
    }
    @SmartAsync({ timeoutMs: 2_000 })
    async patient(): Promise<SmartResult<string>> {
      return gauge.run('patient', 10, 'patient done');
    }
  }
  const svc = new Svc();
  const long = svc.long();
  await sleep(20);
  const t = ticketOf(await svc.impatient());
  expect(t.status).toBe('pending');
  const writesBefore = store.creates + store.updates;
  expect(await svc.patient()).toBe('patient done'); // waited for its slot, then finished inline
  expect(await long).toBe('long done');
  expect((await manager.wait(t.job_id, { timeoutMs: 3_000 })).result).toBe('impatient done');
  expect(gauge.peak).toBe(1);
  expect(gauge.starts).toEqual(['long', 'impatient', 'patient']); // in the order they asked
  expect(store.creates + store.updates).toBeGreaterThanOrEqual(writesBefore); // the inline wait wrote nothing of its own
});

test('owners take turns: an owner queued behind another owner’s 20 jobs starts within one slot turn', async () => {
  const { manager } = useHarness({ ...quiet, concurrency: { max: 1 } });
  const gauge = new Gauge();
  const launch = (owner: string, i: number): Promise<unknown> =>
    manager.launch(() => gauge.run(`${owner}-${i}`, 15, i), { label: 'work', asyncMode: true, owner });
  const heavy = [];
  for (let i = 0; i < 20; i++) heavy.push(ticketOf(await launch('heavy', i)).job_id);
  const light = ticketOf(await launch('light', 0)).job_id;
  await manager.wait(light, { timeoutMs: 5_000 });
  expect(gauge.starts.indexOf('light-0')).toBeLessThanOrEqual(2); // heavy-0 was running; at most one more before it
  await Promise.all(heavy.map((id) => manager.wait(id, { timeoutMs: 5_000 })));
  expect(gauge.peak).toBe(1);
});

test('perOwner bounds one owner; other owners still run', async () => {
  useHarness({ ...quiet, concurrency: { max: 3, perOwner: 1 } });
  const gauge = new Gauge();
  class Svc {
    @SmartAsync({ timeoutMs: 5_000 })
    async run(name: string): Promise<SmartResult<string>> {
      return gauge.run(name, 100, name);
    }
  }
  const svc = new Svc();
  const as = (owner: string, name: string): Promise<unknown> => withCallOptions({ owner }, () => svc.run(name));
  const started = Date.now();
  await Promise.all([as('a', 'a1'), as('a', 'a2'), as('b', 'b1')]);
  expect(gauge.starts.slice(0, 2).sort()).toEqual(['a1', 'b1']);
  expect(Date.now() - started).toBeGreaterThanOrEqual(190); // a2 waited for a1
});

test('past the queue, a call is refused at once with JOB_REJECTED and nothing is created; health() counts running, waiting and refused', async () => {
  const store = new CountingStore();
  const { manager } = useHarness({ ...quiet, concurrency: { max: 1, queue: 2 } }, store);
  const gauge = new Gauge();
  class Svc {
    @SmartAsync({ timeoutMs: 5_000 })
    async run(name: string): Promise<SmartResult<string>> {
      return gauge.run(name, 200, name);
    }
  }
  const svc = new Svc();
  const accepted = [svc.run('first'), svc.run('second'), svc.run('third')];
  await sleep(20);
  const creates = store.creates;
  const started = Date.now();
  await expect(svc.run('fourth')).rejects.toMatchObject({ code: 'JOB_REJECTED' });
  await expect(manager.launch(async () => 1, { label: 'x', asyncMode: true })).rejects.toMatchObject({ code: 'JOB_REJECTED' });
  expect(Date.now() - started).toBeLessThan(100);
  expect(store.creates).toBe(creates);
  expect((await manager.health()).admission).toEqual({ running: 1, waiting: 2, refused: 2, max: 1, perOwner: null, queue: 2 });
  expect(await Promise.all(accepted)).toEqual(['first', 'second', 'third']);
  expect(gauge.starts).not.toContain('fourth');
});

test('limits that are not positive integers are refused', () => {
  for (const concurrency of [{ max: 0 }, { max: 1.5 }, { perOwner: -1 }, { queue: -1 }, { max: '2' }]) {
    expect(() => new JobManager(undefined, { concurrency } as never)).toThrow(expect.objectContaining({ code: 'SMART_ASYNC_CONFIG' }));
  }
});
