/**
 * `smart-async/nestjs`: a global Nest module that provides the app's `JobManager` (the one its
 * `@SmartAsync()` methods use), serves the jobs routes and answers tickets with `202`.
 * Needs `@nestjs/common`, `@nestjs/core` and `rxjs` (optional peers).
 */
export { SmartAsyncModule, type SmartAsyncModuleAsyncOptions } from './smart-async.module';
export { SmartAsyncTicketInterceptor, SMART_ASYNC_JOBS_PATH } from './ticket-interceptor';
export { SMART_ASYNC_MODULE_OPTIONS, type SmartAsyncModuleOptions } from './options';
