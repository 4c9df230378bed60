/**
 * Dependency injection: swap the store with one line, configure the manager, and give a child
 * container its own manager and store.
 *
 * Run: npx ts-node --transpile-only samples/di-container.ts
 */
import 'reflect-metadata';
import { container } from 'tsyringe';
import {
  configureSmartAsync,
  isJobTicket,
  JOB_STORE,
  JobManager,
  MemoryJobStore,
  SMART_ASYNC_CONFIG,
  SmartAsync,
  withCallOptions,
  type JobRecord,
  type SmartResult,
} from '../src';

/** A store of your own: here, memory that logs each write. */
class LoggingStore extends MemoryJobStore {
  override readonly kind = 'logging-memory';
  override async create(job: JobRecord): Promise<void> {
    console.log(`  [store] create ${job.id.slice(0, 8)} ${job.status}`);
    return super.create(job);
  }
  override async update(...args: Parameters<MemoryJobStore['update']>): ReturnType<MemoryJobStore['update']> {
    const job = await super.update(...args);
    if (job) console.log(`  [store] update ${job.id.slice(0, 8)} ${job.status}`);
    return job;
  }
}

class Indexer {
  @SmartAsync({ timeoutMs: 100 })
  async reindex(docs: number): Promise<SmartResult<{ indexed: number }>> {
    await new Promise((r) => setTimeout(r, docs));
    return { indexed: docs };
  }
}

async function main(): Promise<void> {
  // 1. The one line that swaps the store, plus manager settings — before the first resolve.
  container.register(JOB_STORE, { useValue: new LoggingStore() });
  container.register(SMART_ASYNC_CONFIG, { useValue: { retention: { maxJobs: 100 }, progressIntervalMs: 100 } });
  const jobs = container.resolve(JobManager);
  console.log(`global manager uses the "${jobs.storeKind}" store`);

  const ticket = await new Indexer().reindex(300);
  if (isJobTicket(ticket)) console.log(`global job ${(await jobs.wait(ticket.job_id)).status}`);

  // 2. A child container with its own manager and store (e.g. one tenant), used by the decorator.
  const tenant = container.createChildContainer();
  tenant.register(JOB_STORE, { useValue: new MemoryJobStore() });
  tenant.registerSingleton(JobManager);
  configureSmartAsync({ container: tenant });
  const tenantJobs = tenant.resolve(JobManager);
  const tenantTicket = await withCallOptions({ asyncMode: true }, () => new Indexer().reindex(50));
  if (isJobTicket(tenantTicket)) {
    await tenantJobs.wait(tenantTicket.job_id);
    console.log(`tenant manager (${tenantJobs.storeKind}) sees its job: ${Boolean(await tenantJobs.get(tenantTicket.job_id))}`);
    console.log(`global manager sees the tenant's job: ${Boolean(await jobs.get(tenantTicket.job_id))}`);
  }
  configureSmartAsync(); // back to the global container
  await Promise.all([jobs.close(), tenantJobs.close()]);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
