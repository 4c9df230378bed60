/**
 * Jobs survive a crash with the FileJobStore.
 *
 * Run: npx ts-node --transpile-only samples/file-store-restart.ts
 *
 * A worker process starts three jobs (one quick, two long) and is killed with SIGKILL. A new
 * process opens the same directory: the quick job is there, completed; the two long ones are
 * there too, marked stale (their process died), never silently dropped.
 */
import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileJobStore, isJobTicket, JobManager } from '../src';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function worker(dir: string): Promise<void> {
  const jobs = new JobManager(new FileJobStore({ path: dir }));
  const quick = await jobs.launch(async () => ({ rows: 42 }), { label: 'quick-report', asyncMode: true });
  for (const label of ['long-index', 'long-benchmark']) await jobs.launch(() => sleep(60_000), { label, asyncMode: true });
  if (isJobTicket(quick)) await jobs.wait(quick.job_id);
  console.log('worker: 3 jobs started, 1 completed; waiting to be killed');
  setInterval(() => undefined, 1000);
}

async function main(): Promise<void> {
  const dir = join(mkdtempSync(join(tmpdir(), 'smart-async-sample-')), 'jobs');
  try {
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', __filename, '--worker', dir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => (process.stdout.write(d), d.toString().includes('waiting') && resolve())),
    );
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    console.log(`main: worker (pid ${child.pid}) killed with SIGKILL`);

    const jobs = new JobManager(new FileJobStore({ path: dir, onWarning: (m) => console.log(`main: store says: ${m}`) }));
    console.log('main: jobs found after the restart:');
    for (const job of await jobs.list()) {
      console.log(
        `  ${job.label.padEnd(16)} ${job.status.padEnd(10)} ${job.status === 'completed' ? JSON.stringify(job.result) : (job.error?.message ?? '')}`,
      );
    }
    await jobs.close();
  } finally {
    rmSync(join(dir, '..'), { recursive: true, force: true });
  }
}

const i = process.argv.indexOf('--worker');
(i > 0 ? worker(process.argv[i + 1]!) : main()).catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
