import 'reflect-metadata';

export { SmartAsync, SmartAsyncDefaults, type SmartAsyncMethodDecorator, type SmartAsyncClassDecorator } from './smart-async';
export { JobManager } from './job-manager';
export { jobContext, withCallOptions, type JobContext, type CallOptions } from './job-context';
export { jobStatus } from './job-status';
export { configureSmartAsync, smartAsyncContainer, type ConfigureOptions } from './configure';
export { getSmartAsyncMetadata, SMART_ASYNC_METADATA, SMART_ASYNC_DEFAULTS } from './metadata';
export { isJobTicket, SWITCH_MESSAGE } from './ticket';
export { JOB_STORE, SMART_ASYNC_CONFIG } from './tokens';
export { DEFAULT_TIMEOUT_MS, type SmartAsyncOptions, type SmartAsyncConfig } from './options';
export { parseEnvDuration } from './durations';
export { MemoryJobStore } from './stores/memory-job-store';
export { FileJobStore, type FileJobStoreOptions } from './stores/file-job-store';
export { jobRecordSchema } from './stores/record-schema';
export { emptyCounts, type JobStore, type JobQuery, type PruneQuery } from './stores/job-store';
export {
  SmartAsyncError,
  SmartAsyncConfigError,
  JobNotFoundError,
  JobWaitTimeoutError,
  JobCancelledError,
  StoreCorruptError,
  StoreUnavailableError,
  ResultNotSerialisableError,
  type SmartAsyncErrorCode,
} from './errors';
export {
  JOB_STATUSES,
  ACTIVE_STATUSES,
  SETTLED_STATUSES,
  type JobStatus,
  type JobRecord,
  type JobPatch,
  type JobError,
  type JobProgress,
  type JobTicket,
  type SmartResult,
  type LaunchOptions,
  type JobFilter,
  type OwnerOptions,
  type HealthReport,
  type JobEvent,
} from './types';
