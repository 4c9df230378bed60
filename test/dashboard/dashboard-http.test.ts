import 'reflect-metadata';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { JobManager, jobContext, MemoryJobStore, SmartAsyncConfigError, type JobRecord } from '../../src';
import { dashboardHandler } from '../../src/http';

/**
 * The dashboard handler over real HTTP: mounted in an Express 5 app under a path, and served
 * from a bare node:http server. The owner rule of the jobs routes, cancel only where allowed (and
 * never from a cross-site form), and the live stream of changes.
 */
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const userOf = (req: IncomingMessage): string | undefined =>
  typeof req.headers['x-user'] === 'string' ? req.headers['x-user'] : undefined;

let manager: JobManager;
let server: Server;
let base: string;
beforeEach(async () => {
  manager = new JobManager(new MemoryJobStore(), { closeGraceMs: 0, onWarning: () => undefined });
  const app = express();
  app.use(
    '/jobs-ui',
    dashboardHandler({
      manager,
      owner: userOf,
      cancel: (req) => req.headers['x-user'] !== 'viewer',
      refreshMs: 50,
      title: 'Reports <jobs>',
    }),
  );
  app.get('/other', (_req, res) => void res.send('other route'));
  server = await new Promise<Server>((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await manager.close();
});

const get = (path: string, user?: string): Promise<Response> =>
  fetch(`${base}${path}`, { headers: user ? { 'x-user': user } : {}, redirect: 'manual' });
async function longJob(owner: string, label = 'long'): Promise<string> {
  const t = (await manager.launch(
    async () => {
      const ctx = jobContext()!;
      for (let i = 1; i <= 10_000 && !ctx.signal.aborted; i++) {
        await sleep(20);
        ctx.reportProgress(i, 10_000, `chunk ${i}`);
      }
      ctx.signal.throwIfAborted();
    },
    { label, asyncMode: true, owner },
  )) as { job_id: string };
  return t.job_id;
}

test('the page: one self-contained HTML document (no network), title escaped, the mount path redirected to end in a slash', async () => {
  const bare = await get('/jobs-ui');
  expect(bare.status).toBe(308);
  expect(bare.headers.get('location')).toBe('/jobs-ui/');
  const page = await get('/jobs-ui/', 'ann');
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
  const html = await page.text();
  expect(html).toContain('<title>Reports &#60;jobs&#62;</title>');
  expect(html).not.toMatch(/(src|href)="https?:/);
  expect(html).toContain('"canCancel":true');
  expect(await (await get('/jobs-ui/', 'viewer')).text()).toContain('"canCancel":false');
  expect(await (await get('/other')).text()).toBe('other route'); // the handler passes on what is not its own
});

test('api/jobs and api/jobs/:id follow the owner rule: own jobs only, nothing without identity, another’s is not found', async () => {
  const ann = await longJob('ann', 'ann report');
  const bob = await longJob('bob', 'bob report');
  const list = (await (await get('/jobs-ui/api/jobs', 'ann')).json()) as { jobs: JobRecord[] };
  expect(list.jobs.map((j) => j.id)).toEqual([ann]);
  expect(((await (await get('/jobs-ui/api/jobs')).json()) as { jobs: JobRecord[] }).jobs).toEqual([]);
  expect((await get(`/jobs-ui/api/jobs/${ann}`, 'ann')).status).toBe(200);
  expect((await get(`/jobs-ui/api/jobs/${bob}`, 'ann')).status).toBe(404);
  expect((await get('/jobs-ui/api/jobs?status=bogus', 'ann')).status).toBe(400);
});

test('cancel: the owner’s own job, with the header; refused without it, for a viewer, and for another owner’s job', async () => {
  const ann = await longJob('ann');
  const cancel = (id: string, user: string, header = true): Promise<Response> =>
    fetch(`${base}/jobs-ui/api/jobs/${id}/cancel`, {
      method: 'POST',
      headers: { 'x-user': user, ...(header ? { 'x-requested-with': 'smart-async' } : {}) },
    });
  expect((await cancel(ann, 'ann', false)).status).toBe(403); // a cross-site form cannot set the header
  expect((await cancel(ann, 'viewer')).status).toBe(403);
  expect((await cancel(ann, 'bob')).status).toBe(404);
  expect((await manager.get(ann))?.status).toBe('running');
  const ok = await cancel(ann, 'ann');
  expect(ok.status).toBe(200);
  expect(((await ok.json()) as { job: JobRecord }).job).toMatchObject({
    status: 'cancelled',
    error: { message: 'Cancelled from the dashboard' },
  });
});

test('retry: a failed durable job runs again as a new job, with the header, where actions are allowed; the page offers it', async () => {
  const call = { target: `Dashboard.retry.${Date.now()}`, args: ['x'] };
  const t = (await manager.launch(async () => Promise.reject(new Error('down')), {
    label: 'durable',
    asyncMode: true,
    owner: 'ann',
    durable: { call, attempts: 1, backoff: { initialMs: 10, factor: 2, maxMs: 10 } },
  })) as { job_id: string };
  expect((await manager.wait(t.job_id, { timeoutMs: 3_000 })).status).toBe('failed');
  const retry = (user: string, header = true): Promise<Response> =>
    fetch(`${base}/jobs-ui/api/jobs/${t.job_id}/retry`, {
      method: 'POST',
      headers: { 'x-user': user, ...(header ? { 'x-requested-with': 'smart-async' } : {}) },
    });
  expect((await retry('ann', false)).status).toBe(403);
  expect((await retry('viewer')).status).toBe(403);
  expect((await retry('bob')).status).toBe(404);
  const ok = await retry('ann');
  expect(ok.status).toBe(201);
  expect(((await ok.json()) as { job: JobRecord }).job).toMatchObject({ status: 'pending', retry_of: t.job_id, call });
  const page = await (await get('/jobs-ui/', 'ann')).text();
  expect(page).toContain('"canRetry":true');
  expect(page).toContain("'Retry'");
  expect(page).toContain('Earlier attempts');
});

/** Reads server-sent events until `until` says enough. */
async function events(
  path: string,
  user: string,
  until: (all: Array<{ event: string; data: Record<string, unknown> }>) => boolean,
): Promise<Array<{ event: string; data: Record<string, unknown> }>> {
  const ac = new AbortController();
  const res = await fetch(`${base}${path}`, { headers: { 'x-user': user }, signal: ac.signal });
  expect(res.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
  const reader = res.body!.getReader();
  const all: Array<{ event: string; data: Record<string, unknown> }> = [];
  let buf = '';
  try {
    while (!until(all)) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += Buffer.from(value).toString();
      let cut: number;
      while ((cut = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event && data) all.push({ event, data: JSON.parse(data) as Record<string, unknown> });
      }
    }
  } finally {
    ac.abort();
  }
  return all;
}

test('api/events: the whole list first, then only what changed (progress, new jobs, jobs leaving the filter), for the owner only', async () => {
  const first = await longJob('ann', 'first');
  await longJob('bob', 'not yours');
  let second = '';
  const seen = await events('/jobs-ui/api/events?status=pending,running', 'ann', (all) => {
    if (all.length === 2 && !second) void longJob('ann', 'second').then((id) => (second = id));
    if (all.length === 4) void manager.cancel(first);
    return all.some((e) => (e.data.remove as string[] | undefined)?.includes(first));
  });
  const jobsEvents = seen.filter((e) => e.event === 'jobs');
  expect(jobsEvents[0]!.data).toMatchObject({ reset: true, remove: [] });
  expect((jobsEvents[0]!.data.upsert as JobRecord[]).map((j) => j.id)).toEqual([first]);
  const later = jobsEvents.slice(1).map((e) => e.data as { reset: boolean; upsert: JobRecord[]; remove: string[] });
  expect(later.every((e) => !e.reset)).toBe(true);
  const progress = later.flatMap((e) => e.upsert.filter((j) => j.id === first).map((j) => j.progress!.current));
  expect(progress.length).toBeGreaterThan(1);
  expect(progress).toEqual([...progress].sort((a, b) => a - b));
  expect(later.some((e) => e.upsert.some((j) => j.id === second))).toBe(true);
  expect(later.flatMap((e) => e.upsert).every((j) => j.owner === 'ann')).toBe(true);
  expect(later.at(-1)!.remove).toEqual([first]);
}, 20_000);

test('served from a bare node:http server (as the CLI does); options are checked', async () => {
  const handler = dashboardHandler({ manager, owner: 'none' });
  const bare = createServer((req, res) => handler(req, res));
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(bare.address() as AddressInfo).port}`;
    const id = await longJob('anyone');
    expect((await fetch(`${url}/`)).status).toBe(200);
    expect(((await (await fetch(`${url}/api/jobs`)).json()) as { jobs: JobRecord[] }).jobs.map((j) => j.id)).toEqual([id]);
    expect((await fetch(`${url}/api/jobs/${id}/cancel`, { method: 'POST', headers: { 'x-requested-with': 'smart-async' } })).status).toBe(
      403,
    ); // cancel is off by default
    expect((await fetch(`${url}/nope`)).status).toBe(404);
  } finally {
    bare.closeAllConnections();
    await new Promise<void>((r) => bare.close(() => r()));
  }
  expect(() => dashboardHandler({} as never)).toThrow(SmartAsyncConfigError);
  expect(() => dashboardHandler({ owner: 'none', refreshMs: 1 })).toThrow(/refreshMs/);
});

test('20 live pages that never read: one store read per refresh for them all, and the heap does not grow with what they leave unread', async () => {
  const { execFile } = await import('node:child_process');
  const { promisify } = await import('node:util');
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--expose-gc', '-r', 'ts-node/register/transpile-only', 'test/fixtures/dashboard-stalled-clients.ts', '4'],
    {
      cwd: `${__dirname}/../..`,
      timeout: 60_000,
    },
  );
  const { growthMb, lists, ticks } = JSON.parse(stdout.trim().split('\n').at(-1)!) as { growthMb: number; lists: number; ticks: number };
  expect(lists).toBeLessThanOrEqual(ticks * 1.2); // not 20 reads per refresh
  expect(growthMb).toBeLessThan(40); // 300 changing jobs x 20 stalled pages grew it by ~180 MB in 5 s before
}, 60_000);

test('api/door: the manager’s admission counts (running, waiting, refused) and unclaimed durable jobs, numbers only', async () => {
  const limited = new JobManager(new MemoryJobStore(), { closeGraceMs: 0, onWarning: () => undefined, concurrency: { max: 1, queue: 1 } });
  const app = express();
  app.use('/ui', dashboardHandler({ manager: limited, owner: 'none' }));
  const srv = await new Promise<Server>((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  try {
    const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}/ui/api/door`;
    const hold = (): Promise<unknown> => limited.launch(() => sleep(300), { label: 'hold', asyncMode: true });
    await hold();
    await hold();
    await expect(hold()).rejects.toMatchObject({ code: 'JOB_REJECTED' });
    expect(await (await fetch(url)).json()).toEqual({
      admission: { running: 1, waiting: 1, refused: 1, max: 1, perOwner: null, queue: 1 },
      unclaimed: 0,
    });
    expect(await (await fetch(`${base}/jobs-ui/api/door`)).json()).toEqual({ admission: null, unclaimed: 0 }); // no limits set
  } finally {
    srv.closeAllConnections();
    await new Promise<void>((r) => srv.close(() => r()));
    await limited.close();
  }
});
