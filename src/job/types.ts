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
}

/** The fields of a record that change over its life. */
export type JobPatch = Partial<Pick<JobRecord, 'status' | 'started_at' | 'completed_at' | 'result' | 'error' | 'progress'>>;

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
}

/** Events a `JobManager` emits. */
export type JobEvent = 'created' | 'updated' | 'settled';
