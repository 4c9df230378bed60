import 'reflect-metadata';
import { Body, Controller, HttpCode, Injectable, Module, Post, ValidationPipe, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { IsBoolean, IsInt, IsOptional } from 'class-validator';
import { jobContext, JobManager, MemoryJobStore, SmartAsync, type JobStore, type SmartResult } from '../../src';
import { dashboardHandler } from '../../src/http';
import { SmartAsyncModule } from '../../src/nestjs';

/**
 * Real Nest 11 apps (platform-express) on 127.0.0.1, spoken to over HTTP. Nest needs legacy
 * decorators (parameter decorators), so this file runs in the legacy project only.
 */
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class BuildDto {
  @IsInt()
  ms!: number;

  @IsOptional()
  @IsBoolean()
  async_mode?: boolean;
}

@Injectable()
class ReportService {
  constructor(readonly jobs: JobManager) {}

  @SmartAsync({ timeoutMs: 100 })
  async build(dto: BuildDto): Promise<SmartResult<{ rows: number; dto: string }>> {
    const { signal } = jobContext()!;
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(resolve, dto.ms);
      signal.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
    });
    return { rows: dto.ms, dto: dto.constructor.name };
  }

  @SmartAsync({ timeoutEnv: 'NEST_TEST_BUDGET' })
  async budgeted(): Promise<SmartResult<string>> {
    return 'ran';
  }
}

@Controller('reports')
class ReportController {
  constructor(private readonly reports: ReportService) {}

  @Post()
  @HttpCode(200)
  build(@Body() dto: BuildDto): Promise<SmartResult<{ rows: number; dto: string }>> {
    return this.reports.build(dto);
  }

  @Post('budgeted')
  @HttpCode(200)
  budgeted(): Promise<SmartResult<string>> {
    return this.reports.budgeted();
  }
}

function appModule(store: JobStore): new () => unknown {
  @Module({
    imports: [
      SmartAsyncModule.forRoot({
        store,
        jobsPath: '/jobs',
        owner: (req: { headers: Record<string, string | undefined> }) => req.headers['x-user'],
        config: { closeGraceMs: 100 },
      }),
    ],
    controllers: [ReportController],
    providers: [ReportService],
  })
  class AppModule {}
  return AppModule;
}

const apps: INestApplication[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function start(app: INestApplication): Promise<{
  app: INestApplication;
  url: string;
  post: (body: unknown, user?: string) => Promise<Response>;
  get: (path: string, user?: string) => Promise<Response>;
}> {
  app.useGlobalPipes(new ValidationPipe({ transform: true }));
  await app.listen(0, '127.0.0.1');
  apps.push(app);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    url,
    post: (body, user = 'ann') =>
      fetch(`${url}/reports`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-user': user },
        body: JSON.stringify(body),
      }),
    get: (path, user = 'ann') => fetch(`${url}${path}`, { headers: { 'x-user': user } }),
  };
}

const create = async (store: JobStore = new MemoryJobStore()) => start(await NestFactory.create(appModule(store), { logger: false }));

test('fast is the handler’s own 200; slow is 202 + Location + Retry-After; status, result 409 → 200', async () => {
  const { post, get } = await create();
  const fast = await post({ ms: 5 });
  expect(fast.status).toBe(200);
  expect(await fast.json()).toEqual({ rows: 5, dto: 'BuildDto' });
  const slow = await post({ ms: 400 });
  expect(slow.status).toBe(202);
  const ticket = (await slow.json()) as { job_id: string };
  expect(slow.headers.get('location')).toBe(`/jobs/${ticket.job_id}`);
  expect(slow.headers.get('retry-after')).toBe('2');
  expect(((await (await get(`/jobs/${ticket.job_id}`)).json()) as { job: unknown }).job).toMatchObject({ status: 'running', owner: 'ann' });
  expect((await get(`/jobs/${ticket.job_id}/result`)).status).toBe(409);
  await sleep(450);
  const result = await get(`/jobs/${ticket.job_id}/result`);
  expect(result.status).toBe(200);
  expect(await result.json()).toEqual({ rows: 400, dto: 'BuildDto' });
});

test('cancel, then 410; another owner gets 404', async () => {
  const { url, post, get } = await create();
  const ticket = (await (await post({ ms: 5_000, async_mode: true })).json()) as { job_id: string };
  const foreign = await get(`/jobs/${ticket.job_id}`, 'bob');
  expect(foreign.status).toBe(404);
  expect(await foreign.json()).toMatchObject({ error: { code: 'JOB_NOT_FOUND' } }); // the route exists; the job is not bob's
  const cancelled = await fetch(`${url}/jobs/${ticket.job_id}`, { method: 'DELETE', headers: { 'x-user': 'ann' } });
  expect(cancelled.status).toBe(200);
  const gone = await get(`/jobs/${ticket.job_id}/result`);
  expect(gone.status).toBe(410);
  expect(await gone.json()).toMatchObject({ error: { code: 'JOB_CANCELLED' } });
});

