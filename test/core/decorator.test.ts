import 'reflect-metadata';
import {
  getSmartAsyncMetadata,
  isJobTicket,
  jobContext,
  SMART_ASYNC_METADATA,
  SmartAsync,
  SmartAsyncConfigError,
  SmartAsyncDefaults,
  SWITCH_MESSAGE,
  withCallOptions,
  type SmartResult,
} from '../../src';
import { closeHarnesses, CountingStore, sleep, useHarness } from '../support/harness';

afterEach(closeHarnesses);

class Reports {
  calls = 0;

  @SmartAsync({ timeoutMs: 100 })
  async build(ms: number, value: unknown = { ms }): Promise<SmartResult<unknown>> {
    this.calls++;
    await sleep(ms);
    return value;
  }

  @SmartAsync({ timeoutMs: 100 })
  async explode(ms: number): Promise<SmartResult<never>> {
    await sleep(ms);
    throw Object.assign(new TypeError(`boom after ${ms}`), { code: 'E_BOOM' });
  }

  @SmartAsync({ timeoutMs: 100 })
  async tool(args: {
    n: number;
    async_mode?: boolean;
    job_label?: string;
    asyncMode?: boolean;
    jobLabel?: string;
  }): Promise<SmartResult<unknown>> {
    await sleep(20);
    return { seen: { ...args } };
  }
}

describe('inline attempt', () => {
  test('a call that finishes within its budget returns the method’s own value and stores nothing', async () => {
    const { store } = useHarness(undefined, new CountingStore());
    const svc = new Reports();
    await expect(svc.build(5)).resolves.toEqual({ ms: 5 });
    expect((store as CountingStore).creates).toBe(0);
    expect((store as CountingStore).updates).toBe(0);
  });

  test('an error thrown within the budget reaches the caller as the same error', async () => {
    const { manager } = useHarness();
    const err = await new Reports().explode(5).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect((err as TypeError & { code: string }).code).toBe('E_BOOM');
    expect(await manager.list()).toEqual([]);
  });

  test('a method that is not async still returns a promise', async () => {
    useHarness();
    class Sync {
      @SmartAsync({ timeoutMs: 1000 })
      add(a: number, b: number): number {
        return a + b;
      }
      @SmartAsync({ timeoutMs: 1000 })
      fail(): number {
        throw new RangeError('sync failure');
      }
    }
    const out: unknown = new Sync().add(2, 3);
    expect(out).toBeInstanceOf(Promise);
    await expect(out).resolves.toBe(5);
    const failed: unknown = new Sync().fail();
    expect(failed).toBeInstanceOf(Promise);
    await expect(failed).rejects.toThrow(RangeError);
  });
});

describe('background switch', () => {
  test('a call that outlives its budget returns a running ticket and its outcome lands in the job', async () => {
    const { manager } = useHarness();
    const svc = new Reports();
    const t0 = Date.now();
    const ticket = await svc.build(400, { rows: 3 });
    expect(Date.now() - t0).toBeLessThan(350);
    expect(isJobTicket(ticket)).toBe(true);
    if (!isJobTicket(ticket)) return;
    expect(ticket).toEqual({ job_id: ticket.job_id, status: 'running', message: SWITCH_MESSAGE });
    expect((await manager.status(ticket.job_id)).job.status).toBe('running');
    const job = await manager.wait(ticket.job_id, { timeoutMs: 5000 });
    expect(job).toMatchObject({ id: ticket.job_id, label: 'Reports.build', status: 'completed', result: { rows: 3 }, error: null });
    expect(Date.parse(job.started_at!)).toBeLessThanOrEqual(Date.parse(job.created_at));
    expect(Date.parse(job.completed_at!)).toBeGreaterThanOrEqual(Date.parse(job.created_at));
    expect(svc.calls).toBe(1);
  });

  test('a failure after the switch fails the job with the error’s name, message and code', async () => {
    const { manager } = useHarness();
    const ticket = await new Reports().explode(250);
    if (!isJobTicket(ticket)) throw new Error('expected a ticket');
    const job = await manager.wait(ticket.job_id, { timeoutMs: 5000 });
    expect(job.status).toBe('failed');
    expect(job.error).toEqual({ name: 'TypeError', message: 'boom after 250', code: 'E_BOOM' });
    expect(job.result).toBeNull();
  });

  test('the ticket is plain JSON with the seed’s fields and is recognised after a round trip', async () => {
    useHarness();
    const ticket = await new Reports().build(300);
    const parsed: unknown = JSON.parse(JSON.stringify(ticket));
    expect(Object.keys(parsed as object).sort()).toEqual(['job_id', 'message', 'status']);
    expect(isJobTicket(parsed)).toBe(true);
    expect(ticket).toStrictEqual(parsed); // a plain object, nothing hidden
  });

  test('isJobTicket wants exactly the ticket’s shape', () => {
    const id = '7ae9bd8c-d99f-4452-b4e6-1d90a274bffd';
    expect(isJobTicket({ job_id: id, status: 'pending' })).toBe(true);
    expect(isJobTicket({ job_id: id, status: 'running', message: 'later' })).toBe(true);
    for (const no of [
      { job_id: id, status: 'completed' },
      { job_id: 'not-a-uuid', status: 'pending' },
      { job_id: id, status: 'pending', rows: 3 },
      { job_id: id, status: 'running', message: 42 },
      Object.assign(new (class Ticketish {})(), { job_id: id, status: 'pending' }),
      null,
      id,
    ]) {
      expect(isJobTicket(no)).toBe(false);
    }
  });
});

