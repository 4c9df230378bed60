import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FileJobStore,
  jobContext,
  JobManager,
  SmartAsync,
  SmartAsyncDefaults,
  withCallOptions,
  type JobRecord,
  type SmartResult,
} from '../../src';
import { ticketOf } from '../fixtures/ticket';
import { busy, closeHarnesses, CountingStore, sleep, useHarness } from '../support/harness';

/**
 * Durable calls in one process, on the memory store (claims run retries) and the file store
 * (hand-back to a second manager): arguments checked before any work, the call stored at the
 * switch, retries with backoff, steps run once per job, cancel between attempts, retry by hand,
 * hand-back at close. Runs with legacy and with standard decorators.
 */
afterEach(closeHarnesses);

const quiet = { onWarning: () => undefined, claimIntervalMs: 50, closeGraceMs: 50 };
let seq = 0;
/** A durable name of its own per test (names are process-wide). */
const unique = (base: string): string => `${base}.${++seq}.${Date.now()}`;

describe('the call as data', () => {
  test('arguments JSON would change are refused at the call, naming the path, before any work starts', async () => {
    useHarness(quiet);
    let runs = 0;
    class Svc {
      @SmartAsync({ durable: { name: unique('Args') } })
      async run(..._args: unknown[]): Promise<SmartResult<string>> {
        runs++;
        return 'ran';
      }
    }
    const svc = new Svc();
    class Point {
      x = 1;
    }
    const cases: Array<[unknown[], RegExp]> = [
      [[{ when: new Date() }], /args\[0\]\.when: a Date/],
      [[1, new Map()], /args\[1\]: a Map/],
      [[{ a: [1, undefined] }], /args\[0\]\.a\[1\]: undefined/],
      [[new Point()], /args\[0\]: an instance of Point/],
      [[{ n: Number.NaN }], /args\[0\]\.n: NaN/],
      [[10n], /args\[0\]: a bigint/],
      [[() => 1], /args\[0\]: a function/],
    ];
    for (const [args, message] of cases) {
      await expect(svc.run(...args)).rejects.toMatchObject({ code: 'ARGS_NOT_SERIALISABLE', message: expect.stringMatching(message) });
    }
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(svc.run(cyclic)).rejects.toMatchObject({ code: 'ARGS_NOT_SERIALISABLE', message: expect.stringMatching(/a cycle/) });
    expect(runs).toBe(0);
    expect(await svc.run({ day: '2026-12-07', n: [1, 2], nested: { ok: true, none: null } })).toBe('ran');
  });

  test('an inline durable call that finishes within its budget writes nothing', async () => {
    const store = new CountingStore();
    useHarness(quiet, store);
    class Svc {
      @SmartAsync({ timeoutMs: 1_000, durable: { name: unique('Inline') } })
      async run(n: number): Promise<SmartResult<number>> {
        return n * 2;
      }
    }
    expect(await new Svc().run(21)).toBe(42);
    expect(store.creates + store.updates).toBe(0);
  });

  test('at the switch the record holds the call, its first attempt and the steps done inline', async () => {
    const { manager } = useHarness(quiet);
    const name = unique('Switch');
    class Svc {
      @SmartAsync({ timeoutMs: 50, durable: { name, attempts: 4 } })
      async run(day: string): Promise<SmartResult<string>> {
        const ctx = jobContext()!;
        await ctx.step('load', () => ({ rows: 3 }));
        await busy(200);
        return `built ${day}`;
      }
    }
    const t = ticketOf(await new Svc().run('2026-12-07'));
    const job = (await manager.get(t.job_id))!;
    expect(job).toMatchObject({
      status: 'running',
      call: { target: name, args: ['2026-12-07'] },
      attempt: 1,
      max_attempts: 4,
      run_at: null,
      history: [],
      steps: { load: { rows: 3 } },
    });
    expect((await manager.wait(t.job_id, { timeoutMs: 3_000 })).result).toBe('built 2026-12-07');
  });

  test('bad durable options are refused when the decorator is applied', () => {
    for (const durable of [
      { attempts: 0 },
      { attempts: 1.5 },
      { backoff: { initialMs: -1 } },
      { backoff: { factor: 0.5 } },
      { name: 'has space' },
      { retryOn: 'yes' },
    ]) {
      expect(() => SmartAsync({ durable } as never)).toThrow(expect.objectContaining({ code: 'SMART_ASYNC_CONFIG' }));
    }
    expect(() => SmartAsyncDefaults({ durable: true })).toThrow(expect.objectContaining({ code: 'SMART_ASYNC_CONFIG' }));
  });

  test('two methods with one durable name: SMART_ASYNC_CONFIG as soon as the second class is known', () => {
    const name = unique('Twice');
    @SmartAsyncDefaults({})
    class A {
      @SmartAsync({ durable: { name } })
      async run(): Promise<SmartResult<number>> {
        return 1;
      }
    }
    void A;
    expect(() => {
      @SmartAsyncDefaults({})
      class B {
        @SmartAsync({ durable: { name } })
        async run(): Promise<SmartResult<number>> {
          return 2;
        }
      }
      return B;
    }).toThrow(expect.objectContaining({ code: 'SMART_ASYNC_CONFIG', message: expect.stringContaining(name) }));
  });
});

