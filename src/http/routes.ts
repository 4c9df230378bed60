import { z } from 'zod';
import { activeHeaders, errorReply, type HttpReply } from './reply';
import {
  canList,
  canSee,
  JOB_STATUSES,
  JobNotFoundError,
  SmartAsyncConfigError,
  currentJobManager,
  parseOrThrow,
  type JobManager,
  type JobRecord,
  type JobStatus,
} from '../index';
import { isOwnerRule, viewerFor, type OwnerRule } from './owner';

/** Options of `expressJobs()` and `fastifyJobs()`. */
export interface JobRoutesOptions<Req = unknown> {
  /**
   * Who is asking: a function of the request that returns the requester's id (their jobs are the
   * ones launched with that `owner`), or `'none'` to expose every job (trusted networks only).
   * Required: the routes refuse to be created without an owner rule.
   */
  owner: OwnerRule<Req>;
  /** The manager whose jobs are served. @default the configured one (`currentJobManager()`), at each request */
  manager?: JobManager;
  /** `Retry-After` (seconds) while a job is active. @default 2 */
  retryAfterSeconds?: number;
}

/** What a jobs route needs from a request, whatever the framework. */
export interface JobsRequest {
  method: string;
  /** The job id, for `/:id` and `/:id/result`. */
  id?: string;
  /** `result` for `/:id/result`. */
  sub?: string;
  query: Record<string, unknown>;
}

/** One route of the jobs API: its method, its path under the mount (the syntax Express, Fastify and Nest share) and its kind. */
export interface JobRoute {
  method: 'GET' | 'DELETE' | 'POST';
  path: '' | ':id' | ':id/result' | ':id/retry';
  /** `result` for `/:id/result`, `retry` for `/:id/retry`. */
  sub?: 'result' | 'retry';
}

/** The jobs API's routes: the one table the Express router, the Fastify plugin and the Nest controller are made from. */
export const JOB_ROUTES: readonly JobRoute[] = Object.freeze([
  { method: 'GET', path: '' },
  { method: 'GET', path: ':id' },
  { method: 'DELETE', path: ':id' },
  { method: 'GET', path: ':id/result', sub: 'result' },
  { method: 'POST', path: ':id/retry', sub: 'retry' },
]);

/** The framework-free request of a framework's request on one of `JOB_ROUTES` (its `:id` param and query). */
export function jobsRequest(route: JobRoute, req: { params?: unknown; query?: unknown }): JobsRequest {
  const id = (req.params as { id?: unknown } | undefined)?.id;
  return {
    method: route.method,
    id: route.path === '' ? undefined : typeof id === 'string' ? id : '',
    sub: route.sub,
    query: (req.query ?? {}) as Record<string, unknown>,
  };
}

const uuid = z.string().uuid();
const listQuery = z
  .object({
    status: z
      .union([z.string(), z.array(z.string())])
      .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
      .pipe(z.array(z.enum(JOB_STATUSES as [JobStatus, ...JobStatus[]])))
      .optional(),
    label: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(1000).optional(),
  })
  .passthrough();

/**
 * The routes of the jobs API, framework-free: a request in, a reply out. The Express router,
 * the Fastify plugin and the Nest controller are thin adapters over it; use it to serve the
 * same routes from another framework.
 *
 * @example
 * const routes = new JobRoutes({ owner: (req: MyReq) => req.user });
 * const reply = await routes.handle(req, { method: 'GET', id: req.params.id, query: req.query });
 */
export class JobRoutes<Req> {
  private readonly retryAfter: number;

  /** @throws SmartAsyncConfigError without an owner rule. */
  constructor(private readonly options: JobRoutesOptions<Req>) {
    if (!isOwnerRule(options?.owner)) {
      throw new SmartAsyncConfigError(
        "The jobs routes need an owner rule: `owner: (req) => string | undefined`, or `owner: 'none'` to expose every job (trusted networks only)",
      );
    }
    this.retryAfter = options.retryAfterSeconds ?? 2;
  }

  /** Answers one request; never throws (errors become their HTTP reply). @param r the request's method, `id`, `sub` (`'result'`) and query */
  async handle(req: Req, r: JobsRequest): Promise<HttpReply> {
    try {
      return await this.route(req, r);
    } catch (e) {
      return errorReply(e, this.retryAfter);
    }
  }

  private async route(req: Req, r: JobsRequest): Promise<HttpReply> {
    const manager = this.options.manager ?? currentJobManager();
    const viewer = viewerFor(this.options.owner, req);
    if (r.id === undefined) {
      if (r.method !== 'GET') return methodNotAllowed();
      const q = parseOrThrow(listQuery, r.query, 'GET /');
      if (!canList(viewer)) return { status: 200, headers: {}, body: { jobs: [] } };
      return {
        status: 200,
        headers: {},
        body: { jobs: await manager.list({ status: q.status, label: q.label, limit: q.limit ?? 50, owner: viewer.owner }) },
      };
    }
    if (!uuid.safeParse(r.id).success) throw new JobNotFoundError('(not a job id)');
    const visible = async (id: string): Promise<JobRecord> => {
      const job = await manager.get(id);
      if (!job || !canSee(viewer, job)) throw new JobNotFoundError(id);
      return job;
    };
    if (r.sub === 'result') {
      if (r.method !== 'GET') return methodNotAllowed();
      const job = await visible(r.id);
      if (job.status === 'completed') return { status: 200, headers: {}, body: job.result };
      if (job.status === 'pending' || job.status === 'running') {
        return {
          status: 409,
          headers: activeHeaders(job, this.retryAfter),
          body: { error: { code: 'JOB_ACTIVE', message: `Job ${job.id} is ${job.status}; try again later`, status: job.status } },
        };
      }
      return {
        status: 410,
        headers: {},
        body: {
          error: {
            code: job.error?.code ?? `JOB_${job.status.toUpperCase()}`,
            name: job.error?.name,
            message: job.error?.message ?? `Job ${job.status}`,
            status: job.status,
          },
        },
      };
    }
    if (r.sub === 'retry') {
      if (r.method !== 'POST') return methodNotAllowed();
      const job = await visible(r.id);
      return { status: 201, headers: {}, body: { job: await manager.retry(job.id, { owner: job.owner }) } };
    }
    if (r.sub !== undefined) throw new JobNotFoundError(r.id);
    if (r.method === 'GET') {
      const job = await visible(r.id);
      return { status: 200, headers: activeHeaders(job, this.retryAfter), body: { job } };
    }
    if (r.method === 'DELETE') {
      const reason = typeof r.query.reason === 'string' ? r.query.reason.slice(0, 1000) : 'Cancelled over HTTP';
      const job = await visible(r.id);
      return { status: 200, headers: {}, body: { job: await manager.cancel(job.id, reason, { owner: job.owner }) } };
    }
    return methodNotAllowed();
  }
}

function methodNotAllowed(): HttpReply {
  return { status: 405, headers: {}, body: { error: { code: 'METHOD_NOT_ALLOWED', message: 'Method not allowed' } } };
}