describe('explicit async mode', () => {
  test('async_mode in an args object returns a pending ticket at once and the method still sees its arguments', async () => {
    const { manager } = useHarness();
    const ticket = await new Reports().tool({ n: 1, async_mode: true, job_label: 'nightly' });
    expect(ticket).toEqual({ job_id: expect.any(String), status: 'pending' });
    if (!isJobTicket(ticket)) return;
    const job = await manager.wait(ticket.job_id, { timeoutMs: 5000 });
    expect(job).toMatchObject({
      label: 'nightly',
      status: 'completed',
      result: { seen: { n: 1, async_mode: true, job_label: 'nightly' } },
    });
    expect(job.started_at).not.toBeNull();
  });

  test('camelCase asyncMode and jobLabel work too', async () => {
    const { manager } = useHarness();
    const ticket = await new Reports().tool({ n: 2, asyncMode: true, jobLabel: 'camel' });
    if (!isJobTicket(ticket)) throw new Error('expected a ticket');
    expect(ticket.status).toBe('pending');
    expect((await manager.wait(ticket.job_id)).label).toBe('camel');
  });

  test('async_mode false keeps the inline attempt', async () => {
    useHarness();
    await expect(new Reports().tool({ n: 3, async_mode: false })).resolves.toEqual({ seen: { n: 3, async_mode: false } });
  });

  test('an async_mode that is not a boolean is refused with a config error and nothing runs', async () => {
    const { manager } = useHarness();
    const svc = new Reports();
    const err = await svc.tool({ n: 4, async_mode: 'yes' as unknown as boolean }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SmartAsyncConfigError);
    expect((err as SmartAsyncConfigError).code).toBe('SMART_ASYNC_CONFIG');
    expect((err as Error).message).toContain('async_mode');
    expect(await manager.list()).toEqual([]);
  });

  test('withCallOptions asks for a ticket, a label and an owner for the calls inside it', async () => {
    const { manager } = useHarness();
    const svc = new Reports();
    const ticket = await withCallOptions({ asyncMode: true, jobLabel: 'scoped', owner: 'alice' }, () => svc.build(10));
    if (!isJobTicket(ticket)) throw new Error('expected a ticket');
    expect(ticket.status).toBe('pending');
    const job = await manager.wait(ticket.job_id);
    expect(job).toMatchObject({ label: 'scoped', owner: 'alice', status: 'completed', result: { ms: 10 } });
    // outside the scope, the options are gone
    await expect(svc.build(5)).resolves.toEqual({ ms: 5 });
  });

  test('withCallOptions timeoutMs beats the method’s budget', async () => {
    useHarness();
    const svc = new Reports();
    const out = await withCallOptions({ timeoutMs: 2000 }, () => svc.build(300));
    expect(out).toEqual({ ms: 300 });
  });

  test('withCallOptions refuses bad options', () => {
    expect(() => withCallOptions({ timeoutMs: -5 }, () => 1)).toThrow(SmartAsyncConfigError);
  });
});

