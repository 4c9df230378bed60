import type { ServerResponse } from 'node:http';
import { SmartAsyncError, isFinal, isJobTicket, toJsonResult, type JobRecord } from '../index';

/** What an HTTP response should be: status, headers and a JSON body. */
export interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Options of `httpReply()`. */
export interface HttpReplyOptions {
  /** Where the jobs routes are mounted (e.g. `/jobs`): a ticket's `Location` is `<jobsPath>/<job_id>`. */
  jobsPath: string;
  /** `Retry-After` (seconds) suggested while a job is active. @default 2 */
  retryAfterSeconds?: number;
}

const DEFAULT_RETRY_AFTER = 2;

/**
 * The asynchronous request-reply pattern: a method's own value is `200` with that value; a
 * ticket is `202 Accepted` with `Location: <jobsPath>/<job_id>` and `Retry-After`, the ticket as body.
 *
 * @example
 * app.post('/reports', async (req, res) => {
 *   const r = httpReply(await reports.build(req.body), { jobsPath: '/jobs' });
 *   res.status(r.status).set(r.headers).json(r.body);
 * });
 */
export function httpReply(value: unknown, options: HttpReplyOptions): HttpReply {
  if (isJobTicket(value)) {
    return {
      status: 202,
      headers: {
        location: `${options.jobsPath.replace(/\/+$/, '')}/${value.job_id}`,
        'retry-after': String(options.retryAfterSeconds ?? DEFAULT_RETRY_AFTER),
      },
      body: value,
    };
  }
  return { status: 200, headers: {}, body: toJsonResult(value) };
}

/** HTTP status of each error code (anything else is 500). */
const STATUS_OF: Record<string, number> = {
  JOB_NOT_FOUND: 404,
  SMART_ASYNC_CONFIG: 400,
  STORE_UNAVAILABLE: 503,
  STORE_CORRUPT: 500,
  IDEMPOTENCY_KEY_REUSED: 422,
  ARGS_NOT_SERIALISABLE: 400,
  JOB_REJECTED: 429,
};

/**
 * An error as `{ error: { code, message } }` with its status: `JOB_NOT_FOUND` → 404,
 * `SMART_ASYNC_CONFIG` → 400, `STORE_UNAVAILABLE` → 503 (with `Retry-After`), else 500 (an
 * error that is not the library's says only "Internal error": nothing internal leaks).
 */
export function errorReply(error: unknown, retryAfterSeconds = DEFAULT_RETRY_AFTER): HttpReply {
  if (error instanceof SmartAsyncError) {
    const status = STATUS_OF[error.code] ?? 500;
    return {
      status,
      headers: status === 503 || status === 429 ? { 'retry-after': String(retryAfterSeconds) } : {},
      body: { error: { code: error.code, message: error.message } },
    };
  }
  return { status: 500, headers: {}, body: { error: { code: 'INTERNAL', message: 'Internal error' } } };
}

/** `Retry-After` (seconds) while a job is active, none once it is final. */
export function activeHeaders(job: JobRecord, retryAfterSeconds: number): Record<string, string> {
  return isFinal(job.status) ? {} : { 'retry-after': String(retryAfterSeconds) };
}

/** Sends a reply through a bare Node response (`node:http`; the dashboard's sender): JSON, never cached. */
export function sendNode(res: ServerResponse, reply: HttpReply): void {
  res.writeHead(reply.status, { ...reply.headers, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(reply.body));
}
