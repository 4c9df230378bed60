import 'reflect-metadata';
import { container } from 'tsyringe';
import {
  configureSmartAsync,
  JOB_STORE,
  JobCancelledError,
  jobContext,
  JobManager,
  JobNotFoundError,
  jobStatus,
  JobWaitTimeoutError,
  MemoryJobStore,
  SmartAsync,
  SmartAsyncConfigError,
  StaleJobError,
  StoreUnavailableError,
  withCallOptions,
  type JobRecord,
  type SmartResult,
} from '../../src';
import { validate as uuidValidate, version as uuidVersion } from 'uuid';
import { busy, closeHarnesses, CountingStore, sleep, useHarness } from '../support/harness';
import { ticketOf } from '../fixtures/ticket';

afterEach(closeHarnesses);

/** Launches `work` in explicit async mode and returns its job id. */
async function startJob<T>(
  manager: JobManager,
  work: () => Promise<T> | T,
  opts: { label?: string; owner?: string } = {},
): Promise<string> {
  return ticketOf(await manager.launch(work, { label: opts.label ?? 'job', asyncMode: true, owner: opts.owner })).job_id;
}

describe('the seed’s six scenarios', () => {
  class Tool {
    @SmartAsync({ timeoutMs: 200 })
    async run(args: { ms: number; fail?: boolean; async_mode?: boolean }): Promise<SmartResult<{ done: number }>> {
      await sleep(args.ms);
      if (args.fail) throw new Error(`failed after ${args.ms}`);
      return { done: args.ms };
    }
  }

  test('1. a fast task completes synchronously', async () => {
    useHarness();
    await expect(new Tool().run({ ms: 10 })).resolves.toEqual({ done: 10 });
  });

  test('2. a slow task switches to the background and goes on to completion', async () => {
    const { manager } = useHarness();
    const ticket = ticketOf(await new Tool().run({ ms: 600 }));
    expect(ticket.status).toBe('running');
    expect((await manager.wait(ticket.job_id)).result).toEqual({ done: 600 });
  });

  test('3. explicit async mode returns a pending ticket at once', async () => {
    const { manager } = useHarness();
    const t0 = Date.now();
    const ticket = ticketOf(await new Tool().run({ ms: 300, async_mode: true }));
    expect(Date.now() - t0).toBeLessThan(250);
    expect(ticket.status).toBe('pending');
    expect((await manager.wait(ticket.job_id)).status).toBe('completed');
  });

  test('4. failures surface in both modes: thrown inline, recorded in the background', async () => {
    const { manager } = useHarness();
    await expect(new Tool().run({ ms: 10, fail: true })).rejects.toThrow('failed after 10');
    const ticket = ticketOf(await new Tool().run({ ms: 400, fail: true }));
    const job = await manager.wait(ticket.job_id);
    expect(job).toMatchObject({ status: 'failed', error: { name: 'Error', message: 'failed after 400' } });
  });

  test('5. every change is persisted through the store and announced to listeners', async () => {
    const store = new CountingStore();
    const { manager } = useHarness(undefined, store);
    const events: string[] = [];
    manager.on('created', (j) => events.push(`created:${j.status}`));
    manager.on('updated', (j) => events.push(`updated:${j.status}`));
    manager.on('settled', (j) => events.push(`settled:${j.status}`));
    const ticket = ticketOf(await new Tool().run({ ms: 20, async_mode: true }));
    await manager.wait(ticket.job_id);
    expect(events).toEqual(['created:pending', 'updated:running', 'settled:completed']);
    expect(store.creates).toBe(1);
    expect(store.updates).toBe(2);
    expect((await store.get(ticket.job_id))?.status).toBe('completed');
  });

  test('6. three concurrent jobs run in parallel', async () => {
    const { manager } = useHarness();
    const t0 = Date.now();
    const tickets = await Promise.all([1, 2, 3].map(() => new Tool().run({ ms: 500 }).then(ticketOf)));
    const jobs = await Promise.all(tickets.map((t) => manager.wait(t.job_id)));
    expect(new Set(tickets.map((t) => t.job_id)).size).toBe(3);
    expect(jobs.map((j) => j.status)).toEqual(['completed', 'completed', 'completed']);
    expect(Date.now() - t0).toBeLessThan(1400); // serial would take 1.5 s
  });
});

