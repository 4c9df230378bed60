/**
 * Stable error codes. Every error smart-async throws carries one of these in `code`.
 */
export type SmartAsyncErrorCode =
  | 'SMART_ASYNC_CONFIG'
  | 'JOB_NOT_FOUND'
  | 'JOB_WAIT_TIMEOUT'
  | 'JOB_CANCELLED'
  | 'STORE_CORRUPT'
  | 'STORE_UNAVAILABLE'
  | 'RESULT_NOT_SERIALISABLE'
  | 'JOB_STALE'
  | 'ARGS_NOT_SERIALISABLE'
  | 'JOB_HANDED_BACK'
  | 'JOB_REJECTED'
  | 'IDEMPOTENCY_KEY_REUSED';

/**
 * Options of the errors' constructors: the standard `cause` (declared here rather than through
 * the ES2022 lib's `ErrorOptions`, so the types compile on an ES2021 target too).
 */
export interface SmartAsyncErrorOptions {
  /** The error that led to this one. */
  cause?: unknown;
}

/**
 * Base class of every error smart-async throws. Switch on `code`, which is stable across
 * versions; `message` is for people.
 *
 * @example
 * try { await manager.status(id); } catch (e) { if (e instanceof SmartAsyncError && e.code === 'JOB_NOT_FOUND') … }
 */
export class SmartAsyncError extends Error {
  /** Stable, machine-readable error code. */
  readonly code: SmartAsyncErrorCode;

  /**
   * @param code stable error code
   * @param message human-readable explanation
   * @param options `{ cause }`
   */
  constructor(code: SmartAsyncErrorCode, message: string, options?: SmartAsyncErrorOptions) {
    super(message, options as ErrorOptions);
    this.code = code;
    this.name = new.target.name;
    Error.captureStackTrace?.(this, new.target);
  }
}

/** Bad decorator options, call options, configuration or environment variable value. */
export class SmartAsyncConfigError extends SmartAsyncError {
  /** @param message what was expected and what came */
  constructor(message: string, options?: SmartAsyncErrorOptions) {
    super('SMART_ASYNC_CONFIG', message, options);
  }
}

/** The job id is unknown, or belongs to another owner. */
export class JobNotFoundError extends SmartAsyncError {
  /** The id that was asked for. */
  readonly jobId: string;
  /** @param jobId the id that was asked for */
  constructor(jobId: string) {
    super('JOB_NOT_FOUND', `Job \`${jobId}\` not found`);
    this.jobId = jobId;
  }
}

/** `JobManager.wait()` gave up before the job settled. The job itself goes on. */
export class JobWaitTimeoutError extends SmartAsyncError {
  /** The job that was waited for. */
  readonly jobId: string;
  /** @param jobId the job waited for @param timeoutMs how long the wait lasted */
  constructor(jobId: string, timeoutMs: number) {
    super('JOB_WAIT_TIMEOUT', `Job \`${jobId}\` did not settle within ${timeoutMs} ms`);
    this.jobId = jobId;
  }
}

/**
 * The reason a job's `AbortSignal` carries when the job is cancelled or the manager shuts
 * down; `signal.throwIfAborted()` inside the work throws it.
 */
export class JobCancelledError extends SmartAsyncError {
  /** @param message why the job was stopped */
  constructor(message = 'Job cancelled') {
    super('JOB_CANCELLED', message);
  }
}

/** A store's data (file, Redis value) is malformed. Nothing valid is dropped because of it. */
export class StoreCorruptError extends SmartAsyncError {
  /** @param message what is wrong and where the bad data was kept */
  constructor(message: string, options?: SmartAsyncErrorOptions) {
    super('STORE_CORRUPT', message, options);
  }
}

/** The store cannot be reached (Redis down, file not writable) or the manager is closed. */
export class StoreUnavailableError extends SmartAsyncError {
  /** @param message what could not be reached */
  constructor(message: string, options?: SmartAsyncErrorOptions) {
    super('STORE_UNAVAILABLE', message, options);
  }
}

/** A background job's result cannot be stored as JSON (BigInt, circular, function). */
export class ResultNotSerialisableError extends SmartAsyncError {
  /** @param message what in the result is not JSON */
  constructor(message: string, options?: SmartAsyncErrorOptions) {
    super('RESULT_NOT_SERIALISABLE', message, options);
  }
}

/**
 * The process that ran a job stopped renewing its lease (it died, restarted, or lost the store
 * for longer than the lease) before the job settled. It is the `error` of a `stale` record
 * (`{ name: 'StaleJobError', code: 'JOB_STALE', message }`) and the reason the work's signal
 * carries when its process learns that its job went stale: its late outcome is not written.
 */
export class StaleJobError extends SmartAsyncError {
  /** @param message why the job went stale */
  constructor(message = 'The process running this job stopped before it settled') {
    super('JOB_STALE', message);
  }
}

/** A durable call's arguments would not survive JSON (a `Date`, a `Map`, `undefined`, a class instance, …): refused before any work starts. */
export class ArgsNotSerialisableError extends SmartAsyncError {
  /** @param message which argument, where, and what it is */
  constructor(message: string) {
    super('ARGS_NOT_SERIALISABLE', message);
  }
}

/**
 * The reason a durable job's work is aborted when `close()` hands it back (it runs again in
 * whichever manager claims it next; the attempt is not counted).
 */
export class JobHandedBackError extends SmartAsyncError {
  /** @param message why */
  constructor(message = 'The process is shutting down: the job was handed back to run elsewhere') {
    super('JOB_HANDED_BACK', message);
  }
}

/** A call refused at the door: more calls wait for a slot than `SMART_ASYNC_CONFIG.concurrency.queue` allows (HTTP 429). Nothing was started or stored. */
export class JobRejectedError extends SmartAsyncError {
  /** @param message why */
  constructor(message: string) {
    super('JOB_REJECTED', message);
  }
}

/** The same idempotency key came with other arguments (HTTP 422): the first call's job is untouched, nothing was started. */
export class IdempotencyKeyReusedError extends SmartAsyncError {
  /** @param message which key */
  constructor(message: string) {
    super('IDEMPOTENCY_KEY_REUSED', message);
  }
}
