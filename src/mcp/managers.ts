import { canSee, currentJobManager, JobNotFoundError, type JobFilter, type JobManager, type JobRecord, type Viewer } from '../index';

/** Options of `registerJobTools()` and `registerSmartTool()`. */
export interface McpJobOptions {
  /** The manager that owns the jobs. @default the JobManager of the container given to configureSmartAsync() */
  manager?: JobManager;
}

/** @internal The manager to use for one request. */
export function managerFor(opts: McpJobOptions | undefined): JobManager {
  return opts?.manager ?? currentJobManager();
}

/**
 * @internal The one registry of managers in `smart-async/mcp`: which JobManagers a scope (an MCP
 * server, a 2025-11-25 task store) reaches besides its default one. A smart tool registered with
 * `{ manager }` notes its manager on its server (and its task store), so the job tools, `tasks/*`
 * of both protocol revisions and `tasks/list` find and list its jobs alike.
 */
const registered = new WeakMap<object, Set<JobManager>>();

/** @internal Records that jobs reachable from `scope` may live in `manager`. */
export function noteManager(scope: object, manager: JobManager): void {
  let set = registered.get(scope);
  if (!set) registered.set(scope, (set = new Set()));
  set.add(manager);
}

/** @internal Every manager `scope` reaches: `primary` first, then the ones noted on it. */
export function managersOf(scope: object, primary: JobManager): JobManager[] {
  return Array.from(new Set([primary, ...(registered.get(scope) ?? [])]));
}

/** @internal The job, from whichever of `managers` holds it, if the request may see it; `undefined` if none does. */
export async function lookupVisibleJob(
  managers: Iterable<JobManager>,
  id: string,
  v: Viewer,
): Promise<{ job: JobRecord; manager: JobManager } | undefined> {
  for (const manager of managers) {
    const job = await manager.get(id);
    if (job && canSee(v, job)) return { job, manager };
  }
  return undefined;
}

/** @internal The job, from whichever of `managers` holds it, if the request may see it; else JOB_NOT_FOUND. */
export async function findVisibleJob(
  managers: Iterable<JobManager>,
  id: string,
  v: Viewer,
): Promise<{ job: JobRecord; manager: JobManager }> {
  const found = await lookupVisibleJob(managers, id, v);
  if (!found) throw new JobNotFoundError(id);
  return found;
}

/** @internal Cancels a job the request may see, in the manager that holds it (JOB_NOT_FOUND otherwise). */
export async function cancelVisibleJob(
  managers: Iterable<JobManager>,
  id: string,
  v: Viewer,
  reason: string | undefined,
): Promise<JobRecord> {
  const { job, manager } = await findVisibleJob(managers, id, v);
  return manager.cancel(job.id, reason, { owner: job.owner });
}

/** @internal The newest `limit` jobs matching `filter` across `managers`, newest first. */
export async function listAcross(managers: readonly JobManager[], filter: JobFilter & { limit: number }): Promise<JobRecord[]> {
  const lists = await Promise.all(managers.map((m) => m.list(filter)));
  if (lists.length === 1) return lists[0]!;
  return lists
    .flat()
    .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0))
    .slice(0, filter.limit);
}