describe('reading jobs', () => {
  test('status of an unknown id is JOB_NOT_FOUND; get is undefined', async () => {
    const { manager } = useHarness();
    const err = await manager.status('00000000-0000-4000-8000-000000000000').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobNotFoundError);
    expect((err as JobNotFoundError).code).toBe('JOB_NOT_FOUND');
    expect(await manager.get('nope')).toBeUndefined();
  });

  test('list is newest first and filters by status, label, owner and limit', async () => {
    const { manager } = useHarness();
    const a = await startJob(manager, () => 'a', { label: 'alpha', owner: 'ann' });
    await manager.wait(a);
    await sleep(5);
    const b = await startJob(manager, () => busy(10_000), { label: 'beta', owner: 'bob' });
    await sleep(5);
    const c = await startJob(manager, () => 'c', { label: 'alpha', owner: 'bob' });
    await manager.wait(c);
    expect((await manager.list()).map((j) => j.id)).toEqual([c, b, a]);
    expect((await manager.list({ status: 'completed' })).map((j) => j.id)).toEqual([c, a]);
    expect((await manager.list({ status: ['running', 'pending'] })).map((j) => j.id)).toEqual([b]);
    expect((await manager.list({ label: 'alpha' })).map((j) => j.id)).toEqual([c, a]);
    expect((await manager.list({ owner: 'bob' })).map((j) => j.id)).toEqual([c, b]);
    expect((await manager.list({ limit: 1 })).map((j) => j.id)).toEqual([c]);
    await expect(manager.list({ status: 'bogus' as never })).rejects.toThrow(SmartAsyncConfigError);
    await expect(manager.list({ limit: 0 })).rejects.toThrow(SmartAsyncConfigError);
    await manager.cancel(b);
  });

  test('records are JSON with ISO timestamps and ids are random UUIDs', async () => {
    const { manager } = useHarness();
    const id = await startJob(manager, () => ({ ok: true }));
    const job = await manager.wait(id);
    expect(JSON.parse(JSON.stringify(job))).toEqual(job);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (const t of [job.created_at, job.started_at, job.completed_at, job.updated_at]) expect(new Date(t!).toISOString()).toBe(t);
  });

  test('ids stay distinct version-4 UUIDs over many jobs', async () => {
    const { manager } = useHarness();
    const ids = await Promise.all(Array.from({ length: 700 }, () => startJob(manager, () => 1)));
    expect(new Set(ids).size).toBe(700);
    for (const id of ids) expect(uuidValidate(id) && uuidVersion(id)).toBe(4); // checked by the uuid package
  });

  test('a job of another owner behaves as if it did not exist', async () => {
    const { manager } = useHarness();
    const id = await startJob(manager, () => busy(5_000), { owner: 'alice' });
    expect(await manager.get(id, { owner: 'mallory' })).toBeUndefined();
    await expect(manager.status(id, { owner: 'mallory' })).rejects.toBeInstanceOf(JobNotFoundError);
    await expect(manager.cancel(id, 'no', { owner: 'mallory' })).rejects.toBeInstanceOf(JobNotFoundError);
    await expect(manager.wait(id, { owner: 'mallory' })).rejects.toBeInstanceOf(JobNotFoundError);
    expect(await manager.list({ owner: 'mallory' })).toEqual([]);
    expect((await manager.status(id, { owner: 'alice' })).job.owner).toBe('alice');
    expect((await manager.cancel(id, 'done', { owner: 'alice' })).status).toBe('cancelled');
  });

  test('jobStatus(id) answers from the configured container', async () => {
    const { manager } = useHarness();
    const id = await startJob(manager, () => 42);
    await manager.wait(id);
    expect(await jobStatus(id)).toEqual({ job: expect.objectContaining({ id, result: 42, status: 'completed' }) });
  });
});

