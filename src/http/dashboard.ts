import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendNode, type HttpReply } from './reply';
import { JobRoutes, type JobsRequest } from './routes';
import { dashboardPage } from './dashboard-page';
import { currentJobManager, SmartAsyncConfigError, type JobManager, type JobRecord, type Viewer } from '../index';
import { viewerFor, type OwnerRule } from './owner';

/** Options of `dashboardHandler()`. */
export interface DashboardOptions<Req extends IncomingMessage = IncomingMessage> {
  /**
   * Who is asking (the owner rule of the jobs routes): a function of the request that returns the
   * requester's id — the page shows their jobs only, and nothing to a request without one — or
   * `'none'` to show every job (trusted networks only). Required.
   */
  owner: OwnerRule<Req>;
  /** The manager whose jobs are shown. @default the configured one (`currentJobManager()`), at each request */
  manager?: JobManager;
  /** Whether the page may cancel jobs (the requester's own, under the owner rule), or a function of the request that says. @default false */
  cancel?: boolean | ((req: Req) => boolean);
  /** Whether the page may retry durable jobs that failed or went stale (as new jobs), or a function of the request that says. @default as `cancel` */
  retry?: boolean | ((req: Req) => boolean);
  /** The page's title. @default 'smart-async jobs' */
  title?: string;
  /** How often a live page's jobs are read again, in ms. @default 500 */
  refreshMs?: number;
}

/** A Node request handler: mount it with `app.use('/jobs-ui', handler)` (Express, Nest) or serve it from `http.createServer`. */
export type DashboardHandler<Req extends IncomingMessage = IncomingMessage> = (
  req: Req,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

const CANCEL_HEADER = 'x-requested-with';

const pick = (query: Record<string, string>, keys: string[]): Record<string, string> =>
  Object.fromEntries(keys.filter((k) => query[k] !== undefined).map((k) => [k, query[k]!]));

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
  const feeds = new LiveFeeds(routes, refreshMs);
  const allowed = (rule: boolean | ((req: Req) => boolean) | undefined, req: Req): boolean =>
    typeof rule === 'function' ? rule(req) === true : rule === true;
  const canCancel = (req: Req): boolean => allowed(options.cancel, req);
  const canRetry = (req: Req): boolean => allowed(options.retry ?? options.cancel, req);

  const internal = (res: ServerResponse): void => {
    if (res.headersSent) res.end();
    else sendNode(res, { status: 500, headers: {}, body: { error: { code: 'INTERNAL', message: 'The dashboard failed to answer' } } });
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

  /** The manager's door (admission counts and unclaimed durable jobs): numbers only, no job of anyone's. */
  function door(res: ServerResponse): void {
    (options.manager ?? currentJobManager())
      .health()
      .then((h) => sendNode(res, { status: 200, headers: {}, body: { admission: h.admission ?? null, unclaimed: h.unclaimed ?? 0 } }))
      .catch(() => internal(res));
  }

  function route(req: Req, res: ServerResponse, next?: (error?: unknown) => void): void {
    const url = new URL(req.url ?? '/', 'http://dashboard.invalid');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const query = Object.fromEntries(url.searchParams);
    // JobRoutes.handle turns errors into replies; what is left (a write to a closed socket) ends the response.
    const answer = (r: JobsRequest): void =>
      void routes.handle(req, r).then(
        (reply) => sendNode(res, reply),
        () => internal(res),
      );
    if (path === '/' && req.method === 'GET') {
      // Relative links need the mount path to end with a slash.
      const mounted = new URL((req as { originalUrl?: string }).originalUrl ?? req.url ?? '/', 'http://dashboard.invalid');
      if (!mounted.pathname.endsWith('/')) {
        res.writeHead(308, { location: `${mounted.pathname}/${mounted.search}` });
        return void res.end();
      }
      const page = dashboardPage({ title, canCancel: canCancel(req), canRetry: canRetry(req) });
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
      });
      return void res.end(page);
    }
    if (path === '/api/jobs' && req.method === 'GET') return answer({ method: 'GET', query });
    if (path === '/api/door' && req.method === 'GET') return void door(res);
    if (path === '/api/events' && req.method === 'GET')
      return feeds.subscribe(req, res, viewerFor(options.owner, req), pick(query, ['status', 'label', 'limit']));
    const m = /^\/api\/jobs\/([^/]{1,100})(\/cancel|\/retry)?$/.exec(path);
    if (m && !m[2] && req.method === 'GET') return answer({ method: 'GET', id: m[1], query: {} });
    if (m && m[2] && req.method === 'POST') {
      const retry = m[2] === '/retry';
      if (!(retry ? canRetry(req) : canCancel(req)))
        return sendNode(res, forbidden(`${retry ? 'Retrying' : 'Cancelling'} is not allowed from this dashboard`));
      if (req.headers[CANCEL_HEADER] !== 'smart-async')
        return sendNode(res, forbidden(`An action needs the header ${CANCEL_HEADER}: smart-async`));
      return answer(
        retry
          ? { method: 'POST', id: m[1], sub: 'retry', query: {} }
          : { method: 'DELETE', id: m[1], query: { reason: 'Cancelled from the dashboard' } },
      );
    }
    if (next) return next();
    sendNode(res, { status: 404, headers: {}, body: { error: { code: 'NOT_FOUND', message: 'Not found' } } });
  }
}

