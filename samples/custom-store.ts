// Your own JobStore, written from the public store kit only, with crash detection (leases).
// Run: npx ts-node --transpile-only samples/custom-store.ts
//
// `TableJobStore` keeps jobs in two "tables" (a Map of rows and a Map of leases), the way a SQL
// store would keep a `jobs` table with `lease_runner` / `lease_expires_at` columns. Each method
// says the SQL it stands for; every write is one atomic step. Copy it, replace the Maps with
// your database, and run `describeJobStore()` from `smart-async/testing` on it.
import 'reflect-metadata';
import {
  applyPatch,
  canApply,
  isActive,
  JobIndex,
  JobManager,
  StoreCorruptError,
  isJobTicket,
  type JobLease,
  type JobPatch,
  type JobQuery,
  type JobRecord,
  type JobStatus,
  type JobStore,
  type PruneQuery,
} from '../src';

export class TableJobStore implements JobStore {
  readonly kind = 'table';
  /** How long a manager may go silent before its jobs are stale; the manager renews every third. */
  readonly leaseMs: number;
  /** `jobs` table (JobIndex answers list, prune and counts; a database would use its indexes). */
  private readonly rows = new JobIndex();
  /** `lease_runner`, `lease_expires_at` columns of active jobs. */
  private readonly leases = new Map<string, JobLease>();

  constructor(options: { leaseMs?: number } = {}) {
    this.leaseMs = options.leaseMs ?? 30_000;
  }

  /** INSERT INTO jobs (…, lease_runner, lease_expires_at) VALUES (…) — fails on a duplicate id. */
  async create(job: JobRecord, lease?: JobLease): Promise<void> {
    if (this.rows.get(job.id)) throw new StoreCorruptError(`Job ${job.id} already exists`);
    this.rows.put(Object.freeze({ ...job }));
    if (lease && isActive(job.status)) this.leases.set(job.id, lease);
  }

  /** SELECT * FROM jobs WHERE id = $1 */
  async get(id: string): Promise<JobRecord | undefined> {
    return this.rows.get(id);
  }

  /** UPDATE jobs SET … WHERE id = $1 AND status = ANY($expect) AND <canApply> RETURNING * (one statement: atomic). */
  async update(id: string, patch: JobPatch, expect?: readonly JobStatus[]): Promise<JobRecord | undefined> {
    const current = this.rows.get(id);
    if (!current || !canApply(current, patch, expect)) return undefined;
    const next = applyPatch(current, patch);
    this.rows.put(next);
    if (!isActive(next.status)) this.leases.delete(id);
    return next;
  }

  /** SELECT … WHERE status = ANY($1) AND label = $2 AND owner = $3 ORDER BY created_at DESC LIMIT $4 */
  async list(query?: JobQuery): Promise<JobRecord[]> {
    return this.rows.list(query);
  }

  /** DELETE FROM jobs WHERE status = ANY($1) AND (completed_at < $2 OR id NOT IN (newest $3)) */
  async prune(query: PruneQuery): Promise<number> {
    const ids = this.rows.prunable(query);
    ids.forEach((id) => this.rows.remove(id));
    return ids.length;
  }

  /** SELECT status, count(*) FROM jobs GROUP BY status */
  async counts(): Promise<Record<JobStatus, number>> {
    return this.rows.counts();
  }

  async close(): Promise<void> {}

  /** UPDATE jobs SET lease_expires_at = $3 WHERE id = ANY($2) AND status IN ('pending','running'); the ids not updated come back. */
  async renewLeases(runner: string, ids: readonly string[], expiresAt: number): Promise<string[]> {
    const gone: string[] = [];
    for (const id of ids) {
      const job = this.rows.get(id);
      if (job && isActive(job.status)) this.leases.set(id, { runner, expiresAt });
      else gone.push(id);
    }
    return gone;
  }

  /** UPDATE jobs SET <patch> WHERE status IN ('pending','running') AND lease_expires_at < $now LIMIT $limit RETURNING * */
  async expireLeases(now: number, patch: JobPatch, limit: number): Promise<JobRecord[]> {
    const out: JobRecord[] = [];
    for (const [id, lease] of this.leases) {
      if (out.length >= limit) break;
      if (lease.expiresAt >= now) continue;
      const next = await this.update(id, patch);
      if (next) out.push(next);
      else this.leases.delete(id);
    }
    return out;
  }
}

async function main(): Promise<void> {
  const store = new TableJobStore({ leaseMs: 300 });
  // A process that crashed: it took a lease on its job, then never renewed it.
  const crashed: JobRecord = {
    id: '00000000-0000-4000-8000-000000000001',
    label: 'crashed-worker-job',
    status: 'running',
    created_at: new Date().toISOString(),
    started_at: new Date().toISOString(),
    completed_at: null,
    updated_at: new Date().toISOString(),
    result: null,
    error: null,
    progress: null,
  };
  await store.create(crashed, { runner: 'crashed-runner', expiresAt: Date.now() + 300 });

  // A live manager on the same store: it runs its own job (renewing its lease) and sweeps.
  const jobs = new JobManager(store, { onWarning: () => undefined });
  const ticket = await jobs.launch(() => new Promise<string>((r) => setTimeout(() => r('done'), 900)), {
    label: 'live-job',
    timeoutMs: 10,
  });
  if (!isJobTicket(ticket)) throw new Error('expected a ticket');
  const stale = await jobs.wait(crashed.id, { timeoutMs: 5_000 });
  console.log(`${stale.label}: ${stale.status} (${stale.error?.code}: ${stale.error?.message})`);
  const live = await jobs.wait(ticket.job_id, { timeoutMs: 5_000 });
  console.log(`${live.label}: ${live.status} ${JSON.stringify(live.result)} (its lease was renewed while it ran)`);
  await jobs.close();
}

if (require.main === module) void main();