describe('wait', () => {
  test('gives up after timeoutMs with JOB_WAIT_TIMEOUT and the job goes on', async () => {
    const { manager } = useHarness();
    const id = await startJob(manager, async () => {
      await sleep(300);
      return 'finished';
    });
    const err = await manager.wait(id, { timeoutMs: 50 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobWaitTimeoutError);
    expect((err as JobWaitTimeoutError).code).toBe('JOB_WAIT_TIMEOUT');
    expect((await manager.wait(id)).result).toBe('finished');
  });

  test('rejects with the signal’s reason when the signal aborts', async () => {
    const { manager } = useHarness();
    const id = await startJob(manager, () => busy(2_000));
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('caller left')), 30);
    await expect(manager.wait(id, { signal: ac.signal })).rejects.toThrow('caller left');
    await expect(manager.wait(id, { signal: ac.signal })).rejects.toThrow('caller left');
    await manager.cancel(id);
  });

  test('returns a settled job at once and rejects an unknown id', async () => {
    const { manager } = useHarness();
    const id = await startJob(manager, () => 1);
    await manager.wait(id);
    expect((await manager.wait(id, { timeoutMs: 1 })).status).toBe('completed');
    await expect(manager.wait('missing')).rejects.toBeInstanceOf(JobNotFoundError);
  });
});

describe('cancel', () => {
  test('cancel aborts the work’s signal with a JOB_CANCELLED reason and the late result is ignored', async () => {
    const { manager } = useHarness();
    let reason: unknown;
    const id = await startJob(manager, async () => {
      const { signal } = jobContext()!;
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      reason = signal.reason;
      await sleep(20);
      return 'too late';
    });
    await sleep(20);
    const cancelled = await manager.cancel(id, 'user asked');
    expect(cancelled).toMatchObject({ status: 'cancelled', error: { message: 'user asked', code: 'JOB_CANCELLED' } });
    await sleep(80);
    expect(reason).toBeInstanceOf(JobCancelledError);
    const job = await manager.get(id);
    expect(job).toMatchObject({ status: 'cancelled', result: null });
  });

  test('cancelling a switched call works too, and a waiter sees the cancellation', async () => {
    const { manager } = useHarness();
    class Slow {
      @SmartAsync({ timeoutMs: 30 })
      async run(): Promise<SmartResult<string>> {
        const { signal } = jobContext()!;
        while (!signal.aborted) await sleep(10);
        throw signal.reason;
      }
    }
    const ticket = ticketOf(await new Slow().run());
    const waited = manager.wait(ticket.job_id);
    await manager.cancel(ticket.job_id);
    expect((await waited).status).toBe('cancelled');
  });

  test('a settled job is returned unchanged', async () => {
    const { manager } = useHarness();
    const id = await startJob(manager, () => 'x');
    const done = await manager.wait(id);
    expect(await manager.cancel(id)).toEqual(done);
  });

  test('the caller’s signal aborts the inline attempt: the call rejects with its reason and the work is told', async () => {
    const { manager } = useHarness();
    const ac = new AbortController();
    let seen: unknown;
    class Slow {
      @SmartAsync({ timeoutMs: 5_000 })
      async run(): Promise<SmartResult<string>> {
        const { signal } = jobContext()!;
        await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
        seen = signal.reason;
        return 'too late';
      }
    }
    const call = withCallOptions({ signal: ac.signal }, () => new Slow().run());
    await sleep(20);
    const reason = new Error('request closed');
    ac.abort(reason);
    await expect(call).rejects.toBe(reason);
    expect(seen).toBe(reason);
    expect(await manager.list()).toEqual([]); // it never became a job
  });

  test('once the ticket is handed out, the caller’s signal no longer touches the job', async () => {
    const { manager } = useHarness();
    const ac = new AbortController();
    let aborted = false;
    class Slow {
      @SmartAsync({ timeoutMs: 30 })
      async run(): Promise<SmartResult<string>> {
        const { signal } = jobContext()!;
        await sleep(150);
        aborted = signal.aborted;
        return 'finished';
      }
    }
    const ticket = ticketOf(await withCallOptions({ signal: ac.signal }, () => new Slow().run()));
    ac.abort(new Error('response sent, connection closed'));
    const job = await manager.wait(ticket.job_id);
    expect(job).toMatchObject({ status: 'completed', result: 'finished' });
    expect(aborted).toBe(false);
  });

  test('a caller’s signal already aborted starts nothing', async () => {
    const { manager } = useHarness();
    let ran = false;
    const reason = new Error('gone already');
    const out = manager.launch(() => (ran = true), { label: 'x', signal: AbortSignal.abort(reason) });
    await expect(out).rejects.toBe(reason);
    expect(ran).toBe(false);
  });
});