describe('attempts', () => {
  test('a thrown error is retried after its backoff (never less than half of it), and the job ends with the successful attempt', async () => {
    const { manager } = useHarness(quiet);
    const starts: number[] = [];
    class Svc {
      @SmartAsync({ timeoutMs: 20, durable: { name: unique('Retry'), attempts: 3, backoff: { initialMs: 200, factor: 2 } } })
      async run(): Promise<SmartResult<string>> {
        starts.push(Date.now());
        await sleep(40);
        if (starts.length < 3) throw Object.assign(new Error(`flaky ${starts.length}`), { code: 'FLAKY' });
        return 'third time';
      }
    }
    const t = ticketOf(await new Svc().run());
    const settled: string[] = [];
    manager.on('settled', (j) => settled.push(j.id));
    const job = await manager.wait(t.job_id, { timeoutMs: 5_000 });
    expect(job).toMatchObject({ status: 'completed', result: 'third time', attempt: 3 });
    expect(job.history!.map((h) => [h.attempt, h.status, h.error?.code])).toEqual([
      [1, 'failed', 'FLAKY'],
      [2, 'failed', 'FLAKY'],
    ]);
    // backoff 200 then 400 ms, jitter never below half: lower bounds only
    expect(starts[1]! - starts[0]!).toBeGreaterThanOrEqual(40 + 100 - 5);
    expect(starts[2]! - starts[1]!).toBeGreaterThanOrEqual(40 + 200 - 5);
    await sleep(50);
    expect(settled.filter((id) => id === t.job_id)).toHaveLength(1);
  });

  test('after the last attempt the job fails with that attempt’s error; retryOn decides what is retried', async () => {
    const { manager } = useHarness(quiet);
    let always = 0;
    let never = 0;
    class Svc {
      @SmartAsync({ timeoutMs: 10, durable: { name: unique('Always'), attempts: 2, backoff: { initialMs: 10 } } })
      async always(): Promise<SmartResult<never>> {
        always++;
        await sleep(20);
        throw new Error(`boom ${always}`);
      }

      @SmartAsync({ timeoutMs: 10, durable: { name: unique('Never'), attempts: 5, retryOn: (e) => !(e instanceof TypeError) } })
      async never(): Promise<SmartResult<never>> {
        never++;
        await sleep(20);
        throw new TypeError('bad input');
      }
    }
    const svc = new Svc();
    const a = await manager.wait(ticketOf(await svc.always()).job_id, { timeoutMs: 3_000 });
    expect(a).toMatchObject({ status: 'failed', attempt: 2, error: { message: 'boom 2' } });
    expect(a.history).toHaveLength(1);
    const b = await manager.wait(ticketOf(await svc.never()).job_id, { timeoutMs: 3_000 });
    expect(b).toMatchObject({ status: 'failed', attempt: 1, error: { name: 'TypeError' } });
    expect([always, never]).toEqual([2, 1]);
  });

  test('steps run once per job: a later attempt gets the stored value; a name twice in one attempt is refused', async () => {
    const { manager } = useHarness(quiet);
    const effects: string[] = [];
    let attempt = 0;
    class Svc {
      @SmartAsync({ timeoutMs: 10, durable: { name: unique('Steps'), attempts: 3, backoff: { initialMs: 10 } } })
      async run(): Promise<SmartResult<unknown>> {
        attempt++;
        const ctx = jobContext()!;
        const charged = await ctx.step('charge', async () => {
          effects.push('charge');
          return { receipt: 'r-1' };
        });
        await sleep(20);
        if (attempt === 1) throw new Error('after the charge');
        const mailed = await ctx.step('mail', () => (effects.push('mail'), 'sent'));
        return { charged, mailed };
      }

      @SmartAsync({ timeoutMs: 1_000, durable: { name: unique('StepTwice') } })
      async twice(): Promise<SmartResult<unknown>> {
        await jobContext()!.step('a', () => 1);
        return jobContext()!.step('a', () => 2);
      }
    }
    const job = await manager.wait(ticketOf(await new Svc().run()).job_id, { timeoutMs: 3_000 });
    expect(job).toMatchObject({
      status: 'completed',
      result: { charged: { receipt: 'r-1' }, mailed: 'sent' },
      steps: { charge: { receipt: 'r-1' }, mail: 'sent' },
    });
    expect(effects).toEqual(['charge', 'mail']);
    await expect(new Svc().twice()).rejects.toMatchObject({ code: 'SMART_ASYNC_CONFIG' });
    // outside a durable job a step just runs
    class Plain {
      @SmartAsync({ timeoutMs: 1_000 })
      async run(): Promise<SmartResult<number>> {
        return (await jobContext()!.step('x', () => 1)) + (await jobContext()!.step('y', () => 2));
      }
    }
    expect(await new Plain().run()).toBe(3);
  });

  test('a job waiting between attempts can be cancelled, and never runs again', async () => {
    const { manager } = useHarness(quiet);
    let runs = 0;
    class Svc {
      @SmartAsync({ timeoutMs: 10, durable: { name: unique('CancelWaiting'), attempts: 5, backoff: { initialMs: 300 } } })
      async run(): Promise<SmartResult<never>> {
        runs++;
        await sleep(20);
        throw new Error('again');
      }
    }
    const t = ticketOf(await new Svc().run());
    for (let i = 0; i < 50 && (await manager.get(t.job_id))?.status !== 'pending'; i++) await sleep(20);
    expect((await manager.get(t.job_id))?.status).toBe('pending');
    expect((await manager.cancel(t.job_id, 'not needed')).status).toBe('cancelled');
    await sleep(600);
    expect(runs).toBe(1);
    expect((await manager.get(t.job_id))?.status).toBe('cancelled');
  });

  test('retry(id) starts a new job with the same call (retry_of); the old one stays as it was', async () => {
    const { manager } = useHarness(quiet);
    let fail = true;
    class Svc {
      @SmartAsync({ timeoutMs: 10, durable: { name: unique('ByHand'), attempts: 1 } })
      async run(n: number): Promise<SmartResult<number>> {
        await sleep(20);
        if (fail) throw new Error('down');
        return n + 1;
      }
    }
    const first = await manager.wait(ticketOf(await new Svc().run(41)).job_id, { timeoutMs: 2_000 });
    expect(first.status).toBe('failed');
    fail = false;
    const again = await manager.retry(first.id);
    expect(again).toMatchObject({ status: 'pending', retry_of: first.id, call: first.call });
    expect(await manager.wait(again.id, { timeoutMs: 3_000 })).toMatchObject({ status: 'completed', result: 42, attempt: 1 });
    expect(await manager.get(first.id)).toEqual(first);
    await expect(manager.retry(again.id)).rejects.toMatchObject({ code: 'SMART_ASYNC_CONFIG' }); // completed
    const plain = ticketOf(await manager.launch(async () => 1, { label: 'plain', asyncMode: true }));
    await manager.wait(plain.job_id);
    await expect(manager.retry(plain.job_id)).rejects.toMatchObject({ code: 'SMART_ASYNC_CONFIG' }); // not durable
  });

  test('explicit async mode: the first attempt runs here; the record waits for it as attempt 0', async () => {
    const { manager } = useHarness(quiet);
    class Svc {
      @SmartAsync({ durable: { name: unique('Async') } })
      async run(args: { n: number; async_mode?: boolean }): Promise<SmartResult<number>> {
        await sleep(30);
        return args.n;
      }
    }
    const t = ticketOf(await withCallOptions({ asyncMode: true }, () => new Svc().run({ n: 7 })));
    expect(t.status).toBe('pending');
    expect(await manager.wait(t.job_id, { timeoutMs: 2_000 })).toMatchObject({ status: 'completed', result: 7, attempt: 1 });
  });
});