test('a DTO made a class instance by ValidationPipe({ transform: true }) still asks for async mode', async () => {
  const { post } = await create();
  const res = await post({ ms: 5, async_mode: true });
  expect(res.status).toBe(202);
  expect(await res.json()).toMatchObject({ status: 'pending' });
});

test('JobManager is injectable by type and is the very manager the decorated methods use', async () => {
  const { app, post } = await create();
  const ticket = (await (await post({ ms: 300 })).json()) as { job_id: string };
  const jobs = app.get(JobManager);
  expect(app.get(ReportService).jobs).toBe(jobs);
  expect((await jobs.status(ticket.job_id, { owner: 'ann' })).job.status).toBe('running');
});

test('two Nest apps in one process keep their own managers and stores', async () => {
  const storeA = new MemoryJobStore();
  const storeB = new MemoryJobStore();
  const a = await create(storeA);
  const b = await create(storeB);
  const ta = (await (await a.post({ ms: 5_000, async_mode: true })).json()) as { job_id: string };
  const tb = (await (await b.post({ ms: 5_000, async_mode: true })).json()) as { job_id: string };
  expect(await storeA.get(ta.job_id)).toBeDefined();
  expect(await storeB.get(ta.job_id)).toBeUndefined();
  expect(await storeB.get(tb.job_id)).toBeDefined();
  expect((await a.get(`/jobs/${tb.job_id}`)).status).toBe(404);
  expect(a.app.get(JobManager)).not.toBe(b.app.get(JobManager));
});

test('overrideProvider(JobManager) reaches the decorated methods', async () => {
  const mine = new JobManager(new MemoryJobStore(), { closeGraceMs: 100 });
  const moduleRef = await Test.createTestingModule({ imports: [appModule(new MemoryJobStore())] })
    .overrideProvider(JobManager)
    .useValue(mine)
    .compile();
  const { post } = await start(moduleRef.createNestApplication({ logger: false }));
  const ticket = (await (await post({ ms: 5_000, async_mode: true })).json()) as { job_id: string };
  expect((await mine.get(ticket.job_id))?.status).toBe('running');
});

test('app.close() closes the manager: work past the grace is marked stale, nothing is left running', async () => {
  const store = new MemoryJobStore();
  const { app, post } = await create(store);
  const slow = (await (await post({ ms: 5_000, async_mode: true })).json()) as { job_id: string };
  const quick = (await (await post({ ms: 50, async_mode: true })).json()) as { job_id: string };
  apps.splice(apps.indexOf(app), 1);
  await app.close();
  expect(await store.list({ statuses: ['pending', 'running'] })).toEqual([]);
  expect((await store.get(slow.job_id))?.status).toBe('stale');
  expect((await store.get(quick.job_id))?.status).toBe('completed');
});

test('jobsPath without an owner rule is refused when the module is defined', () => {
  expect(() => SmartAsyncModule.forRoot({ jobsPath: '/jobs' })).toThrow(/owner rule/);
});

test('a client that goes away after its 202 does not stop the job', async () => {
  const { post, get } = await create();
  const res = await post({ ms: 300 });
  expect(res.status).toBe(202);
  const ticket = (await res.json()) as { job_id: string };
  await sleep(450);
  expect(((await (await get(`/jobs/${ticket.job_id}`)).json()) as { job: unknown }).job).toMatchObject({
    status: 'completed',
    result: { rows: 300 },
  });
});

test('the dashboard mounts in a Nest app with app.use, showing the app manager’s jobs under the owner rule', async () => {
  const app = await NestFactory.create(appModule(new MemoryJobStore()), { logger: false });
  app.use(
    '/jobs-ui',
    dashboardHandler({
      owner: (req) => (typeof req.headers['x-user'] === 'string' ? req.headers['x-user'] : undefined),
      manager: app.get(JobManager),
      cancel: true,
    }),
  );
  const { post, get } = await start(app);
  const ticket = (await (await post({ ms: 5_000, async_mode: true })).json()) as { job_id: string };
  expect((await get('/jobs-ui/')).status).toBe(200);
  const mine = (await (await get('/jobs-ui/api/jobs')).json()) as { jobs: Array<{ id: string }> };
  expect(mine.jobs.map((j) => j.id)).toEqual([ticket.job_id]);
  expect(((await (await get('/jobs-ui/api/jobs', 'bob')).json()) as { jobs: unknown[] }).jobs).toEqual([]);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const cancel = await fetch(`${url}/jobs-ui/api/jobs/${ticket.job_id}/cancel`, {
    method: 'POST',
    headers: { 'x-user': 'ann', 'x-requested-with': 'smart-async' },
  });
  expect(((await cancel.json()) as { job: { status: string } }).job.status).toBe('cancelled');
});