describe('results that are not JSON', () => {
  test.each([
    ['a BigInt', () => ({ n: 10n })],
    [
      'a circular object',
      () => {
        const o: Record<string, unknown> = {};
        o.self = o;
        return o;
      },
    ],
    ['a function', () => ({ fn: () => 1 })],
  ])('%s fails the job with RESULT_NOT_SERIALISABLE and nothing crashes', async (_name, make) => {
    const { manager } = useHarness();
    const id = await startJob(manager, make);
    const job = await manager.wait(id);
    expect(job.status).toBe('failed');
    expect(job.error).toMatchObject({ name: 'ResultNotSerialisableError', code: 'RESULT_NOT_SERIALISABLE' });
  });

  test('undefined becomes null, and the stored result is a copy the work cannot change afterwards', async () => {
    const { manager } = useHarness();
    const a = await startJob(manager, () => undefined);
    expect((await manager.wait(a)).result).toBeNull();
    const shared = { list: [1, 2], when: new Date(0), gone: undefined };
    const b = await startJob(manager, () => shared);
    await manager.wait(b);
    shared.list.push(3);
    expect((await manager.get(b))?.result).toEqual({ list: [1, 2], when: '1970-01-01T00:00:00.000Z' });
  });

  test('a function or symbol deep inside the result is refused, naming where it is', async () => {
    const { manager } = useHarness();
    const id = await startJob(manager, () => ({ rows: [{ ok: 1 }, { cb: Symbol('x') }] }));
    const job = await manager.wait(id);
    expect(job.error).toMatchObject({ code: 'RESULT_NOT_SERIALISABLE', message: expect.stringContaining('result.rows[1].cb') });
  });
});

describe('progress', () => {
  test('many reports after the switch cost few store writes, and the last one lands', async () => {
    const store = new CountingStore();
    const { manager } = useHarness({ progressIntervalMs: 50 }, store);
    const seen: number[] = [];
    const id = await startJob(manager, async () => {
      const ctx = jobContext()!;
      for (let i = 1; i <= 100_000; i++) {
        ctx.reportProgress(i, 100_000);
        if (i % 25_000 === 0) await sleep(60);
      }
      return 'ok';
    });
    manager.on('updated', (j) => j.progress && seen.push(j.progress.current));
    const job = await manager.wait(id);
    expect(job.progress).toEqual({ current: 100_000, total: 100_000 });
    expect(store.updates).toBeLessThan(20);
    expect(seen.length).toBeGreaterThan(0);
  });

  test('progress must be finite numbers', async () => {
    const { manager } = useHarness();
    const id = await startJob(manager, () => jobContext()!.reportProgress(Number.NaN));
    expect((await manager.wait(id)).error).toMatchObject({ code: 'SMART_ASYNC_CONFIG' });
  });

  test('onProgress (withCallOptions) hears every report, inline and after the switch', async () => {
    useHarness();
    const heard: number[] = [];
    class Steps {
      @SmartAsync({ timeoutMs: 1000 })
      async run(): Promise<SmartResult<void>> {
        for (let i = 1; i <= 3; i++) jobContext()!.reportProgress(i, 3);
      }
    }
    await withCallOptions({ onProgress: (p) => heard.push(p.current) }, () => new Steps().run());
    expect(heard).toEqual([1, 2, 3]);
  });
});

