import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { currentJobManager, jobContext, SmartAsync, SmartAsyncConfigError, withCallOptions, type SmartResult } from '../../src';
import {
  callOptionsOf,
  errorReply,
  expressJobs,
  fastifyJobs,
  httpReply,
  sendExpress,
  sendFastify,
  type ExpressLikeRequest,
  type ExpressLikeResponse,
  type FastifyLikeReply,
  type FastifyLikeRequest,
} from '../../src/http';
import { closeHarnesses, sleep, useHarness } from '../support/harness';

/**
 * Real Express (4 and 5) and Fastify (4 and 5) servers on 127.0.0.1, spoken to over HTTP with
 * fetch: the asynchronous request-reply pattern end to end.
 */
class Reports {
  @SmartAsync({ timeoutMs: 100 })
  async build(args: { ms: number; async_mode?: boolean }): Promise<SmartResult<{ rows: number }>> {
    const { signal } = jobContext()!;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, args.ms);
      signal.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
    });
    return { rows: args.ms };
  }
}
const reports = new Reports();
const ownerOf = (req: { headers: Record<string, string | string[] | undefined> }): string | undefined =>
  (req.headers['x-user'] as string | undefined) || undefined;

/** A signal aborted when the response closes: the caller going away. */
function closedSignal(res: { once(event: 'close', fn: () => void): unknown }): AbortSignal {
  const ac = new AbortController();
  res.once('close', () => ac.abort(new Error('client went away')));
  return ac.signal;
}

type Start = () => Promise<{ base: string; close: () => Promise<void> }>;

function expressApp(pkg: 'express' | 'express4'): Start {
  return async () => {
    const express = require(pkg) as typeof import('express');
    const app = express();
    app.use(express.json());
    app.post('/reports', async (req, res) => {
      const value = await withCallOptions({ owner: ownerOf(req), signal: closedSignal(res) }, () => reports.build(req.body));
      sendExpress(res as unknown as ExpressLikeResponse, httpReply(value, { jobsPath: '/jobs' }));
    });
    app.use('/jobs', expressJobs<ExpressLikeRequest>({ owner: ownerOf }));
    const server: Server = await new Promise((r) => {
      const s = app.listen(0, '127.0.0.1', () => r(s));
    });
    return {
      base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      close: () => new Promise<void>((r) => server.close(() => r())),
    };
  };
}

function fastifyApp(pkg: 'fastify' | 'fastify4'): Start {
  return async () => {
    const Fastify = require(pkg) as typeof import('fastify').default;
    const app = Fastify();
    app.post('/reports', async (req, reply) => {
      const value = await withCallOptions({ owner: ownerOf(req), signal: closedSignal(reply.raw) }, () =>
        reports.build(req.body as { ms: number }),
      );
      return sendFastify(reply as unknown as FastifyLikeReply, httpReply(value, { jobsPath: '/jobs' }));
    });
    await app.register(fastifyJobs<FastifyLikeRequest>, { prefix: '/jobs', owner: ownerOf });
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    return { base: address, close: () => app.close() };
  };
}

const apps: Array<[string, Start]> = [
  ['Express 5', expressApp('express')],
  ['Express 4', expressApp('express4')],
  ['Fastify 5', fastifyApp('fastify')],
  ['Fastify 4', fastifyApp('fastify4')],
];