test('errors of the library answer as the jobs routes do: SMART_ASYNC_CONFIG is 400 and STORE_UNAVAILABLE 503 with Retry-After, { error: { code, message } }', async () => {
  const { url, app } = await create();
  process.env.NEST_TEST_BUDGET = 'banana';
  try {
    const bad = await fetch(`${url}/reports/budgeted`, { method: 'POST', headers: { 'x-user': 'ann' } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: { code: 'SMART_ASYNC_CONFIG', message: expect.stringContaining('NEST_TEST_BUDGET') } });
  } finally {
    delete process.env.NEST_TEST_BUDGET;
  }
  expect(await (await fetch(`${url}/reports/budgeted`, { method: 'POST', headers: { 'x-user': 'ann' } })).text()).toBe('ran');
  await app.get(JobManager).close(); // a closed manager takes no calls: STORE_UNAVAILABLE
  const closed = await fetch(`${url}/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-user': 'ann' },
    body: JSON.stringify({ ms: 1 }),
  });
  expect(closed.status).toBe(503);
  expect(closed.headers.get('retry-after')).toBe('2');
  expect(await closed.json()).toMatchObject({ error: { code: 'STORE_UNAVAILABLE' } });
});

@Injectable()
class Ledger {
  readonly entries: string[] = [];
}

@Injectable()
class Billing {
  attempts = 0;
  constructor(private readonly ledger: Ledger) {}

  @SmartAsync({ timeoutMs: 20, durable: { name: 'nest.billing.charge', attempts: 3, backoff: { initialMs: 20 } } })
  async charge(customer: string): Promise<SmartResult<number>> {
    this.attempts++;
    await sleep(30);
    if (this.attempts === 1) throw new Error('card network down');
    this.ledger.entries.push(customer);
    return this.ledger.entries.length;
  }
}

test('a durable method’s retry runs on the app’s own provider, from Nest’s injector (resolveInstance), with its injected dependencies', async () => {
  @Module({ imports: [SmartAsyncModule.forRoot({ config: { closeGraceMs: 100, claimIntervalMs: 50 } })], providers: [Ledger, Billing] })
  class BillingModule {}
  const app = await NestFactory.createApplicationContext(BillingModule, { logger: false });
  try {
    const billing = app.get(Billing);
    const ticket = (await billing.charge('ann')) as { job_id: string };
    const job = await app.get(JobManager).wait(ticket.job_id, { timeoutMs: 5_000 });
    expect(job).toMatchObject({ status: 'completed', result: 1, attempt: 2 });
    expect(billing.attempts).toBe(2); // the second attempt ran on the very same provider
    expect(app.get(Ledger).entries).toEqual(['ann']);
  } finally {
    await app.close();
  }
});

test('the Idempotency-Key header: a retried request gets the first answer and the work runs once; a bad key is 400', async () => {
  const { url, app } = await create();
  const send = (key: string, ms: number): Promise<Response> =>
    fetch(`${url}/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'ann', 'idempotency-key': key },
      body: JSON.stringify({ ms }),
    });
  const first = await send('nest-1', 5);
  const second = await send('nest-1', 5);
  expect(first.status).toBe(200);
  expect(await second.json()).toEqual(await first.json());
  const jobs = await app.get(JobManager).list({});
  expect(jobs.filter((j) => j.idempotency?.key === 'nest-1')).toHaveLength(1);
  const slow = await send('nest-2', 400);
  expect(slow.status).toBe(202);
  const slowAgain = await send('nest-2', 400);
  expect(slowAgain.status).toBe(202);
  expect(((await slowAgain.json()) as { job_id: string }).job_id).toBe(((await slow.json()) as { job_id: string }).job_id);
  expect((await send('y'.repeat(300), 5)).status).toBe(400);
});

test('the module logs through Nest’s Logger: attempt transitions and warnings, with the job’s id and label', async () => {
  const lines: string[] = [];
  const capture = {
    log: (m: unknown, ctx?: unknown) => void lines.push(`log ${String(ctx)} ${String(m)}`),
    warn: (m: unknown, ctx?: unknown) => void lines.push(`warn ${String(ctx)} ${String(m)}`),
    error: (m: unknown, ctx?: unknown) => void lines.push(`error ${String(ctx)} ${String(m)}`),
    debug: (m: unknown, ctx?: unknown) => void lines.push(`debug ${String(ctx)} ${String(m)}`),
    verbose: (m: unknown, ctx?: unknown) => void lines.push(`verbose ${String(ctx)} ${String(m)}`),
  };
  const { app, post } = await start(await NestFactory.create(appModule(new MemoryJobStore()), { logger: capture }));
  const res = await post({ ms: 300 });
  const ticket = (await res.json()) as { job_id: string };
  await app.get(JobManager).wait(ticket.job_id, { timeoutMs: 3_000 });
  app.get(JobManager).on('settled', () => {
    throw new Error('listener broke');
  });
  await post({ ms: 300 });
  await sleep(450);
  expect(lines).toContain(
    `debug SmartAsync smart-async job switched to the background jobId=${ticket.job_id} label=ReportService.build status=running`,
  );
  expect(lines).toContain(`debug SmartAsync smart-async job completed jobId=${ticket.job_id} label=ReportService.build status=completed`);
  expect(lines.some((l) => l.startsWith("warn SmartAsync A 'settled' listener failed: listener broke"))).toBe(true);
});