describe('prune and retention', () => {
  test('prune deletes settled jobs only, optionally by age and status', async () => {
    const { manager } = useHarness();
    const done = await startJob(manager, () => 1);
    const failed = await startJob(manager, () => {
      throw new Error('x');
    });
    const running = await startJob(manager, () => busy(5_000));
    await manager.wait(done);
    await manager.wait(failed);
    expect(await manager.prune({ olderThanMs: 60_000 })).toBe(0);
    expect(await manager.prune({ statuses: ['failed'] })).toBe(1);
    expect(await manager.prune({ statuses: ['running'] })).toBe(0);
    expect(await manager.prune()).toBe(1);
    expect((await manager.list()).map((j) => j.id)).toEqual([running]);
    await expect(manager.prune({ olderThanMs: -1 })).rejects.toThrow(SmartAsyncConfigError);
    await manager.cancel(running);
  });

  test('retention keeps at most maxJobs settled jobs however many run', async () => {
    const { manager } = useHarness({ retention: { maxJobs: 10 } });
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) ids.push(await startJob(manager, () => i));
    await manager.wait(ids[59]!);
    await sleep(20);
    const left = await manager.list();
    expect(left.length).toBeLessThanOrEqual(10);
    expect(left[0]?.id).toBe(ids[59]);
  });

  test('retention holds in a long run of jobs that never yields to the event loop', async () => {
    const { manager } = useHarness({ retention: { maxJobs: 100 } });
    let macrotaskRan = false;
    setImmediate(() => (macrotaskRan = true));
    for (let round = 0; round < 20; round++) {
      const ids = await Promise.all(Array.from({ length: 250 }, (_, i) => startJob(manager, () => i)));
      await Promise.all(ids.map((id) => manager.wait(id)));
    }
    const { total } = await manager.health();
    expect(macrotaskRan).toBe(false); // 5,000 jobs ran within one event-loop turn
    expect(total).toBeLessThanOrEqual(100 + 10); // maxJobs, plus at most one batch of maxJobs / 10
  });

  test('retention drops settled jobs older than ttlMs', async () => {
    const { manager } = useHarness({ retention: { ttlMs: 50 } });
    const old = await startJob(manager, () => 'old');
    await manager.wait(old);
    await sleep(120);
    const fresh = await startJob(manager, () => 'fresh');
    await manager.wait(fresh);
    await sleep(20);
    expect((await manager.list()).map((j) => j.id)).toEqual([fresh]);
  });
});

