import 'reflect-metadata';

export { SmartAsync, SmartAsyncDefaults, type SmartAsyncMethodDecorator, type SmartAsyncClassDecorator } from './smart-async';
export { JobManager } from './job-manager';
export { jobContext, withCallOptions, type JobContext, type CallOptions } from './job-context';
export { jobStatus } from './job-status';
export { configureSmartAsync, smartAsyncContainer, currentJobManager, bindJobManager, jobManagerFor, type ConfigureOptions } from './configure';
export { getSmartAsyncMetadata, SMART_ASYNC_METADATA, SMART_ASYNC_DEFAULTS } from './metadata';
export { isJobTicket, SWITCH_MESSAGE } from './ticket';
export { JOB_STORE, SMART_ASYNC_CONFIG } from './tokens';
export { DEFAULT_TIMEOUT_MS, type SmartAsyncOptions, type SmartAsyncConfig } from './options';
export { formatDuration, parseEnvDuration } from './durations';
export { MemoryJobStore } from './stores/memory-job-store';
export { FileJobStore, type FileJobStoreOptions } from './stores/file-job-store';
export {
  JOB_STATUSES,
  ACTIVE_STATUSES,
  FINAL_STATUSES,
  SETTLED_STATUSES,
  TRANSITIONS,
  isActive,
  isFinal,
  canTransition,
  canApply,
  applyPatch,
  startPatch,
  completedPatch,
  failedPatch,
  cancelPatch,
  stalePatch,
  staleError,
  toJobError,
} from './lifecycle';
// The store kit: everything a store needs from the core (the Redis store uses nothing else).
export { emptyCounts, notifyWatchers, hasLeases, type JobStore, type JobQuery, type PruneQuery, type JobLease, type LeasedJobStore } from './stores/job-store';
export { JobIndex, matchesQuery } from './stores/job-index';
export { jobRecordSchema, parseJobRecord } from './stores/record-schema';
export { isoTime } from './clock';
// HTTP without a framework: the reply of the request-reply pattern and the jobs routes (smart-async/http adapts them to Express and Fastify).
export { httpReply, errorReply, activeHeaders, type HttpReply, type HttpReplyOptions } from './http-reply';
export { JobRoutes, type JobRoutesOptions, type JobsRequest } from './job-routes';
export { dashboardHandler, type DashboardHandler, type DashboardOptions } from './dashboard';
export { toJsonResult } from './serialise';
export { warningSinkSchema, emitSmartAsyncWarning, parseOrThrow, type WarningSink } from './options';
export {
  SmartAsyncError,
  SmartAsyncConfigError,
  JobNotFoundError,
  JobWaitTimeoutError,
  JobCancelledError,
  StaleJobError,
  StoreCorruptError,
  StoreUnavailableError,
  ResultNotSerialisableError,
  type SmartAsyncErrorCode,
  type SmartAsyncErrorOptions,
} from './errors';
export type {
  JobStatus,
  JobRecord,
  JobPatch,
  JobError,
  JobProgress,
  JobTicket,
  SmartResult,
  LaunchOptions,
  JobFilter,
  OwnerOptions,
  HealthReport,
  JobEvent,
} from './types';
