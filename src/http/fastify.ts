import type { HttpReply } from './reply';
import { JOB_ROUTES, jobsRequest, JobRoutes, type JobRoutesOptions } from './routes';

/** What the plugin needs of a request: Fastify's `FastifyRequest` (4 or 5) is one. Structural: no `fastify` types needed. */
export interface FastifyLikeRequest {
  method: string;
  params: unknown;
  query: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** What it needs of a reply: Fastify's `FastifyReply` is one. */
export interface FastifyLikeReply {
  code(status: number): FastifyLikeReply;
  headers(values: Record<string, string>): FastifyLikeReply;
  send(body: unknown): FastifyLikeReply;
}

/** What it needs of the instance it is registered on. */
export interface FastifyLikeInstance {
  get(path: string, handler: (req: FastifyLikeRequest, reply: FastifyLikeReply) => Promise<unknown>): unknown;
  delete(path: string, handler: (req: FastifyLikeRequest, reply: FastifyLikeReply) => Promise<unknown>): unknown;
  post(path: string, handler: (req: FastifyLikeRequest, reply: FastifyLikeReply) => Promise<unknown>): unknown;
}

/** Sends a reply (`httpReply()`'s or an error's) through a Fastify reply. */
export function sendFastify(reply: FastifyLikeReply, r: HttpReply): FastifyLikeReply {
  return reply.code(r.status).headers(r.headers).send(r.body);
}

/**
 * A Fastify plugin (Fastify 4 or 5) serving the jobs API under the prefix it is registered
 * with: the same routes, codes and options as `expressJobs()`.
 *
 * @throws SmartAsyncConfigError (at registration) without an owner rule.
 * @example
 * await app.register(fastifyJobs, { prefix: '/jobs', owner: (req) => String(req.headers['x-user'] ?? '') || undefined });
 */
export async function fastifyJobs<Req extends FastifyLikeRequest = FastifyLikeRequest>(
  fastify: FastifyLikeInstance,
  options: JobRoutesOptions<Req>,
): Promise<void> {
  const routes = new JobRoutes<Req>(options);
  for (const route of JOB_ROUTES) {
    fastify[route.method.toLowerCase() as 'get' | 'delete' | 'post'](`/${route.path}`, async (req, reply) =>
      sendFastify(reply, await routes.handle(req as Req, jobsRequest(route, req))),
    );
  }
}
