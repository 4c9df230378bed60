/**
 * `npm run demo`: smart-async at work on its default (memory) store.
 *
 * A report service with one decorated method shows the two tiers (an inline answer, then a
 * switch to the background), explicit async mode, progress, a cancellation, and the final job
 * records, as a user of the library would see them.
 */
import 'reflect-metadata';
import { container, singleton } from 'tsyringe';
import { isJobTicket, jobContext, JobManager, SmartAsync, withCallOptions, type JobRecord, type SmartResult } from '../src';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Report {
  region: string;
  rows: number;
}

@singleton()
class ReportService {
  /** Builds a report in `steps` × 100 ms; tries to answer within 500 ms. */
  @SmartAsync({ timeoutMs: 500, timeoutEnv: 'REPORT_TIMEOUT' })
  async build(args: { region: string; steps: number; async_mode?: boolean; job_label?: string }): Promise<SmartResult<Report>> {
    const ctx = jobContext()!;
    for (let step = 1; step <= args.steps; step++) {
      ctx.signal.throwIfAborted(); // cancellation reaches the work here
      await sleep(100);
      ctx.reportProgress(step, args.steps, `region ${args.region}: step ${step}`);
    }
    return { region: args.region, rows: args.steps * 1000 };
  }
}

const t0 = Date.now();
const clock = (): string => `${String(Date.now() - t0).padStart(5)} ms`;
const say = (what: string, value?: unknown): void =>
  console.log(`${clock()}  ${what}${value === undefined ? '' : `  ${JSON.stringify(value)}`}`);

function show(job: JobRecord): string {
  const took = job.completed_at && job.started_at ? `${Date.parse(job.completed_at) - Date.parse(job.started_at)} ms` : '-';
  const outcome = job.status === 'completed' ? JSON.stringify(job.result) : job.error ? `${job.error.name}: ${job.error.message}` : '';
  const progress = job.progress ? `${job.progress.current}/${job.progress.total ?? '?'}` : '-';
  return `${job.label.padEnd(20)} ${job.status.padEnd(10)} progress ${progress.padEnd(6)} ran ${took.padEnd(8)} ${outcome}`;
}

async function main(): Promise<void> {
  const reports = container.resolve(ReportService);
  const jobs = container.resolve(JobManager);
  jobs.on('settled', (job) => say(`event: job ${job.id.slice(0, 8)} (${job.label}) settled as ${job.status}`));

  say('1. fast call: 2 steps fit in the 500 ms budget, so the caller gets the report itself');
  say('   →', await reports.build({ region: 'eu', steps: 2 }));

  say('2. slow call: 8 steps outlive the budget; the caller gets a ticket at 500 ms');
  const slow = await reports.build({ region: 'us', steps: 8 });
  say('   →', slow);

  say('3. explicit async: async_mode asks for a ticket at once, without an inline attempt');
  const queued = await reports.build({ region: 'apac', steps: 4, async_mode: true, job_label: 'apac-nightly' });
  say('   →', queued);

  say('4. scope style: withCallOptions gives a service call a ticket, a label and an owner');
  const doomed = await withCallOptions({ asyncMode: true, jobLabel: 'to-be-cancelled', owner: 'ops' }, () =>
    reports.build({ region: 'latam', steps: 20 }),
  );
  say('   →', doomed);

  if (!isJobTicket(slow) || !isJobTicket(queued) || !isJobTicket(doomed)) throw new Error('expected tickets');

  await sleep(250);
  const { job: running } = await jobs.status(slow.job_id);
  say(
    `5. progress: the slow job is ${running.status}, ${running.progress?.current}/${running.progress?.total} — "${running.progress?.message}"`,
  );

  say('6. cancel: the 20-step job is cancelled; its signal aborts the work at the next step');
  const cancelled = await jobs.cancel(doomed.job_id, 'no longer needed');
  say(`   → ${cancelled.status}: ${cancelled.error?.message}`);

  say('7. wait for the others to settle');
  await Promise.all([jobs.wait(slow.job_id), jobs.wait(queued.job_id)]);

  console.log('\nFinal job records (newest first):');
  for (const job of await jobs.list()) console.log(`  ${show(job)}`);

  const health = await jobs.health();
  console.log(
    `\nHealth: ${health.status}, store ${health.store}, ${health.total} jobs ${JSON.stringify(health.counts)}, up ${health.uptime}`,
  );
  console.log('\nOne record as JSON (what job_status returns):');
  console.log(JSON.stringify(await jobs.status(slow.job_id), null, 2));
  await jobs.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
