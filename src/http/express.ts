import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpReply } from './reply';
import { JOB_ROUTES, jobsRequest, JobRoutes, type JobRoutesOptions } from './routes';

/**
 * What the jobs router needs of a request: Express's `Request` (4 or 5) is one. Structural, so
 * these types need no `@types/express`.
 */
export interface ExpressLikeRequest extends IncomingMessage {
  /** Route parameters (Express 5 types them `string | string[]`). */
  params: Record<string, unknown>;
  query: unknown;
}

/** What it needs of a response: Express's `Response` is one. */
export interface ExpressLikeResponse extends ServerResponse {
  status(code: number): this;
  set(headers: Record<string, string>): this;
  json(body: unknown): this;
}

/** An Express router: mount it with `app.use(path, router)`. */
export type ExpressLikeRouter = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

/** Sends a reply (`httpReply()`'s or an error's) through an Express response. */
export function sendExpress(res: ExpressLikeResponse, reply: HttpReply): void {
  res.status(reply.status).set(reply.headers).json(reply.body);
}

interface ExpressRouterModule {
  Router(): ExpressLikeRouter &
    Record<'get' | 'delete' | 'post', (path: string, handler: (req: ExpressLikeRequest, res: ExpressLikeResponse) => void) => void>;
}

/**
 * An Express router (Express 4 or 5, loaded when called) serving the jobs API where it is
 * mounted: `GET /` (the requester's jobs; `status`, `label`, `limit` query), `GET /:id`
 * (`{ job }`, with `Retry-After` while active), `GET /:id/result` (200 with the result; 409 while
 * active; 410 when it failed, was cancelled or went stale), `DELETE /:id` (cancel; `reason`
 * query). Another owner's job is a 404; errors are `{ error: { code, message } }`.
 *
 * @throws SmartAsyncConfigError without an owner rule.
 * @example
 * app.use('/jobs', expressJobs({ owner: (req: Request) => req.user?.id }));
 */
export function expressJobs<Req extends ExpressLikeRequest = ExpressLikeRequest>(options: JobRoutesOptions<Req>): ExpressLikeRouter {
  const routes = new JobRoutes<Req>(options);
  const express = require('express') as ExpressRouterModule;
  const router = express.Router();
  for (const route of JOB_ROUTES) {
    router[route.method.toLowerCase() as 'get' | 'delete' | 'post'](
      `/${route.path}`,
      (req, res) => void routes.handle(req as Req, jobsRequest(route, req)).then((reply) => sendExpress(res, reply)),
    );
  }
  return router;
}