/** Bytes a live page may leave unread before it is skipped (its changes wait until it reads). */
const MAX_BUFFERED = 256 * 1024;
/** How long a live page may read nothing before its stream is ended (the browser reconnects with a fresh list). */
const MAX_STALL_MS = 30_000;

/** One open live page: what it was last sent, and since when it reads nothing. */
interface Subscriber {
  res: ServerResponse;
  seen: Map<string, string> | undefined;
  lastWrite: number;
  stalledSince: number | undefined;
}

/**
 * The live lists of one dashboard: every `refreshMs`, each distinct view (the requester's owner
 * and the page's filters) is read from the store **once**, however many pages show it, and each
 * page gets what changed since it was last sent. A page that does not read (a stalled client) is
 * skipped while more than 256 KiB wait in its buffer, and its stream is ended after 30 s of that:
 * the server's memory never grows with clients that do not read.
 */
class LiveFeeds<Req> {
  private readonly feeds = new Map<
    string,
    { req: Req; query: Record<string, string>; subscribers: Set<Subscriber>; timer: NodeJS.Timeout | undefined }
  >();

  constructor(
    private readonly routes: JobRoutes<Req>,
    private readonly refreshMs: number,
  ) {}

  /** Streams the view `(owner, query)` to `res` until either side closes. */
  subscribe(req: Req, res: ServerResponse, viewer: Viewer, query: Record<string, string>): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: ${Math.max(1000, this.refreshMs)}\n\n`);
    const key = JSON.stringify([viewer.owner ?? null, viewer.anonymous, query.status ?? null, query.label ?? null, query.limit ?? null]);
    let feed = this.feeds.get(key);
    if (!feed) {
      feed = { req, query, subscribers: new Set(), timer: undefined };
      this.feeds.set(key, feed);
      this.schedule(key, 0);
    }
    const sub: Subscriber = { res, seen: undefined, lastWrite: Date.now(), stalledSince: undefined };
    feed.subscribers.add(sub);
    const leave = (): void => {
      const f = this.feeds.get(key);
      if (!f?.subscribers.delete(sub) || f.subscribers.size > 0) return;
      clearTimeout(f.timer);
      this.feeds.delete(key);
    };
    res.once('close', leave);
    (req as unknown as IncomingMessage).once?.('close', leave);
  }

  private schedule(key: string, ms: number): void {
    const feed = this.feeds.get(key);
    if (!feed) return;
    feed.timer = setTimeout(() => void this.tick(key).finally(() => this.schedule(key, this.refreshMs)), ms);
  }

  /** One read for every page of the view; each page gets its own diff. */
  private async tick(key: string): Promise<void> {
    const feed = this.feeds.get(key);
    if (!feed) return;
    const reply = await this.routes.handle(feed.req, { method: 'GET', query: feed.query });
    const now = Date.now();
    for (const sub of feed.subscribers) {
      const { res } = sub;
      if (res.writableLength > MAX_BUFFERED) {
        sub.stalledSince ??= now;
        if (now - sub.stalledSince > MAX_STALL_MS) res.destroy();
        continue; // its changes wait: the next diff it gets covers them
      }
      sub.stalledSince = undefined;
      if (reply.status !== 200) {
        event(sub, 'problem', {
          status: reply.status,
          message: (reply.body as { error?: { message?: string } }).error?.message ?? `HTTP ${reply.status}`,
        });
        continue;
      }
      const jobs = (reply.body as { jobs: JobRecord[] }).jobs;
      const seen = sub.seen;
      const next = new Map(jobs.map((j) => [j.id, `${j.updated_at}|${j.status}`]));
      const upsert = seen ? jobs.filter((j) => seen.get(j.id) !== next.get(j.id)) : jobs;
      const remove = seen ? [...seen.keys()].filter((id) => !next.has(id)) : [];
      if (!seen || upsert.length > 0 || remove.length > 0) event(sub, 'jobs', { reset: !seen, upsert, remove });
      else if (now - sub.lastWrite > 15_000) res.write(': keep-alive\n\n');
      sub.seen = next;
    }
  }
}

function event(sub: Subscriber, name: string, data: unknown): void {
  sub.res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  sub.lastWrite = Date.now();
}
