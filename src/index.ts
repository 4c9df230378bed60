import 'reflect-metadata';

export { SmartAsync, SmartAsyncDefaults, type SmartAsyncMethodDecorator, type SmartAsyncClassDecorator } from './decorator/smart-async';
export { JobManager } from './manager/job-manager';
export { jobContext, withCallOptions, type JobContext, type CallOptions } from './manager/job-context';
export { jobStatus } from './manager/job-status';
export type { SmartAsyncLogger } from './manager/job-log';
export { canList, canSee, EVERY_JOB, viewerOf, type Viewer } from './manager/viewer';
export {
  configureSmartAsync,
  smartAsyncContainer,
  currentJobManager,
  bindJobManager,
  jobManagerFor,
  type ConfigureOptions,
} from './manager/configure';
export { getSmartAsyncMetadata, SMART_ASYNC_METADATA, SMART_ASYNC_DEFAULTS } from './decorator/metadata';
export { isJobTicket, SWITCH_MESSAGE } from './job/ticket';
export { JOB_STORE, SMART_ASYNC_CONFIG } from './manager/tokens';
export { DEFAULT_TIMEOUT_MS, type SmartAsyncConfig } from './manager/config';
export { type SmartAsyncOptions, type DurableOptions } from './decorator/options';
export { formatDuration, parseEnvDuration } from './common/durations';
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
  claimPatch,
  expiryPatch,
  expectParts,
  withdrawnPatch,
} from './job/lifecycle';
// The store kit: everything a store needs from the core (the Redis store uses nothing else).
export {
  emptyCounts,
  notifyWatchers,
  MalformedRecords,
  hasLeases,
  hasClaims,
  holdsScope,
  type JobStore,
  type JobQuery,
  type PruneQuery,
  type JobLease,
  type LeasedJobStore,
  type ClaimingJobStore,
} from './stores/job-store';
export { JobIndex, matchesQuery, pickClaims, isClaimable } from './stores/job-index';
export { jobRecordSchema, parseJobRecord } from './job/record-schema';
export { isoTime } from './common/clock';
export { toJsonResult } from './job/serialise';
export { warningSinkSchema, emitSmartAsyncWarning, parseOrThrow, type WarningSink } from './common/validation';
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
  ArgsNotSerialisableError,
  JobHandedBackError,
  JobRejectedError,
  IdempotencyKeyReusedError,
  type SmartAsyncErrorCode,
  type SmartAsyncErrorOptions,
} from './common/errors';
export type {
  JobStatus,
  JobRecord,
  JobPatch,
  JobError,
  JobProgress,
  JobTicket,
  SmartResult,
  DurableCall,
  AttemptRecord,
  JobExpect,
  DurableLaunch,
  BackoffOptions,
  IdempotencyRecord,
  LaunchOptions,
  JobFilter,
  OwnerOptions,
  HealthReport,
  JobEvent,
} from './job/types';
