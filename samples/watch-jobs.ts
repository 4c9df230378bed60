// An app whose jobs you watch from outside: it keeps a FileJobStore, starts a few reports every
// few seconds, and mounts the dashboard at /jobs-ui. From another terminal:
//   npx smart-async jobs watch --file <the printed directory>     (progress bars)
//   npx smart-async jobs list  --file <dir>   |   npx smart-async dashboard --file <dir> --port 4400
// (in this repository: npm run smart-async -- jobs watch --file <dir>)
// Run: npx ts-node --transpile-only samples/watch-jobs.ts   [JOBS_DIR=./jobs] [RUN_FOR=20s] [PORT=3000]
import 'reflect-metadata';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import express from 'express';
import { container } from 'tsyringe';
import { FileJobStore, JOB_STORE, JobManager, jobContext, parseEnvDuration, SmartAsync, type SmartResult } from '../src';
import { dashboardHandler } from '../src/http';

class Reports {
  @SmartAsync({ timeoutMs: 100 })
  async build(region: string, steps: number): Promise<SmartResult<{ region: string; rows: number }>> {
    const ctx = jobContext()!;
    for (let step = 1; step <= steps; step++) {
      ctx.signal.throwIfAborted();
      await new Promise((r) => setTimeout(r, 250));
      ctx.reportProgress(step, steps, `${region}: step ${step} of ${steps}`);
    }
    return { region, rows: steps * 1000 };
  }
}

async function main(): Promise<void> {
  const dir = resolve(process.env.JOBS_DIR ?? '.tmp/watch-jobs');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  container.register(JOB_STORE, { useValue: new FileJobStore({ path: dir }) });
  const manager = container.resolve(JobManager);
  const app = express();
  // Everyone on this machine sees every job: fine for a sample, use an owner rule in an app.
  app.use('/jobs-ui', dashboardHandler({ owner: 'none', cancel: true }));
  const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  console.log(`jobs in ${dir}`);
  console.log(`dashboard on http://127.0.0.1:${(server.address() as AddressInfo).port}/jobs-ui/`);
  console.log(`watch from another terminal: npx smart-async jobs watch --file ${dir}`);

  const reports = new Reports();
  const regions = ['eu', 'us', 'apac', 'latam'];
  let n = 0;
  const start = (): void => {
    const region = regions[n++ % regions.length]!;
    void reports.build(region, 8 + (n % 5) * 4).then((v) => console.log(`started ${region}: ${JSON.stringify(v)}`));
  };
  start();
  const timer = setInterval(start, 3_000);
  const stop = async (): Promise<void> => {
    clearInterval(timer);
    server.close();
    server.closeAllConnections();
    await manager.close();
    process.exit(0);
  };
  setTimeout(() => void stop(), parseEnvDuration('RUN_FOR', process.env.RUN_FOR ?? '20s'));
  process.once('SIGINT', () => void stop()).once('SIGTERM', () => void stop());
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
