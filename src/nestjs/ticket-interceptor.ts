import { HttpException, Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { catchError, map, throwError, type Observable } from 'rxjs';
import type { IncomingMessage } from 'node:http';
import { isJobTicket, SmartAsyncError, withCallOptions, type CallOptions } from '../index';
import { callOptionsOf, errorReply, httpReply } from '../http';
import { pinStatus } from './http-response';
import { SMART_ASYNC_MODULE_OPTIONS, type SmartAsyncModuleOptions } from './options';

/** Path of the jobs routes, for `Location` (`null` when the module serves none). */
export const SMART_ASYNC_JOBS_PATH = Symbol.for('smart-async:nest-jobs-path');

interface Closable {
  once(event: 'close', listener: () => void): unknown;
}

/**
 * Installed app-wide by `SmartAsyncModule`. Around each HTTP handler it sets the call options of
 * the decorated calls the handler makes: `owner` from the module's owner rule, and the request's
 * signal (the client going away stops the inline attempt only). With `jobsPath`, it turns a
 * handler's ticket into `202 Accepted` + `Location: <jobsPath>/<job_id>` + `Retry-After`; a
 * handler's own value is untouched.
 */
export class SmartAsyncTicketInterceptor implements NestInterceptor {
  constructor(
    private readonly jobsPath: string | null,
    private readonly options: SmartAsyncModuleOptions,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const http = context.switchToHttp();
    const res = http.getResponse<{ raw?: Closable } & Closable>();
    const rule = this.options.owner;
    // The owner rule, the Idempotency-Key header and the response's signal as smart-async/http reads them for any handler.
    let options: CallOptions;
    try {
      const { traceparent: _traceparent, ...read } = callOptionsOf(http.getRequest<Pick<IncomingMessage, 'headers'>>(), {
        owner: typeof rule === 'function' ? (rule as (req: unknown) => string | undefined) : 'none',
        res: res.raw ?? res,
      });
      options = read;
    } catch (e) {
      const reply = errorReply(e, this.options.retryAfterSeconds);
      return throwError(() => new HttpException(reply.body as Record<string, unknown>, reply.status));
    }
    // The handler runs inside these options: Nest binds its async context where handle() is called.
    const handled = withCallOptions(options, () => next.handle()).pipe(
      // The library's errors answer as the jobs routes do (SMART_ASYNC_CONFIG → 400, STORE_UNAVAILABLE → 503
      // with Retry-After, …, body { error: { code, message } }); anything else is left to Nest.
      catchError((e: unknown) => {
        if (!(e instanceof SmartAsyncError)) return throwError(() => e);
        const reply = errorReply(e, this.options.retryAfterSeconds);
        pinStatus(res, reply.status, reply.headers);
        return throwError(() => new HttpException(reply.body as Record<string, unknown>, reply.status, { cause: e }));
      }),
    );
    if (this.jobsPath === null) return handled;
    const jobsPath = this.jobsPath;
    return handled.pipe(
      map((value: unknown) => {
        if (!isJobTicket(value)) return value;
        const reply = httpReply(value, { jobsPath, retryAfterSeconds: this.options.retryAfterSeconds });
        pinStatus(res, reply.status, reply.headers);
        return value;
      }),
    );
  }
}
Inject(SMART_ASYNC_JOBS_PATH)(SmartAsyncTicketInterceptor, undefined as never, 0);
Inject(SMART_ASYNC_MODULE_OPTIONS)(SmartAsyncTicketInterceptor, undefined as never, 1);
Injectable()(SmartAsyncTicketInterceptor);
