import type { IncomingMessage } from 'node:http';
import { SmartAsyncConfigError, viewerOf, type CallOptions } from '../index';
import type { OwnerRule } from './owner';

/** Options of `callOptionsOf()`. */
export interface CallOptionsOfOptions<Req> {
  /** The owner rule, as the jobs routes take it: the jobs a call starts belong to this requester. */
  owner: OwnerRule<Req>;
  /** The response whose closing aborts the inline attempt (Express's `req.res` is found by itself; for Fastify pass `reply.raw`). */
  res?: { once(event: 'close', listener: () => void): unknown };
}

/** Longest `Idempotency-Key` header taken. */
const MAX_KEY = 255;

/**
 * The call options of an HTTP request, for `withCallOptions()` around the decorated call a
 * handler makes: `owner` (the owner rule's answer), `signal` (aborted when the response closes —
 * the client leaving stops the inline attempt only) and `idempotencyKey` (the `Idempotency-Key`
 * header: a client that retries gets the first call's answer, and the work runs once).
 *
 * @throws SmartAsyncConfigError for an `Idempotency-Key` that is empty, repeated or longer than 255 characters (send it with `errorReply`: 400).
 * @example
 * app.post('/reports', async (req, res) => {
 *   try {
 *     const value = await withCallOptions(callOptionsOf(req, { owner: (r) => r.user?.id }), () => reports.build(req.body));
 *     sendExpress(res, httpReply(value, { jobsPath: '/jobs' }));
 *   } catch (e) {
 *     sendExpress(res, errorReply(e));
 *   }
 * });
 */
export function callOptionsOf<Req extends Pick<IncomingMessage, 'headers'>>(req: Req, options: CallOptionsOfOptions<Req>): CallOptions {
  const out: CallOptions = {};
  if (options.owner !== 'none') {
    const owner = viewerOf(options.owner(req)).owner;
    if (owner !== undefined) out.owner = owner;
  }
  const header = req.headers['idempotency-key'];
  if (header !== undefined) {
    if (typeof header !== 'string' || header.length === 0 || header.length > MAX_KEY) {
      throw new SmartAsyncConfigError(`The Idempotency-Key header must be one value of 1 to ${MAX_KEY} characters`);
    }
    out.idempotencyKey = header;
  }
  const traceparent = req.headers.traceparent;
  if (typeof traceparent === 'string' && traceparent.length <= 100) out.traceparent = traceparent; // continued when no span is active
  const res = options.res ?? (req as { res?: CallOptionsOfOptions<Req>['res'] }).res;
  if (res && typeof res.once === 'function') {
    const ac = new AbortController();
    res.once('close', () => ac.abort(new Error('The client closed the request')));
    out.signal = ac.signal;
  }
  return out;
}
