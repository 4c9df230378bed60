/** Where a job is in its life. `stale`: the process running it died before it settled. */
export type JobStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'stale';

/** A job's error, as stored: plain JSON. */
export interface JobError {
  /** The error's `name`, e.g. `"TypeError"`. */
  name: string;
  /** The error's `message`. */
  message: string;
  /** The error's `code`, when it had a string one. */
  code?: string;
}

/** Last progress reported through `jobContext().reportProgress()`. */
export interface JobProgress {
  /** Units done. */
  current: number;
  /** Units in all, when known. */
  total?: number;
  /** What is happening now. */
  message?: string;
}

/** A job as stored and returned: JSON, with the seed's field names. Timestamps are ISO-8601 UTC. */
export interface JobRecord {
  /** Random UUID. */
  id: string;
  /** Human label, default `"ClassName.methodName"`. */
  label: string;
  /** Current status. */
  status: JobStatus;
  /** When the job record was created. */
  created_at: string;
  /** When the work started (for a switched call: when the inline attempt started). */
  started_at: string | null;
  /** When the job settled. */
  completed_at: string | null;
  /** Last change of the record. */
  updated_at: string;
  /** The work's JSON result; `null` until completed. */
  result: unknown;
  /** Why the job failed, was cancelled or went stale. */
  error: JobError | null;
  /** Last progress report. */
  progress: JobProgress | null;
  /** Who may see the job; absent for jobs anyone with the id may see. */
  owner?: string;
  /** A durable job's call, stored as data so any process that knows the method can run it again. */
  call?: DurableCall;
  /** A durable job: the current (or last) attempt, 1-based. */
  attempt?: number;
  /** A durable job: how many attempts it may have in all. */
  max_attempts?: number;
  /** A pending durable job: the earliest time its next attempt may start. */
  run_at?: string | null;
  /** A durable job: every attempt that ended before the current one, with its outcome. */
  history?: AttemptRecord[];
  /** A durable job: the JSON results of its completed steps (`jobContext().step()`), by name. */
  steps?: Record<string, unknown>;
  /** A job started by `retry()`: the id of the job it retries. */
  retry_of?: string;
  /** The trace context of the call that made the job (W3C `traceparent`): a later attempt elsewhere links to it. */
  trace?: { traceparent: string };
  /** A call made with an idempotency key: the key, its scope (owner and label, hashed) and the arguments' fingerprint. */
  idempotency?: IdempotencyRecord;
}

/** What a job made by a call with an idempotency key keeps of it. */
export interface IdempotencyRecord {
  /** The key, as given. */
  key: string;
  /** What the store keys it by: the owner, the label (or durable name) and the key, hashed. */
  scope: string;
  /** A hash of the call's arguments: the same key with other arguments is refused. */
  fingerprint: string;
}

/** A durable method's call as data: its durable name and its arguments as JSON. */
export interface DurableCall {
  /** The method's durable name (`"ClassName.methodName"` unless named). */
  target: string;
  /** The arguments, as JSON. */
  args: unknown[];
}

/** An attempt of a durable job that ended before the current one. */
export interface AttemptRecord {
  /** 1-based. */
  attempt: number;
  /** How it ended: `failed` (it threw) or `stale` (its run was lost: its process died or its lease expired). */
  status: 'failed' | 'stale';
  /** Why. */
  error: JobError | null;
  /** When it started. */
  started_at: string | null;
  /** When it ended. */
  ended_at: string;
}

/** The fields of a record that change over its life. */
export type JobPatch = Partial<
  Pick<JobRecord, 'status' | 'started_at' | 'completed_at' | 'result' | 'error' | 'progress' | 'attempt' | 'run_at' | 'history' | 'steps'>
>;

/**
 * What an update expects of the current record: its status is one of these (a list), or, as an
 * object, also its `attempt` (the fencing token of a durable job's run: only the current run's
 * writes land).
 */
export type JobExpect = readonly JobStatus[] | { readonly statuses?: readonly JobStatus[]; readonly attempt?: number };

/** What a caller gets instead of the result when the work goes to the background. JSON-serialisable. */
export interface JobTicket {
  /** Id to poll with `JobManager.status()` / `job_status`. */
  job_id: string;
  /** `running` after a budget switch, `pending` in explicit async mode. */
  status: 'running' | 'pending';
  /** For `running`: "Task exceeded time budget; running in background". */
  message?: string;
}

