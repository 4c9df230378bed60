/**
 * Durable jobs in PostgreSQL: a process takes a call, switches it to the background and dies
 * (SIGKILL); this process, which knows the same method, claims the job and finishes it as its
 * second attempt. A client retrying with the same idempotency key gets that job, not a new run.
 *
 * Run: npx ts-node --transpile-only samples/postgres-durable.ts   (PostgreSQL on 127.0.0.1:5432, or DATABASE_URL)
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { container } from 'tsyringe';
import {
  JOB_STORE,
  jobContext,
  JobManager,
  SMART_ASYNC_CONFIG,
  SmartAsync,
  SmartAsyncDefaults,
  withCallOptions,
  type SmartResult,
} from '../src';
import { PostgresJobStore } from '../src/postgres';

const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

@SmartAsyncDefaults({})
export class Reports {
  @SmartAsync({ timeoutMs: 200, durable: { name: 'reports.build', attempts: 3 } })
  async build(region: string): Promise<SmartResult<{ region: string; rows: number }>> {
    const ctx = jobContext()!;
    const rows = await ctx.step('query', async () => 8_000); // stored: a later attempt does not query again
    for (let part = 1; part <= 5; part++) {
      ctx.signal.throwIfAborted();
      await sleep(process.env.SLOW ? 10_000 : 100);
      ctx.reportProgress(part, 5, `part ${part} of 5`);
    }
    return { region, rows };
  }
}

async function main(): Promise<void> {
  const schema = process.argv[2] ?? `sample_${process.pid}`;
  container.register(JOB_STORE, { useValue: new PostgresJobStore({ connection: url, schema, leaseMs: 1_000 }) });
  container.register(SMART_ASYNC_CONFIG, { useValue: { claimIntervalMs: 200, onWarning: () => undefined } });
  const jobs = container.resolve(JobManager);
  if (process.argv[3] === 'call') {
    const ticket = await withCallOptions({ idempotencyKey: 'report-eu-2026-12' }, () => new Reports().build('eu'));
    console.log(JSON.stringify(ticket));
    return; // stays alive, working, until killed
  }
  const first = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename, schema, 'call'], {
    env: { ...process.env, SLOW: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ticket = await new Promise<{ job_id: string }>((resolve) =>
    first.stdout.on('data', (d: Buffer) => resolve(JSON.parse(d.toString()))),
  );
  console.log(`process A: ticket ${ticket.job_id.slice(0, 8)} (the work goes on in A)`);
  first.kill('SIGKILL');
  console.log('process A: killed');
  const retry = await withCallOptions({ idempotencyKey: 'report-eu-2026-12', timeoutMs: 100 }, () => new Reports().build('eu'));
  console.log(`a client retrying with the same key gets the same job: ${(retry as { job_id: string }).job_id === ticket.job_id}`);
  const done = await jobs.wait(ticket.job_id, { timeoutMs: 30_000 });
  console.log(
    `process B finished it: ${done.status} ${JSON.stringify(done.result)} (attempt ${done.attempt}; before: ${done.history!.map((h) => h.status).join(', ')})`,
  );
  await jobs.close();
  const { Pool } = await import('pg');
  const pool = new Pool({ connectionString: url });
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await pool.end();
}

void main();
