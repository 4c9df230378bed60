import type { IncomingMessage, ServerResponse } from 'node:http';
import { SmartAsyncConfigError } from './errors';
import type { HttpReply } from './http-reply';
import type { JobManager } from './job-manager';
import { JobRoutes, type JobsRequest } from './job-routes';
import type { JobRecord } from './types';
import { dashboardPage } from './dashboard-page';

/** Options of `dashboardHandler()`. */
export interface DashboardOptions<Req extends IncomingMessage = IncomingMessage> {
  /**
   * Who is asking (the owner rule of the jobs routes): a function of the request that returns the
   * requester's id — the page shows their jobs only, and nothing to a request without one — or
   * `'none'` to show every job (trusted networks only). Required.
   */
  owner: ((req: Req) => string | undefined) | 'none';
  /** The manager whose jobs are shown. @default the configured one (`currentJobManager()`), at each request */
  manager?: JobManager;
  /** Whether the page may cancel jobs (the requester's own, under the owner rule), or a function of the request that says. @default false */
  cancel?: boolean | ((req: Req) => boolean);
  /** The page's title. @default 'smart-async jobs' */
  title?: string;
  /** How often a live page's jobs are read again, in ms. @default 500 */
  refreshMs?: number;
}

/** A Node request handler: mount it with `app.use('/jobs-ui', handler)` (Express, Nest) or serve it from `http.createServer`. */
export type DashboardHandler<Req extends IncomingMessage = IncomingMessage> = (req: Req, res: ServerResponse, next?: (error?: unknown) => void) => void;

const CANCEL_HEADER = 'x-requested-with';