describe('methods, classes and this', () => {
  test('this is the instance, static methods work, and the default label names the class', async () => {
    const { manager } = useHarness();
    class Counter {
      static hits = 0;
      constructor(private readonly step: number) {}
      @SmartAsync({ timeoutMs: 50 })
      async add(n: number): Promise<SmartResult<number>> {
        await sleep(120);
        return n + this.step;
      }
      @SmartAsync({ timeoutMs: 1000 })
      static async hit(): Promise<SmartResult<number>> {
        return ++this.hits;
      }
    }
    const ticket = await new Counter(10).add(1);
    if (!isJobTicket(ticket)) throw new Error('expected a ticket');
    expect(await manager.wait(ticket.job_id)).toMatchObject({ label: 'Counter.add', result: 11 });
    await expect(Counter.hit()).resolves.toBe(1);
    const slowStatic = await withCallOptions({ asyncMode: true }, () => Counter.hit());
    if (!isJobTicket(slowStatic)) throw new Error('expected a ticket');
    expect(await manager.wait(slowStatic.job_id)).toMatchObject({ label: 'Counter.hit', result: 2 });
  });

  test('subclass overrides and super calls work, and the inner call runs plainly', async () => {
    useHarness();
    class Base {
      @SmartAsync({ timeoutMs: 1000 })
      async greet(name: string): Promise<SmartResult<string>> {
        return `hello ${name}`;
      }
    }
    class Loud extends Base {
      @SmartAsync({ timeoutMs: 1000 })
      override async greet(name: string): Promise<SmartResult<string>> {
        const base = await super.greet(name);
        return `${String(base).toUpperCase()}!`;
      }
    }
    await expect(new Loud().greet('ada')).resolves.toBe('HELLO ADA!');
    await expect(new Base().greet('ada')).resolves.toBe('hello ada');
  });

  test('a decorated call inside another one’s work returns its value even past its own budget', async () => {
    const { manager } = useHarness();
    class Pipeline {
      @SmartAsync({ timeoutMs: 20 })
      async step(): Promise<SmartResult<string>> {
        await sleep(80);
        return 'step-done';
      }
      @SmartAsync({ timeoutMs: 2000 })
      async run(): Promise<SmartResult<string[]>> {
        return [String(await this.step()), String(await this.step())];
      }
    }
    await expect(new Pipeline().run()).resolves.toEqual(['step-done', 'step-done']);
    expect(await manager.list()).toEqual([]);
  });
});

