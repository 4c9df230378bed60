import 'reflect-metadata';
import {
  jobContext,
  JobManager,
  MemoryJobStore,
  parseJobRecord,
  SmartAsync,
  SmartAsyncConfigError,
  StoreUnavailableError,
  type SmartResult,
} from '../../src';
import { ticketOf } from '../fixtures/ticket';
import { closeHarnesses, sleep, useHarness } from '../support/harness';

/** Faults of the manager itself: durations, thrown values, close, shared signals, results JSON would mangle. */
afterEach(closeHarnesses);

const DAY = 86_400_000;

describe('durations beyond what a Node timer holds (2^31-1 ms, 24.8 days)', () => {
  test('a budget of 600 hours from the env does not switch at once', async () => {
    useHarness();
    process.env.FAULTS_BUDGET = '600h';
    try {
      class Svc {
        @SmartAsync({ timeoutEnv: 'FAULTS_BUDGET' })
        async run(): Promise<SmartResult<string>> {
          await sleep(60);
          return 'inline';
        }
      }
      expect(await new Svc().run()).toBe('inline');
    } finally {
      delete process.env.FAULTS_BUDGET;
    }
  });

  test('a wait of 30 days waits; a negative or NaN wait is refused', async () => {
    const { manager } = useHarness();
    const t = ticketOf(await manager.launch(() => sleep(80).then(() => 'done'), { label: 'x', asyncMode: true }));
    expect((await manager.wait(t.job_id, { timeoutMs: 30 * DAY })).status).toBe('completed');
    await expect(manager.wait(t.job_id, { timeoutMs: -5 })).rejects.toBeInstanceOf(SmartAsyncConfigError);
    await expect(manager.wait(t.job_id, { timeoutMs: Number.NaN })).rejects.toBeInstanceOf(SmartAsyncConfigError);
  });

  test('a close grace of 30 days gives the work its grace', async () => {
    const { manager } = useHarness({ closeGraceMs: 30 * DAY });
    const t = ticketOf(await manager.launch(() => sleep(80).then(() => 'done'), { label: 'x', asyncMode: true }));
    await manager.close();
    expect((await manager.get(t.job_id))?.status).toBe('completed');
  });
});

/** A Proxy whose every trap throws: `instanceof`, `typeof`-free inspection, JSON, String all throw. */
function everyTrapThrows(): object {
  const trap = (): never => {
    throw new Error('trap');
  };
  const traps: ProxyHandler<object> = {};
  for (const name of [
    'get',
    'set',
    'has',
    'ownKeys',
    'getPrototypeOf',
    'setPrototypeOf',
    'getOwnPropertyDescriptor',
    'defineProperty',
    'deleteProperty',
    'isExtensible',
    'preventExtensions',
    'apply',
    'construct',
  ] as const) {
    (traps as Record<string, unknown>)[name] = trap;
  }
  return new Proxy({}, traps);
}

describe('values thrown by the work', () => {
  test.each([
    [
      'a value whose toString throws',
      () => ({
        toString: () => {
          throw new Error('no');
        },
      }),
    ],
    [
      'a Proxy that throws on every access',
      () =>
        new Proxy(
          {},
          {
            get: () => {
              throw new Error('trap');
            },
            ownKeys: () => {
              throw new Error('trap');
            },
          },
        ),
    ],
    [
      'an Error whose message getter throws',
      () =>
        Object.defineProperty(new Error('x'), 'message', {
          get: () => {
            throw new Error('getter');
          },
        }),
    ],
    ['null', () => null],
    ['a Proxy whose every trap throws (getPrototypeOf too: instanceof throws)', () => everyTrapThrows()],
  ])('%s fails the job, it never stays running', async (_, make) => {
    const { manager } = useHarness();
    const t = ticketOf(
      await manager.launch(
        async () => {
          throw make();
        },
        { label: 'x', asyncMode: true },
      ),
    );
    const job = await manager.wait(t.job_id, { timeoutMs: 2_000 });
    expect(job.status).toBe('failed');
    expect(typeof job.error?.message).toBe('string');
  });
});

