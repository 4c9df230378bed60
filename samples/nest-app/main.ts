// A NestJS app with smart-async: fast 200, slow 202 + Location, polling, the result, a cancel.
// Run: npx ts-node --transpile-only samples/nest-app/main.ts
import 'reflect-metadata';
import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JobManager } from '../../src';
import { AppModule } from './app.module';

async function main(): Promise<void> {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
  app.useGlobalPipes(new ValidationPipe({ transform: true }));
  app.enableShutdownHooks(); // SIGTERM closes the JobManager: nothing is left running
  await app.listen(0, '127.0.0.1');
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const headers = { 'content-type': 'application/json', 'x-user': 'ann' };
  const post = (body: unknown): Promise<Response> => fetch(`${base}/reports`, { method: 'POST', headers, body: JSON.stringify(body) });

  const fast = await post({ region: 'eu', steps: 1 });
  console.log(`POST /reports (1 step)  -> ${fast.status} ${JSON.stringify(await fast.json())}`);
  const slow = await post({ region: 'us', steps: 5 });
  const location = slow.headers.get('location')!;
  console.log(`POST /reports (5 steps) -> ${slow.status} Location: ${location} Retry-After: ${slow.headers.get('retry-after')}`);
  for (;;) {
    const { job } = (await (await fetch(`${base}${location}`, { headers })).json()) as {
      job: { status: string; progress: { current: number; total: number } | null };
    };
    console.log(`GET ${location} -> ${job.status} ${job.progress ? `${job.progress.current}/${job.progress.total}` : ''}`);
    if (job.status !== 'running' && job.status !== 'pending') break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const result = await fetch(`${base}${location}/result`, { headers });
  console.log(`GET ${location}/result -> ${result.status} ${JSON.stringify(await result.json())}`);
  const other = await post({ region: 'apac', steps: 50, async_mode: true });
  const otherLocation = other.headers.get('location')!;
  const cancelled = await fetch(`${base}${otherLocation}`, { method: 'DELETE', headers });
  console.log(`DELETE ${otherLocation} -> ${cancelled.status} ${((await cancelled.json()) as { job: { status: string } }).job.status}`);
  const left = (await (await post({ region: 'eu', steps: 60, async_mode: true })).json()) as { job_id: string };
  const jobs = app.get(JobManager);
  await app.close(); // what SIGTERM does with enableShutdownHooks(): the grace, then stale
  const { job } = await jobs.status(left.job_id);
  console.log(`after app.close(): the unfinished job is ${job.status} (${job.error?.code})`);
}

void main();