describe('options and metadata', () => {
  test('method options and class defaults are readable as metadata, from the class or its prototype', () => {
    @SmartAsyncDefaults({ timeoutEnv: 'INDEX_TIMEOUT', timeoutMs: 30_000 })
    class Indexer {
      @SmartAsync({ timeoutMs: 5_000, label: 'reindex' })
      async reindex(): Promise<void> {}
      @SmartAsync()
      async compact(): Promise<void> {}
      @SmartAsync({ timeoutMs: 10 })
      static async ping(): Promise<void> {}
      async plain(): Promise<void> {}
    }
    expect(getSmartAsyncMetadata(Indexer, 'reindex')).toEqual({ timeoutEnv: 'INDEX_TIMEOUT', timeoutMs: 5_000, label: 'reindex' });
    expect(getSmartAsyncMetadata(Indexer.prototype, 'compact')).toEqual({ timeoutEnv: 'INDEX_TIMEOUT', timeoutMs: 30_000 });
    expect(getSmartAsyncMetadata(Indexer, 'ping')).toEqual({ timeoutEnv: 'INDEX_TIMEOUT', timeoutMs: 10 });
    expect(getSmartAsyncMetadata(Indexer, 'plain')).toBeUndefined();
    // NestJS's Reflector.get(key, handler) reads metadata from the method itself
    expect(Reflect.getMetadata(SMART_ASYNC_METADATA, Indexer.prototype.reindex)).toEqual({ timeoutMs: 5_000, label: 'reindex' });
  });

  test('the wrapper keeps the original’s name and the metadata other decorators put on it', () => {
    const tag = (value: string) =>
      ((...args: unknown[]) => {
        const fn = (args.length === 2 ? args[0] : (args[2] as PropertyDescriptor).value) as object;
        Reflect.defineMetadata('custom:tag', value, fn);
      }) as unknown as MethodDecorator & (<T>(v: T, c: ClassMethodDecoratorContext) => void);
    class Tagged {
      @SmartAsync({ timeoutMs: 100 })
      @tag('kept')
      async run(): Promise<number> {
        return 1;
      }
    }
    expect(Tagged.prototype.run.name).toBe('run');
    expect(Reflect.getMetadata('custom:tag', Tagged.prototype.run)).toBe('kept');
  });

  test.each([
    [{ timeoutMs: -1 }, 'timeoutMs'],
    [{ timeoutMs: 0 }, 'timeoutMs'],
    [{ timeoutMs: Number.NaN }, 'timeoutMs'],
    [{ timeoutMs: Number.POSITIVE_INFINITY }, 'timeoutMs'],
    [{ label: '' }, 'label'],
    [{ timeoutEnv: 'NOT VALID' }, 'timeoutEnv'],
  ])('invalid options %j throw a config error at class definition', (options, field) => {
    let caught: unknown;
    try {
      class Bad {
        @SmartAsync(options)
        async run(): Promise<void> {}
      }
      void Bad;
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(SmartAsyncConfigError);
    expect((caught as Error).message).toContain(field);
    expect(() => SmartAsyncDefaults(options)).toThrow(SmartAsyncConfigError);
  });

  test('@SmartAsync on something that is not a method is refused', () => {
    const decorator = SmartAsync() as unknown as (t: object, k: string, d?: PropertyDescriptor) => unknown;
    expect(() => decorator({}, 'field', undefined)).toThrow(SmartAsyncConfigError);
    expect(() => decorator({}, 'getter', { get: () => 1 })).toThrow(SmartAsyncConfigError);
    const std = SmartAsync() as unknown as (v: unknown, c: { kind: string; name: string }) => unknown;
    expect(() => std(undefined, { kind: 'field', name: 'x' })).toThrow(SmartAsyncConfigError);
  });
});

describe('budget precedence', () => {
  const ENV = 'SMART_ASYNC_TEST_TIMEOUT';
  afterEach(() => delete process.env[ENV]);

  @SmartAsyncDefaults({ timeoutMs: 7_000, timeoutEnv: ENV })
  class WithDefaults {
    @SmartAsync({ timeoutMs: 3_000 })
    async method(): Promise<void> {}
    @SmartAsync()
    async classOnly(): Promise<void> {}
  }
  class Bare {
    @SmartAsync()
    async method(): Promise<void> {}
  }

  function budgetOf(call: () => Promise<unknown>, config?: { defaultTimeoutMs: number }): Promise<number | undefined> {
    const { manager } = useHarness(config);
    const spy = jest.spyOn(manager, 'launch');
    return call().then(() => spy.mock.calls[0]?.[1].timeoutMs);
  }

  test('a call option beats the env var', async () => {
    process.env[ENV] = '9';
    expect(await budgetOf(() => withCallOptions({ timeoutMs: 1234 }, () => new WithDefaults().method()))).toBe(1234);
  });
  test('the env var beats the method option and is read at each call', async () => {
    process.env[ENV] = '9';
    expect(await budgetOf(() => new WithDefaults().method())).toBe(9_000);
    process.env[ENV] = '250ms';
    expect(await budgetOf(() => new WithDefaults().method())).toBe(250);
  });
  test('the method option beats the class default, which beats the config default', async () => {
    expect(await budgetOf(() => new WithDefaults().method())).toBe(3_000);
    expect(await budgetOf(() => new WithDefaults().classOnly())).toBe(7_000);
  });
  test('the config default applies when nothing else is set', async () => {
    const { manager } = useHarness({ defaultTimeoutMs: 40 });
    class Slow {
      @SmartAsync()
      async run(): Promise<SmartResult<string>> {
        await sleep(250);
        return 'late';
      }
    }
    const ticket = await new Slow().run();
    expect(isJobTicket(ticket)).toBe(true);
    await closeHarnesses();
    expect(await budgetOf(() => new Bare().method())).toBeUndefined();
    expect(manager.storeKind).toBe('memory');
  });
  test('with no budget set anywhere, a call switches at 50 s, not a millisecond sooner (fake timers)', async () => {
    jest.useFakeTimers();
    try {
      const { manager } = useHarness();
      class Unset {
        @SmartAsync()
        async run(): Promise<SmartResult<string>> {
          await new Promise((r) => setTimeout(r, 70_000));
          return 'late';
        }
      }
      let out: unknown;
      void new Unset().run().then((v) => (out = v));
      await jest.advanceTimersByTimeAsync(49_999);
      expect(out).toBeUndefined();
      await jest.advanceTimersByTimeAsync(1);
      expect(isJobTicket(out)).toBe(true);
      await jest.advanceTimersByTimeAsync(20_000);
      expect(await manager.get((out as { job_id: string }).job_id)).toMatchObject({ status: 'completed', result: 'late' });
    } finally {
      jest.useRealTimers();
    }
  });
  test.each([
    ['120', 120_000],
    ['2.5', 2_500],
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
  ])('env value %s means %d ms', async (value, ms) => {
    process.env[ENV] = value;
    expect(await budgetOf(() => new WithDefaults().method())).toBe(ms);
  });
  test.each(['abc', '-3', '0', '10 parsecs', '1e400'])(
    'an invalid env value %j rejects the call naming the variable, and nothing starts',
    async (value) => {
      process.env[ENV] = value;
      const { manager } = useHarness();
      let started = false;
      class Guarded {
        @SmartAsync({ timeoutEnv: ENV })
        async run(): Promise<void> {
          started = true;
        }
      }
      const err = await new Guarded().run().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SmartAsyncConfigError);
      expect((err as Error).message).toContain(ENV);
      expect((err as Error).message).toContain(JSON.stringify(value));
      expect(started).toBe(false);
      expect(await manager.list()).toEqual([]);
    },
  );
});

