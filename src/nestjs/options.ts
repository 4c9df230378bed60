import type { JobStore, SmartAsyncConfig } from '../index';

/** Options of `SmartAsyncModule.forRoot()` (or what `forRootAsync`'s factory returns). */
export interface SmartAsyncModuleOptions {
  /** The app's job store. @default a new MemoryJobStore */
  store?: JobStore;
  /** The app's manager settings (`SMART_ASYNC_CONFIG`). @default {} */
  config?: SmartAsyncConfig;
  /**
   * Who is asking, for the jobs routes (required with `jobsPath`): the requester's id from the
   * request (Express `Request` or Fastify `FastifyRequest`), or `'none'` to expose every job.
   */
  owner?: ((req: never) => string | undefined) | 'none';
  /** `Retry-After` (seconds) on 202s and while a job is active. @default 2 */
  retryAfterSeconds?: number;
}

/** Injection token of the module's options. */
export const SMART_ASYNC_MODULE_OPTIONS = Symbol.for('smart-async:nest-module-options');