describe.each(apps)('%s', (_, start) => {
  let base = '';
  let close: () => Promise<void> = async () => undefined;
  beforeEach(async () => {
    useHarness({ closeGraceMs: 50 }); // jobs still running at the end are given up quickly
    ({ base, close } = await start());
  });
  afterEach(async () => {
    await close();
    await closeHarnesses();
  });
  const post = (body: unknown, user = 'ann'): Promise<Response> =>
    fetch(`${base}/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': user },
      body: JSON.stringify(body),
    });
  const get = (path: string, user = 'ann'): Promise<Response> => fetch(`${base}${path}`, { headers: { 'x-user': user } });

  test('a fast call is 200 with the method’s own value', async () => {
    const res = await post({ ms: 5 });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ rows: 5 });
  });

  test('a slow call is 202 with Location and Retry-After; status, then result 409 → 200', async () => {
    const res = await post({ ms: 400 });
    expect(res.status).toBe(202);
    const ticket = (await res.json()) as { job_id: string; status: string };
    expect(ticket.status).toBe('running');
    const location = res.headers.get('location')!;
    expect(location).toBe(`/jobs/${ticket.job_id}`);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const status = await get(location);
    expect(status.status).toBe(200);
    expect(status.headers.get('retry-after')).not.toBeNull();
    expect(((await status.json()) as { job: { status: string; owner: string } }).job).toMatchObject({ status: 'running', owner: 'ann' });
    const early = await get(`${location}/result`);
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({ error: { code: 'JOB_ACTIVE' } });
    await sleep(450);
    const done = await get(`${location}/result`);
    expect(done.status).toBe(200);
    expect(await done.json()).toEqual({ rows: 400 });
    const final = await get(location);
    expect(final.headers.get('retry-after')).toBeNull();
  });

  test('cancel is 200 { job }, and the result is then 410 with the job’s error', async () => {
    const ticket = (await (await post({ ms: 5_000, async_mode: true })).json()) as { job_id: string };
    const cancelled = await fetch(`${base}/jobs/${ticket.job_id}?reason=no+longer+needed`, {
      method: 'DELETE',
      headers: { 'x-user': 'ann' },
    });
    expect(cancelled.status).toBe(200);
    expect(((await cancelled.json()) as { job: unknown }).job).toMatchObject({
      status: 'cancelled',
      error: { message: 'no longer needed' },
    });
    const gone = await get(`/jobs/${ticket.job_id}/result`);
    expect(gone.status).toBe(410);
    expect(await gone.json()).toMatchObject({ error: { code: 'JOB_CANCELLED', message: 'no longer needed' } });
  });

  test('another owner’s job is a 404, and the list holds only the requester’s jobs', async () => {
    const ticket = (await (await post({ ms: 5_000, async_mode: true }, 'ann')).json()) as { job_id: string };
    await post({ ms: 5_000, async_mode: true }, 'bob');
    for (const path of [`/jobs/${ticket.job_id}`, `/jobs/${ticket.job_id}/result`]) {
      const res = await get(path, 'bob');
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'JOB_NOT_FOUND' } });
    }
    expect((await fetch(`${base}/jobs/${ticket.job_id}`, { method: 'DELETE', headers: { 'x-user': 'bob' } })).status).toBe(404);
    const list = (await (await get('/jobs?status=running,pending', 'ann')).json()) as { jobs: Array<{ owner: string }> };
    expect(list.jobs.length).toBe(1);
    expect(list.jobs.every((j) => j.owner === 'ann')).toBe(true);
    const nobody = (await (await fetch(`${base}/jobs`)).json()) as { jobs: unknown[] };
    expect(nobody.jobs).toEqual([]); // no identity, nothing listed
  });

  test('a requester without identity (the one rule of HTTP and MCP): by id only jobs created without an owner; no list', async () => {
    const owned = (await (await post({ ms: 5_000, async_mode: true }, 'ann')).json()) as { job_id: string };
    const ownerless = (await (
      await fetch(`${base}/reports`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ms: 5_000, async_mode: true }),
      })
    ).json()) as { job_id: string };
    expect((await fetch(`${base}/jobs/${owned.job_id}`)).status).toBe(404);
    const seen = await fetch(`${base}/jobs/${ownerless.job_id}`);
    expect(seen.status).toBe(200); // its id is the capability
    expect(((await seen.json()) as { job: { owner?: string } }).job.owner).toBeUndefined();
    expect(((await (await fetch(`${base}/jobs`)).json()) as { jobs: unknown[] }).jobs).toEqual([]);
    expect((await get(`/jobs/${ownerless.job_id}`, 'ann')).status).toBe(404); // an owner sees only their own
  });

  test('POST /:id/retry runs a failed durable job again as a new job (201), under the owner rule', async () => {
    const manager = currentJobManager();
    const call = { target: `Http.retry.${Date.now()}`, args: [1] };
    const ticket = await manager.launch(async () => Promise.reject(new Error('down')), {
      label: 'durable',
      asyncMode: true,
      owner: 'ann',
      durable: { call, attempts: 1, backoff: { initialMs: 10, factor: 2, maxMs: 10 } },
    });
    const failed = await manager.wait((ticket as { job_id: string }).job_id, { timeoutMs: 3_000 });
    expect(failed.status).toBe('failed');
    expect((await fetch(`${base}/jobs/${failed.id}/retry`, { method: 'POST', headers: { 'x-user': 'bob' } })).status).toBe(404);
    const res = await fetch(`${base}/jobs/${failed.id}/retry`, { method: 'POST', headers: { 'x-user': 'ann' } });
    expect(res.status).toBe(201);
    expect(((await res.json()) as { job: unknown }).job).toMatchObject({ status: 'pending', retry_of: failed.id, call, owner: 'ann' });
  });

  test('a client that goes away after its 202 does not stop the job', async () => {
    const res = await post({ ms: 300 });
    expect(res.status).toBe(202);
    const ticket = (await res.json()) as { job_id: string };
    await sleep(400); // the response closed long ago (its signal aborted); the job went on
    const job = ((await (await get(`/jobs/${ticket.job_id}`)).json()) as { job: { status: string } }).job;
    expect(job).toMatchObject({ status: 'completed', result: { rows: 300 } });
  });

  test('bad input is a 400 or 404 that echoes nothing back', async () => {
    const bad = await get('/jobs?status=exploded');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'SMART_ASYNC_CONFIG' } });
    const notId = await get('/jobs/<script>');
    expect(notId.status).toBe(404);
    expect(JSON.stringify(await notId.json())).not.toContain('<script>');
  });
});

test('the routes refuse to be made without an owner rule', () => {
  expect(() => expressJobs({} as never)).toThrow(SmartAsyncConfigError);
  expect(() => expressJobs({ owner: undefined } as never)).toThrow(/owner/);
  return expect(fastifyJobs({ get: () => undefined, delete: () => undefined, post: () => undefined }, {} as never)).rejects.toThrow(
    SmartAsyncConfigError,
  );
});

test('callOptionsOf: the Idempotency-Key header makes a retrying client get the first answer (the work runs once); the owner rule; a bad key is 400; the same key with other arguments 422', async () => {
  useHarness({ closeGraceMs: 50 });
  let runs = 0;
  class Payments {
    @SmartAsync({ timeoutMs: 2_000 })
    async pay(body: { cents: number }): Promise<SmartResult<{ paid: number; run: number }>> {
      runs++;
      await sleep(20);
      return { paid: body.cents, run: runs };
    }
  }
  const payments = new Payments();
  const express = require('express') as typeof import('express');
  const app = express();
  app.use(express.json());
  app.post('/pay', async (req, res) => {
    try {
      const value = await withCallOptions(callOptionsOf(req, { owner: ownerOf }), () => payments.pay(req.body));
      sendExpress(res, httpReply(value, { jobsPath: '/jobs' }));
    } catch (e) {
      sendExpress(res, errorReply(e));
    }
  });
  const server: Server = await new Promise((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const pay = (key: string, cents: number, user = 'ann'): Promise<Response> =>
      fetch(`${base}/pay`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user': user, 'idempotency-key': key },
        body: JSON.stringify({ cents }),
      });
    const answers = await Promise.all([pay('pay-1', 500), pay('pay-1', 500), pay('pay-1', 500)]);
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(await Promise.all(answers.map((r) => r.json()))).toEqual(Array(3).fill({ paid: 500, run: 1 }));
    expect(runs).toBe(1);
    expect((await pay('pay-1', 500, 'bob')).status).toBe(200); // another owner, another key
    expect(runs).toBe(2);
    const reused = await pay('pay-1', 900);
    expect(reused.status).toBe(422);
    expect(await reused.json()).toMatchObject({ error: { code: 'IDEMPOTENCY_KEY_REUSED' } });
    const bad = await pay('x'.repeat(300), 1);
    expect(bad.status).toBe(400);
    expect(runs).toBe(2);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