describe('job context', () => {
  test('outside a decorated call there is no job context', () => {
    expect(jobContext()).toBeUndefined();
  });

  test('the context has the label, gets its job id at the switch, and carries progress into the record', async () => {
    const { manager } = useHarness();
    const seen: Array<string | undefined> = [];
    class Indexer {
      @SmartAsync({ timeoutMs: 60, label: 'index-docs' })
      async run(): Promise<SmartResult<number>> {
        const ctx = jobContext()!;
        expect(ctx.label).toBe('index-docs');
        seen.push(ctx.jobId);
        ctx.reportProgress(1, 4, 'first');
        await sleep(150);
        seen.push(ctx.jobId);
        ctx.reportProgress(4, 4, 'done');
        return 4;
      }
    }
    const ticket = await new Indexer().run();
    if (!isJobTicket(ticket)) throw new Error('expected a ticket');
    const atSwitch = await manager.get(ticket.job_id);
    expect(atSwitch?.progress).toEqual({ current: 1, total: 4, message: 'first' });
    const job = await manager.wait(ticket.job_id);
    expect(seen).toEqual([undefined, ticket.job_id]);
    expect(job.progress).toEqual({ current: 4, total: 4, message: 'done' });
  });
});

describe('nested calls', () => {
  test('a nested call that asks for async mode gets a job of its own', async () => {
    const { manager } = useHarness();
    class Outer {
      @SmartAsync({ timeoutMs: 1000 })
      async child(args: { n: number; async_mode?: boolean }): Promise<SmartResult<number>> {
        return args.n * 2;
      }
      @SmartAsync({ timeoutMs: 2000 })
      async parent(): Promise<SmartResult<unknown[]>> {
        const plain = await this.child({ n: 1 });
        const viaArgs = await this.child({ n: 2, async_mode: true });
        const viaScope = await withCallOptions({ asyncMode: true, jobLabel: 'inner' }, () => this.child({ n: 3 }));
        return [plain, viaArgs, viaScope];
      }
    }
    const [plain, viaArgs, viaScope] = (await new Outer().parent()) as unknown[];
    expect(plain).toBe(2);
    expect(isJobTicket(viaArgs)).toBe(true);
    expect(isJobTicket(viaScope)).toBe(true);
    if (!isJobTicket(viaArgs) || !isJobTicket(viaScope)) return;
    expect((await manager.wait(viaArgs.job_id)).result).toBe(4);
    expect(await manager.wait(viaScope.job_id)).toMatchObject({ label: 'inner', result: 6 });
  });
});
