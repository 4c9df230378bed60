import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileJobStore, isJobTicket, JobManager, SmartAsync, withCallOptions, type SmartResult } from '../../src';
import { ticketOf } from '../fixtures/ticket';
import { closeHarnesses, sleep, useHarness } from '../support/harness';

/**
 * Idempotency keys: a body-run counter for every case — inline value, inline error, ticket, after
 * settle, another owner, other arguments, the ttl, a key per method, two managers on one store at
 * once. Runs with legacy and with standard decorators.
 */
afterEach(closeHarnesses);

const quiet = { onWarning: () => undefined, closeGraceMs: 50 };

class Counter {
  runs = 0;
}

function service(counter: Counter) {
  class Orders {
    @SmartAsync({ timeoutMs: 1_000 })
    async place(order: { sku: string; qty: number }, ms = 5): Promise<SmartResult<{ placed: string }>> {
      counter.runs++;
      await sleep(ms);
      if (order.qty <= 0) throw Object.assign(new Error('qty must be positive'), { code: 'BAD_QTY' });
      return { placed: `${order.qty} x ${order.sku}` };
    }

    @SmartAsync({ timeoutMs: 1_000, idempotencyKey: (req: { requestId: string }) => req.requestId })
    async pay(req: { requestId: string; cents: number }): Promise<SmartResult<string>> {
      counter.runs++;
      return `paid ${req.cents}`;
    }
  }
  return new Orders();
}

const keyed = <T>(key: string, fn: () => Promise<T>, owner?: string): Promise<T> => withCallOptions({ idempotencyKey: key, owner }, fn);

test('an inline value: stored with its job; a repeated call answers it without running the work again', async () => {
  const { manager } = useHarness(quiet);
  const counter = new Counter();
  const orders = service(counter);
  const first = await keyed('k-1', () => orders.place({ sku: 'A', qty: 2 }));
  expect(first).toEqual({ placed: '2 x A' });
  expect(await keyed('k-1', () => orders.place({ sku: 'A', qty: 2 }))).toEqual({ placed: '2 x A' });
  expect(counter.runs).toBe(1);
  const [job] = await manager.list({ label: 'Orders.place' });
  expect(job).toMatchObject({ status: 'completed', result: { placed: '2 x A' }, idempotency: { key: 'k-1' } });
});

test('an inline error: the repeated call gets the same error (name, message, code); the work ran once', async () => {
  useHarness(quiet);
  const counter = new Counter();
  const orders = service(counter);
  await expect(keyed('k-err', () => orders.place({ sku: 'A', qty: 0 }))).rejects.toMatchObject({
    message: 'qty must be positive',
    code: 'BAD_QTY',
  });
  await expect(keyed('k-err', () => orders.place({ sku: 'A', qty: 0 }))).rejects.toMatchObject({
    message: 'qty must be positive',
    code: 'BAD_QTY',
  });
  expect(counter.runs).toBe(1);
});

test('a ticket: a repeated call gets the same job id while it runs, and the value once it settles within its budget', async () => {
  const { manager } = useHarness(quiet);
  const counter = new Counter();
  const orders = service(counter);
  const t = ticketOf(await withCallOptions({ idempotencyKey: 'k-slow', timeoutMs: 50 }, () => orders.place({ sku: 'B', qty: 1 }, 400)));
  const again = await withCallOptions({ idempotencyKey: 'k-slow', timeoutMs: 50 }, () => orders.place({ sku: 'B', qty: 1 }, 400));
  expect(isJobTicket(again) && again.job_id).toBe(t.job_id);
  expect(await withCallOptions({ idempotencyKey: 'k-slow', timeoutMs: 2_000 }, () => orders.place({ sku: 'B', qty: 1 }, 400))).toEqual({
    placed: '1 x B',
  });
  expect(await keyed('k-slow', () => orders.place({ sku: 'B', qty: 1 }, 400))).toEqual({ placed: '1 x B' }); // after it settled
  expect(counter.runs).toBe(1);
  expect((await manager.get(t.job_id))?.status).toBe('completed');
});

test('another owner’s key is another key; the same key with other arguments is IDEMPOTENCY_KEY_REUSED and starts nothing', async () => {
  useHarness(quiet);
  const counter = new Counter();
  const orders = service(counter);
  await keyed('k-own', () => orders.place({ sku: 'A', qty: 1 }), 'ann');
  await keyed('k-own', () => orders.place({ sku: 'A', qty: 1 }), 'bob');
  expect(counter.runs).toBe(2);
  await expect(keyed('k-own', () => orders.place({ sku: 'A', qty: 9 }), 'ann')).rejects.toMatchObject({ code: 'IDEMPOTENCY_KEY_REUSED' });
  expect(counter.runs).toBe(2);
});

test('a key per method from its arguments; a call option wins', async () => {
  useHarness(quiet);
  const counter = new Counter();
  const orders = service(counter);
  expect(await orders.pay({ requestId: 'r-1', cents: 100 })).toBe('paid 100');
  expect(await orders.pay({ requestId: 'r-1', cents: 100 })).toBe('paid 100');
  expect(counter.runs).toBe(1);
  await keyed('other', () => orders.pay({ requestId: 'r-1', cents: 100 }));
  expect(counter.runs).toBe(2);
});

test('after idempotencyTtlMs past its settle, a key runs again', async () => {
  useHarness({ ...quiet, idempotencyTtlMs: 150 });
  const counter = new Counter();
  const orders = service(counter);
  await keyed('k-ttl', () => orders.place({ sku: 'A', qty: 1 }));
  await keyed('k-ttl', () => orders.place({ sku: 'A', qty: 1 }));
  expect(counter.runs).toBe(1);
  await sleep(250);
  await keyed('k-ttl', () => orders.place({ sku: 'A', qty: 1 }));
  expect(counter.runs).toBe(2);
});

test('bad keys are refused before anything starts', async () => {
  useHarness(quiet);
  const counter = new Counter();
  const orders = service(counter);
  for (const key of ['', 'x'.repeat(256), 42]) {
    expect(() => keyed(key as string, () => orders.place({ sku: 'A', qty: 1 }))).toThrow(
      expect.objectContaining({ code: 'SMART_ASYNC_CONFIG' }),
    );
  }
  const { manager } = useHarness(quiet);
  await expect(manager.launch(async () => 1, { label: 'x', idempotencyKey: 'y'.repeat(256) })).rejects.toMatchObject({
    code: 'SMART_ASYNC_CONFIG',
  });
  await expect(orders.pay({ requestId: 42 as unknown as string, cents: 1 })).rejects.toMatchObject({ code: 'SMART_ASYNC_CONFIG' });
  expect(counter.runs).toBe(0);
});

test('two managers on one file store, one key at the same instant: the work runs once, both get its value', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'smart-async-idem-'));
  const counter = new Counter();
  const orders = service(counter);
  const a = new JobManager(new FileJobStore({ path: dir }), quiet);
  const b = new JobManager(new FileJobStore({ path: dir }), quiet);
  try {
    const via = (m: JobManager): Promise<unknown> =>
      withCallOptions({ idempotencyKey: 'k-race', manager: m }, () => orders.place({ sku: 'Z', qty: 3 }, 50));
    const out = await Promise.all([via(a), via(b), via(a), via(b)]);
    expect(out).toEqual(Array(4).fill({ placed: '3 x Z' }));
    expect(counter.runs).toBe(1);
  } finally {
    await Promise.all([a.close(), b.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
});