/** What a decorated method resolves to: its own value, or a ticket. Declare methods as `Promise<SmartResult<T>>`. */
export type SmartResult<T> = T | JobTicket;

/** Options of one `JobManager.launch()`. */
export interface LaunchOptions {
  /** Job label. */
  label: string;
  /** Budget of the inline attempt in ms; default `SMART_ASYNC_CONFIG.defaultTimeoutMs`, else 50 000. */
  timeoutMs?: number;
  /** Skip the inline attempt: create a `pending` job and return its ticket at once. */
  asyncMode?: boolean;
  /** Owner of the job, if it becomes one. */
  owner?: string;
  /**
   * The caller's signal (an HTTP or MCP request's): it aborts the inline attempt (the call rejects
   * with its reason and the work's signal is aborted). Once the call has become a job, it no
   * longer touches it: only `cancel()` stops a job.
   */
  signal?: AbortSignal;
  /** Called with every progress report of the work (synchronously; keep it cheap). */
  onProgress?: (progress: JobProgress) => void;
  /** Makes the job durable: its call is stored, and a lost or failed run is run again (the decorator fills it from `durable`). */
  durable?: DurableLaunch;
  /** An idempotency key: one run per key (scoped by owner and label) while active and for `idempotencyTtlMs` after. */
  idempotencyKey?: string;
  /** The arguments' fingerprint for the key (the same key with other arguments is refused); the decorator fills it. */
  fingerprint?: string;
  /** A W3C `traceparent` to continue when no span is active (OpenTelemetry). */
  traceparent?: string;
}

/** How a durable call is kept and retried (`LaunchOptions.durable`). */
export interface DurableLaunch {
  /** The call as data (arguments checked: they must round-trip through JSON). */
  call: DurableCall;
  /** Attempts in all (every run counts). */
  attempts: number;
  /** Delay before a retry after a thrown error. */
  backoff: BackoffOptions;
  /** Whether a thrown error is retried (default: any error but a cancellation). */
  retryOn?: (error: unknown) => boolean;
}

/** Exponential backoff: the n-th retry waits `initialMs · factor^(n-1)`, at most `maxMs`, with jitter that never shortens it below half. */
export interface BackoffOptions {
  /** @default 1000 */
  initialMs: number;
  /** @default 2 */
  factor: number;
  /** @default 300000 */
  maxMs: number;
}

/** Filter of `JobManager.list()`. */
export interface JobFilter {
  /** One status or several. */
  status?: JobStatus | JobStatus[];
  /** Exact label. */
  label?: string;
  /** Only this owner's jobs. */
  owner?: string;
  /** At most this many, newest first. */
  limit?: number;
}

/** Options of `JobManager.get()`, `status()`, `cancel()` and `wait()`. */
export interface OwnerOptions {
  /** When set, a job of another owner behaves as if it did not exist. */
  owner?: string;
}

/** What `JobManager.health()` reports. */
export interface HealthReport {
  /** `ok`, or `unavailable` when the store could not be read. */
  status: 'ok' | 'unavailable';
  /** The store's kind: `memory`, `file`, `redis` or a custom store's own. */
  store: string;
  /** Jobs per status in the store. */
  counts: Record<JobStatus, number>;
  /** Jobs in the store. */
  total: number;
  /** Jobs whose work runs in this process now. */
  running_here: number;
  /** The oldest job still pending or running in this process, with a human-readable age. */
  oldest_active: { id: string; label: string; age: string } | null;
  /** How long this manager has been up, human-readable ("3m 12s"). */
  uptime: string;
  /** When the report was made. */
  checked_at: string;
  /** Why the store is unavailable. */
  error?: string;
  /** Admission, when `concurrency` sets a limit: calls running and waiting for a slot now, calls refused since start, and the limits. */
  admission?: { running: number; waiting: number; refused: number; max: number | null; perOwner: number | null; queue: number | null };
  /** Durable jobs due for a while that no process has claimed (their method is known nowhere, or every process that knows it is down). */
  unclaimed?: number;
  /** Their durable names. */
  unclaimed_targets?: string[];
}

/** Events a `JobManager` emits. */
export type JobEvent = 'created' | 'updated' | 'settled';
