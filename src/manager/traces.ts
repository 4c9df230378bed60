/**
 * @internal What the manager's collaborators see of a call's telemetry: opaque (no OpenTelemetry
 * type here, so the library's declarations never need `@opentelemetry/api`, an optional peer).
 */
export interface CallTrace {
  /** The context the work runs in (an OpenTelemetry `Context`). */
  readonly context: unknown;
  /** Ends the call span: `inline` (a value), `ticket`, or `error`. */
  end(outcome: 'inline' | 'ticket' | 'error', jobId?: string, error?: unknown): void;
  /** The call span's context as a W3C traceparent, kept in the record so a later attempt elsewhere links to it. */
  traceparent(): string;
  /** At the switch: the job span of the first attempt, a child of the call span; the work's spans go under it from now on. */
  switched(jobId: string, attempt: number): JobTrace;
}

/** @internal An attempt's job span. */
export interface JobTrace {
  end(status: string, error?: unknown): void;
}
