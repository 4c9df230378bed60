// An Express app with the asynchronous request-reply pattern: a fast call answers 200, a slow one
// 202 + Location + Retry-After; the client polls the job, reads the result, cancels another.
// Run: npx ts-node --transpile-only samples/express-app.ts
import 'reflect-metadata';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { jobContext, SmartAsync, withCallOptions, type SmartResult } from '../src';
import { errorReply, expressJobs, httpReply, sendExpress } from '../src/http';

class Reports {
  @SmartAsync({ timeoutMs: 200 })
  async build(args: { region: string; steps: number; async_mode?: boolean }): Promise<SmartResult<{ region: string; rows: number }>> {
    const ctx = jobContext()!;
    for (let step = 1; step <= args.steps; step++) {
      ctx.signal.throwIfAborted();
      await new Promise((r) => setTimeout(r, 100));
      ctx.reportProgress(step, args.steps);
    }
    return { region: args.region, rows: args.steps * 1000 };
  }
}

const reports = new Reports();
const userOf = (req: { headers: Record<string, string | string[] | undefined> }): string | undefined =>
  (req.headers['x-user'] as string | undefined) || undefined;

export function createApp(): express.Express {
  const app = express();
  app.use(express.json());
  app.post('/reports', async (req, res) => {
    // The request's signal stops the inline attempt if the client leaves early; once the 202 is
    // sent, the job no longer depends on the connection.
    const ac = new AbortController();
    res.once('close', () => ac.abort(new Error('client went away')));
    try {
      const value = await withCallOptions({ owner: userOf(req), signal: ac.signal }, () => reports.build(req.body));
      sendExpress(res, httpReply(value, { jobsPath: '/jobs', retryAfterSeconds: 1 }));
    } catch (e) {
      // The library's errors as JSON with their status (SMART_ASYNC_CONFIG 400, STORE_UNAVAILABLE 503, …);
      // anything else a bare 500 that leaks nothing. Never Express's HTML page with a stack trace.
      sendExpress(res, errorReply(e));
    }
  });
  app.use('/jobs', expressJobs({ owner: userOf, retryAfterSeconds: 1 }));
  return app;
}

async function main(): Promise<void> {
  const server = createApp().listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const headers = { 'content-type': 'application/json', 'x-user': 'ann' };
  const post = (body: unknown): Promise<Response> => fetch(`${base}/reports`, { method: 'POST', headers, body: JSON.stringify(body) });

  const fast = await post({ region: 'eu', steps: 1 });
  console.log(`POST /reports (1 step)  -> ${fast.status} ${JSON.stringify(await fast.json())}`);

  const bad = await post({ region: 'eu', steps: 1, job_label: 42 });
  console.log(`POST /reports (job_label: 42) -> ${bad.status} ${bad.headers.get('content-type')} ${JSON.stringify(await bad.json())}`);

  const slow = await post({ region: 'us', steps: 6 });
  const location = slow.headers.get('location')!;
  console.log(`POST /reports (6 steps) -> ${slow.status} Location: ${location} Retry-After: ${slow.headers.get('retry-after')}`);
  for (;;) {
    const res = await fetch(`${base}${location}`, { headers });
    const { job } = (await res.json()) as { job: { status: string; progress: { current: number; total: number } | null } };
    console.log(`GET ${location} -> ${job.status} ${job.progress ? `${job.progress.current}/${job.progress.total}` : ''}`);
    if (job.status !== 'running' && job.status !== 'pending') break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const result = await fetch(`${base}${location}/result`, { headers });
  console.log(`GET ${location}/result -> ${result.status} ${JSON.stringify(await result.json())}`);

  const other = await post({ region: 'apac', steps: 50, async_mode: true });
  const otherLocation = other.headers.get('location')!;
  const cancelled = await fetch(`${base}${otherLocation}?reason=no+longer+needed`, { method: 'DELETE', headers });
  console.log(`DELETE ${otherLocation} -> ${cancelled.status} ${((await cancelled.json()) as { job: { status: string } }).job.status}`);
  const gone = await fetch(`${base}${otherLocation}/result`, { headers });
  console.log(`GET ${otherLocation}/result -> ${gone.status} ${JSON.stringify(await gone.json())}`);
  const foreign = await fetch(`${base}${location}`, { headers: { 'x-user': 'bob' } });
  console.log(`GET ${location} as another user -> ${foreign.status}`);
  server.close();
}

if (require.main === module) void main();