test('a durable job whose method no process knows stays pending, never lost, and health() reports it unclaimed', async () => {
  const { manager, store } = useHarness(quiet);
  const long = new Date(Date.now() - 60_000).toISOString();
  const orphan: JobRecord = {
    id: '00000000-0000-4000-8000-00000000beef',
    label: 'Gone.method',
    status: 'pending',
    created_at: long,
    started_at: null,
    completed_at: null,
    updated_at: long,
    result: null,
    error: null,
    progress: null,
    call: { target: 'Gone.method', args: [] },
    attempt: 0,
    max_attempts: 3,
    run_at: long,
    history: [],
  };
  await store.create(orphan);
  await sleep(200); // several claim rounds
  expect((await manager.get(orphan.id))?.status).toBe('pending');
  expect(await manager.health()).toMatchObject({ status: 'ok', unclaimed: 1, unclaimed_targets: ['Gone.method'] });
});

describe('deploys lose nothing', () => {
  test('close() hands a running durable job back (pending, due now, the attempt not counted, the work told JOB_HANDED_BACK); another manager claims and finishes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smart-async-durable-'));
    const path = join(dir, 'jobs');
    const name = unique('HandBack');
    let reason: unknown;
    const runs: string[] = [];
    class Svc {
      @SmartAsync({ timeoutMs: 20, durable: { name } })
      async run(region: string): Promise<SmartResult<string>> {
        runs.push(region);
        const { signal } = jobContext()!;
        if (runs.length === 1) {
          await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
          reason = signal.reason;
          throw signal.reason;
        }
        return `done ${region}`;
      }
    }
    const a = useHarness({ ...quiet, closeGraceMs: 30 }, new FileJobStore({ path }));
    try {
      const t = ticketOf(await new Svc().run('eu'));
      await a.manager.close();
      expect(reason).toMatchObject({ code: 'JOB_HANDED_BACK' });
      const b = new JobManager(new FileJobStore({ path }), { ...quiet, resolveInstance: () => new Svc() });
      try {
        const job: JobRecord = await b.wait(t.job_id, { timeoutMs: 5_000 });
        expect(job).toMatchObject({ status: 'completed', result: 'done eu', attempt: 1, history: [] });
        expect(runs).toEqual(['eu', 'eu']);
      } finally {
        await b.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