function send(res: ServerResponse, reply: HttpReply): void {
  res.writeHead(reply.status, { ...reply.headers, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(reply.body));
}

const forbidden = (message: string): HttpReply => ({ status: 403, headers: {}, body: { error: { code: 'FORBIDDEN', message } } });

/**
 * The jobs dashboard as a Node request handler: a page that lists jobs newest first (filters by
 * status and label), shows a job's record, progress and error, updates live without reload
 * (server-sent events, `api/events`), and cancels where `cancel` allows. Under it: `api/jobs`,
 * `api/jobs/:id` (the jobs routes' answers, same owner rule) and `POST api/jobs/:id/cancel`
 * (needs the header `x-requested-with: smart-async`, which a cross-site form cannot send).
 * The page needs nothing from the network (no CDN).
 *
 * @throws SmartAsyncConfigError without an owner rule, or with a bad `refreshMs`.
 * @example
 * app.use('/jobs-ui', dashboardHandler({ owner: (req) => req.user?.id, cancel: true }));
 */
export function dashboardHandler<Req extends IncomingMessage = IncomingMessage>(options: DashboardOptions<Req>): DashboardHandler<Req> {
  const routes = new JobRoutes<Req>({ owner: options?.owner, manager: options?.manager });
  const refreshMs = options.refreshMs ?? 500;
  if (!(Number.isInteger(refreshMs) && refreshMs >= 50 && refreshMs <= 60_000)) {
    throw new SmartAsyncConfigError(`Expected \`refreshMs\` to be an integer from 50 to 60000, got ${JSON.stringify(options.refreshMs)}`);
  }
  const title = typeof options.title === 'string' && options.title.length > 0 ? options.title.slice(0, 200) : 'smart-async jobs';
  const canCancel = (req: Req): boolean => (typeof options.cancel === 'function' ? options.cancel(req) === true : options.cancel === true);

  const internal = (res: ServerResponse): void => {
    if (res.headersSent) res.end();
    else send(res, { status: 500, headers: {}, body: { error: { code: 'INTERNAL', message: 'The dashboard failed to answer' } } });
  };
  // A hook of the app's that throws (the owner rule, `cancel`) is a 500, never an exception
  // thrown out of a request listener (which would bring a plain node:http server down).
  return (req, res, next) => {
    try {
      route(req, res, next);
    } catch {
      internal(res);
    }
  };

  function route(req: Req, res: ServerResponse, next?: (error?: unknown) => void): void {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const query = Object.fromEntries(url.searchParams);
    // JobRoutes.handle turns errors into replies; what is left (a write to a closed socket) ends the response.
    const answer = (r: JobsRequest): void =>
      void routes.handle(req, r).then(
        (reply) => send(res, reply),
        () => internal(res),
      );
    if (path === '/' && req.method === 'GET') {
      // Relative links need the mount path to end with a slash.
      const mounted = new URL((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/', 'http://dashboard.invalid');
      if (!mounted.pathname.endsWith('/')) {
        res.writeHead(308, { location: `${mounted.pathname}/${mounted.search}` });
        return void res.end();
      }
      const page = dashboardPage({ title, canCancel: canCancel(req) });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'" });
      return void res.end(page);
    }
    if (path === '/api/jobs' && req.method === 'GET') return answer({ method: 'GET', query });
    if (path === '/api/events' && req.method === 'GET') return void streamJobs(routes, req, res, query, refreshMs);
    const m = /^\/api\/jobs\/([^/]{1,100})(\/cancel)?$/.exec(path);
    if (m && !m[2] && req.method === 'GET') return answer({ method: 'GET', id: m[1], query: {} });
    if (m && m[2] && req.method === 'POST') {
      if (!canCancel(req)) return send(res, forbidden('Cancelling is not allowed from this dashboard'));
      if (req.headers[CANCEL_HEADER] !== 'smart-async') return send(res, forbidden(`A cancel needs the header ${CANCEL_HEADER}: smart-async`));
      return answer({ method: 'DELETE', id: m[1], query: { reason: 'Cancelled from the dashboard' } });
    }
    if (next) return next();
    send(res, { status: 404, headers: {}, body: { error: { code: 'NOT_FOUND', message: 'Not found' } } });
  }
}

/**
 * The live list: every `refreshMs`, the requester's jobs (same query as `api/jobs`) are read
 * again and what changed goes out as one `jobs` event, `{ reset, upsert, remove }`; the first is
 * the whole list (`reset`). A failing read goes out as a `problem` event and the stream goes on.
 */
function streamJobs<Req extends IncomingMessage>(routes: JobRoutes<Req>, req: Req, res: ServerResponse, query: Record<string, string>, refreshMs: number): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
  res.write(`retry: ${Math.max(1000, refreshMs)}\n\n`);
  let seen: Map<string, string> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let open = true;
  let lastWrite = Date.now();
  const stop = (): void => {
    open = false;
    clearTimeout(timer);
  };
  req.on('close', stop);
  res.on('close', stop);
  const event = (name: string, data: unknown): void => {
    res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    lastWrite = Date.now();
  };
  const tick = async (): Promise<void> => {
    if (!open) return;
    const reply = await routes.handle(req, { method: 'GET', query });
    if (!open) return;
    if (reply.status !== 200) {
      event('problem', { status: reply.status, message: (reply.body as { error?: { message?: string } }).error?.message ?? `HTTP ${reply.status}` });
    } else {
      const jobs = (reply.body as { jobs: JobRecord[] }).jobs;
      const now = new Map(jobs.map((j) => [j.id, `${j.updated_at}|${j.status}`]));
      const upsert = seen ? jobs.filter((j) => seen!.get(j.id) !== now.get(j.id)) : jobs;
      const remove = seen ? [...seen.keys()].filter((id) => !now.has(id)) : [];
      if (!seen || upsert.length > 0 || remove.length > 0) event('jobs', { reset: !seen, upsert, remove });
      else if (Date.now() - lastWrite > 15_000) res.write(': keep-alive\n\n');
      seen = now;
    }
    timer = setTimeout(() => void tick().catch(stop), refreshMs);
  };
  void tick().catch(stop);
}