describe('results JSON would mangle are refused, saying where', () => {
  test.each([
    [
      'a toJSON that throws null',
      {
        toJSON: () => {
          throw null;
        },
      },
      /toJSON threw null/,
    ],
    ['a Map', { m: new Map([[1, 2]]) }, /`result\.m` is a Map/],
    ['a Set', [new Set([1])], /`result\[0\]` is a Set/],
    ['NaN inside', { n: Number.NaN }, /`result\.n` is NaN/],
    ['Infinity at the top', Number.POSITIVE_INFINITY, /the result is Infinity/],
  ])('%s', async (_, value, message) => {
    const { manager } = useHarness();
    const t = ticketOf(await manager.launch(async () => value, { label: 'x', asyncMode: true }));
    const job = await manager.wait(t.job_id);
    expect(job).toMatchObject({ status: 'failed', error: { code: 'RESULT_NOT_SERIALISABLE' } });
    expect(job.error!.message).toMatch(message);
  });

  test('a record with many problems is described in a few lines, not a dump', () => {
    const bad = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`f${i}`, 'x'.repeat(500)]));
    let message = '';
    try {
      parseJobRecord({ ...bad, status: 42, label: { deep: 'x'.repeat(2_000) } }, 'test');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/more/);
    expect(message.length).toBeLessThan(600);
  });
});

describe('close', () => {
  test('a second close waits for the first: both end after the grace', async () => {
    const { manager } = useHarness({ closeGraceMs: 150 });
    const t = ticketOf(await manager.launch(() => sleep(100).then(() => 'done'), { label: 'x', asyncMode: true }));
    const first = manager.close();
    let secondDone = false;
    const second = manager.close().then(() => (secondDone = true));
    await sleep(20);
    expect(secondDone).toBe(false);
    await Promise.all([first, second]);
    expect((await manager.get(t.job_id))?.status).toBe('completed');
  });

  test('an inline call still in its budget at close is refused when the budget runs out: no job in a closed manager', async () => {
    const { manager, store } = useHarness({ closeGraceMs: 10 });
    let signal: AbortSignal | undefined;
    const call = manager.launch(
      async () => {
        signal = jobContext()!.signal;
        await sleep(200);
        return 'late';
      },
      { label: 'x', timeoutMs: 60 },
    );
    await sleep(10);
    await manager.close();
    await expect(call).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(signal?.aborted).toBe(true);
    expect(await store.list()).toEqual([]);
  });
});

describe('many waits sharing one signal', () => {
  test('50,000 waits on one AbortSignal: one listener, all settle right, no warning', async () => {
    const { manager } = useHarness();
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const done = ticketOf(await manager.launch(() => sleep(150).then(() => 'ok'), { label: 'done', asyncMode: true }));
      const held = ticketOf(await manager.launch(() => new Promise(() => undefined), { label: 'held', asyncMode: true }));
      const ac = new AbortController();
      const completed = Array.from({ length: 25_000 }, () => manager.wait(done.job_id, { signal: ac.signal }));
      const aborted = Array.from({ length: 25_000 }, () =>
        manager.wait(held.job_id, { signal: ac.signal }).then(
          () => 'resolved',
          (e: unknown) => e,
        ),
      );
      const results = await Promise.all(completed);
      expect(results.every((j) => j.status === 'completed')).toBe(true);
      const reason = new Error('shutting down');
      ac.abort(reason);
      const outcomes = await Promise.all(aborted);
      expect(outcomes.every((o) => o === reason)).toBe(true);
      await sleep(10);
      expect(warnings.filter((w) => w === 'MaxListenersExceededWarning')).toEqual([]);
      await manager.cancel(held.job_id);
    } finally {
      process.off('warning', onWarning);
    }
  }, 60_000);

  test('a signal that aborts while wait reads the store still ends the wait', async () => {
    const store = new (class extends MemoryJobStore {
      override async get(id: string) {
        await sleep(30);
        return super.get(id);
      }
    })();
    const { manager } = useHarness(undefined, store);
    const t = ticketOf(await manager.launch(() => new Promise(() => undefined), { label: 'held', asyncMode: true }));
    const ac = new AbortController();
    const waited = manager.wait(t.job_id, { signal: ac.signal, timeoutMs: 5_000 });
    await sleep(5);
    ac.abort(new Error('gone'));
    await expect(waited).rejects.toThrow('gone');
    await manager.cancel(t.job_id);
  });
});

test('a manager made by hand takes the same config checks', () => {
  expect(() => new JobManager(new MemoryJobStore(), { storeTimeoutMs: 0 })).toThrow(SmartAsyncConfigError);
});

test('a wait whose job settles between its first read and its subscription still ends (no missed announcement)', async () => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const store = new (class extends MemoryJobStore {
    reads = 0;
    override async get(id: string) {
      const job = await super.get(id);
      if (++this.reads === 1) await gate; // the first read answers "running" only after the job has settled
      return job;
    }
  })();
  const { manager } = useHarness(undefined, store);
  const t = ticketOf(await manager.launch(() => sleep(30).then(() => 'done'), { label: 'x', asyncMode: true }));
  const waited = manager.wait(t.job_id, { timeoutMs: 3_000 });
  await sleep(100); // settled and announced meanwhile
  release();
  expect((await waited).status).toBe('completed');
});
