import { sendExpress, sendFastify, type ExpressLikeResponse, type FastifyLikeReply, type HttpReply } from '../http';

/** An Express response or a Fastify reply, whichever the Nest platform gives. */
interface ExpressResponse {
  status(code: number): unknown;
  set(headers: Record<string, string>): unknown;
  json(body: unknown): unknown;
}
interface FastifyReply {
  code(code: number): unknown;
  header(name: string, value: string): unknown;
}

const isExpress = (res: unknown): res is ExpressResponse =>
  typeof (res as ExpressResponse).status === 'function' && typeof (res as ExpressResponse).json === 'function';

/** @internal Sends a reply through the platform's response: `smart-async/http`'s sender for Express or for Fastify. */
export function send(res: unknown, reply: HttpReply): void {
  if (isExpress(res)) sendExpress(res as ExpressLikeResponse, reply);
  else sendFastify(res as FastifyLikeReply, reply);
}

/**
 * @internal Sets a status and headers that Nest's own reply (which sets the handler's default
 * status again) keeps: the response answers every later status call with this one.
 */
export function pinStatus(res: unknown, status: number, headers: Record<string, string>): void {
  if (isExpress(res)) {
    res.set(headers);
    const setStatus = res.status.bind(res);
    setStatus(status);
    res.status = () => setStatus(status);
    return;
  }
  const r = res as FastifyReply;
  for (const [k, v] of Object.entries(headers)) r.header(k, v);
  const setCode = r.code.bind(r);
  setCode(status);
  r.code = () => setCode(status);
}