describe('health, events and lifecycle', () => {
  test('health counts jobs per status with the store kind and human-readable ages', async () => {
    const { manager } = useHarness();
    const running = await startJob(manager, () => busy(5_000), { label: 'long' });
    await manager.wait(await startJob(manager, () => 1));
    await sleep(30);
    const h = await manager.health();
    expect(h).toMatchObject({ status: 'ok', store: 'memory', total: 2, running_here: 1 });
    expect(h.counts).toEqual({ pending: 0, running: 1, completed: 1, failed: 0, cancelled: 0, stale: 0 });
    expect(h.oldest_active).toEqual({ id: running, label: 'long', age: expect.stringMatching(/^\d+ms$/) });
    expect(h.uptime).toMatch(/^\d+(ms|s)$/);
    await manager.cancel(running);
  });

  test('health reports an unavailable store instead of throwing', async () => {
    class Broken extends MemoryJobStore {
      override async counts(): Promise<never> {
        throw new Error('disk gone');
      }
    }
    const { manager } = useHarness(undefined, new Broken());
    const health = await manager.health();
    expect(health).toMatchObject({ status: 'unavailable' });
    expect(health.error).toContain('disk gone');
  });

  test('a listener that throws is reported through onWarning and the job still settles', async () => {
    const warnings: string[] = [];
    const { manager } = useHarness({ onWarning: (message) => warnings.push(message) });
    manager.on('settled', () => {
      throw new Error('listener bug');
    });
    const id = await startJob(manager, () => 'fine');
    expect((await manager.wait(id)).status).toBe('completed');
    expect(warnings).toEqual([expect.stringContaining('listener bug')]);
  });

  test('a store that cannot create the job gives STORE_UNAVAILABLE and aborts the work', async () => {
    class Full extends MemoryJobStore {
      override async create(): Promise<never> {
        throw new Error('no space left');
      }
    }
    const { manager } = useHarness(undefined, new Full());
    let aborted = false;
    const work = async (): Promise<string> => {
      const { signal } = jobContext()!;
      await sleep(150);
      aborted = signal.aborted;
      return 'x';
    };
    const err = await manager.launch(work, { label: 'x', timeoutMs: 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as StoreUnavailableError).code).toBe('STORE_UNAVAILABLE');
    expect((err as Error).message).toContain('no space left');
    await sleep(200);
    expect(aborted).toBe(true);
  });

  test('a store whose create throws at once instead of rejecting fails the call the same way', async () => {
    class FullNow extends MemoryJobStore {
      override create(): Promise<void> {
        throw new Error('no room');
      }
    }
    const { manager } = useHarness(undefined, new FullNow());
    const err = await manager.launch(() => 'x', { label: 'x', asyncMode: true }).catch((e: unknown) => e);
    expect((err as StoreUnavailableError).code).toBe('STORE_UNAVAILABLE');
    expect((err as Error).message).toContain('no room');
    expect((await manager.health()).running_here).toBe(0);
  });

  test('a create that returns a foreign thenable is waited for like a promise', async () => {
    class Thenable extends MemoryJobStore {
      override create(job: JobRecord): Promise<void> {
        // What a store built on another promise library might hand back: not a native promise.
        const thenable = {
          then: (ok: () => void): void => {
            setTimeout(() => {
              void super.create(job).then(ok);
            }, 30);
          },
        };
        return thenable as unknown as Promise<void>;
      }
    }
    const { manager } = useHarness(undefined, new Thenable());
    const ticket = ticketOf(await manager.launch(() => 'done', { label: 'x', asyncMode: true }));
    expect((await manager.wait(ticket.job_id)).result).toBe('done');
  });

  test('work that settles while its job is still being stored lands after the create, in order', async () => {
    const order: string[] = [];
    class Slow extends MemoryJobStore {
      override async create(...args: Parameters<MemoryJobStore['create']>): Promise<void> {
        await sleep(120);
        order.push('create');
        return super.create(...args);
      }
      override async update(...args: Parameters<MemoryJobStore['update']>): ReturnType<MemoryJobStore['update']> {
        order.push(`update:${args[1].status ?? 'progress'}`);
        return super.update(...args);
      }
    }
    const { manager } = useHarness(undefined, new Slow());
    const work = async (): Promise<string> => {
      await sleep(40);
      jobContext()!.reportProgress(1, 1); // after the switch, before the record exists
      return 'early';
    };
    const ticket = ticketOf(await manager.launch(work, { label: 'x', timeoutMs: 20 }));
    const job = await manager.wait(ticket.job_id);
    expect(job).toMatchObject({ status: 'completed', result: 'early', progress: { current: 1, total: 1 } });
    expect(order[0]).toBe('create');
    expect(order).toContain('update:completed');
  });

  test('a failed create drops the job: work that settles meanwhile writes nothing and nothing runs here', async () => {
    let updates = 0;
    class Broken extends MemoryJobStore {
      override async create(): Promise<never> {
        await sleep(80);
        throw new Error('disk gone');
      }
      override async update(...args: Parameters<MemoryJobStore['update']>): ReturnType<MemoryJobStore['update']> {
        updates++;
        return super.update(...args);
      }
    }
    const { manager } = useHarness(undefined, new Broken());
    const err = await manager.launch(() => sleep(40).then(() => 'x'), { label: 'x', timeoutMs: 20 }).catch((e: unknown) => e);
    expect((err as StoreUnavailableError).code).toBe('STORE_UNAVAILABLE');
    await sleep(50);
    expect(updates).toBe(0);
    expect((await manager.health()).running_here).toBe(0);
  });

  test('close lets background work finish, then refuses new calls', async () => {
    const { manager } = useHarness();
    const id = await startJob(manager, async () => {
      await sleep(100);
      return 'kept';
    });
    await manager.close();
    expect((await manager.get(id))?.result).toBe('kept');
    await expect(manager.launch(() => 1, { label: 'late' })).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  test('close aborts work that outlives the grace period and marks its job stale', async () => {
    const { manager } = useHarness({ closeGraceMs: 50 });
    let reason: unknown;
    const id = await startJob(manager, async () => {
      const { signal } = jobContext()!;
      await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
      reason = signal.reason;
    });
    await sleep(10);
    const waited = manager.wait(id); // no timeout: the stale record must reach it
    const settled: string[] = [];
    manager.on('settled', (job) => settled.push(job.status));
    await manager.close();
    expect(reason).toBeInstanceOf(StaleJobError);
    expect((reason as StaleJobError).code).toBe('JOB_STALE');
    expect(await manager.get(id)).toMatchObject({ status: 'stale', error: { name: 'StaleJobError', code: 'JOB_STALE' } });
    expect(await waited).toMatchObject({ id, status: 'stale' });
    expect(settled).toEqual(['stale']);
  });

  test('bad config is refused when the manager is made', () => {
    expect(() => new JobManager(new MemoryJobStore(), { defaultTimeoutMs: 0 })).toThrow(SmartAsyncConfigError);
    expect(() => new JobManager(new MemoryJobStore(), { retention: { maxJobs: -1 } })).toThrow(/maxJobs/);
    expect(() => new JobManager(new MemoryJobStore(), { bogus: 1 } as never)).toThrow(SmartAsyncConfigError);
  });
});

describe('dependency injection', () => {
  test('the global container gives one JobManager on a memory store by default', () => {
    const a = container.resolve(JobManager);
    expect(container.resolve(JobManager)).toBe(a);
    expect(a.storeKind).toBe('memory');
  });

  test('a store registered under JOB_STORE is used, and child containers keep their jobs apart', async () => {
    class Tagged extends MemoryJobStore {
      override readonly kind = 'tagged';
    }
    const one = container.createChildContainer();
    one.register(JOB_STORE, { useValue: new Tagged() });
    one.registerSingleton(JobManager);
    const two = container.createChildContainer();
    two.registerSingleton(JobManager);
    const m1 = one.resolve(JobManager);
    const m2 = two.resolve(JobManager);
    expect(m1.storeKind).toBe('tagged');
    expect(m2.storeKind).toBe('memory');
    class Svc {
      @SmartAsync({ timeoutMs: 1000 })
      async run(): Promise<SmartResult<string>> {
        return 'x';
      }
    }
    try {
      configureSmartAsync({ container: one });
      const t = ticketOf(await withCallOptions({ asyncMode: true }, () => new Svc().run()));
      expect(await m1.get(t.job_id)).toBeDefined();
      expect(await m2.get(t.job_id)).toBeUndefined();
      await m1.wait(t.job_id);
    } finally {
      configureSmartAsync();
      await Promise.all([m1.close(), m2.close()]);
    }
  });

  test('a JobManager can be built by hand, without a container', async () => {
    const manager = new JobManager();
    const out: JobRecord | unknown = await manager.launch(async () => 7, { label: 'by-hand' });
    expect(out).toBe(7);
    await manager.close();
  });
});

describe('caller signals', () => {
  test('a long-lived signal keeps no listener per settled call', async () => {
    const { manager } = useHarness();
    const ac = new AbortController();
    let listeners = 0;
    const add = ac.signal.addEventListener.bind(ac.signal);
    const remove = ac.signal.removeEventListener.bind(ac.signal);
    ac.signal.addEventListener = ((...a: Parameters<typeof add>) => (listeners++, add(...a))) as typeof add;
    ac.signal.removeEventListener = ((...a: Parameters<typeof remove>) => (listeners--, remove(...a))) as typeof remove;
    for (let i = 0; i < 20; i++) await manager.launch(async () => i, { label: 'inline', signal: ac.signal });
    const id = ticketOf(await manager.launch(async () => 'bg', { label: 'bg', asyncMode: true, signal: ac.signal })).job_id;
    await manager.wait(id);
    expect(listeners).toBe(0);
  });
});
