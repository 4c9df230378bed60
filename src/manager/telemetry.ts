import type { Attributes, Context, Counter, Histogram, Span, SpanContext, Tracer, UpDownCounter } from '@opentelemetry/api';
import type { CallTrace, JobTrace } from './traces';

/** `@opentelemetry/api`, when installed (an optional peer): loaded once, on first use. */
type Api = typeof import('@opentelemetry/api');
let loaded: Api | null | undefined;
function api(): Api | null {
  if (loaded === undefined) {
    try {
      loaded = require('@opentelemetry/api') as Api;
    } catch {
      loaded = null; // not installed: nothing is traced, nothing costs
    }
  }
  return loaded;
}

/** How often whether a provider was registered is looked at again (an app may register one after the manager exists). */
const RECHECK_MS = 1_000;

interface Instruments {
  calls: Counter;
  settled: Counter;
  duration: Histogram;
  active: UpDownCounter;
  store: Histogram;
}

/**
 * @internal The span a call's work sees as its parent: the call span until the switch, the job
 * span after it, so spans the work starts after the switch nest under the job span.
 */
function switchingSpan(first: Span): Span & { target: Span } {
  const s = {
    target: first,
    spanContext: (): SpanContext => s.target.spanContext(),
    setAttribute: (k: string, v: never) => (s.target.setAttribute(k, v), s),
    setAttributes: (a: Attributes) => (s.target.setAttributes(a), s),
    addEvent: (...args: never[]) => ((s.target.addEvent as (...a: never[]) => unknown)(...args), s),
    addLink: (l: never) => (s.target.addLink(l), s),
    addLinks: (l: never) => (s.target.addLinks(l), s),
    setStatus: (st: never) => (s.target.setStatus(st), s),
    updateName: (n: string) => (s.target.updateName(n), s),
    end: (t?: never) => s.target.end(t),
    isRecording: () => s.target.isRecording(),
    recordException: (e: never, t?: never) => s.target.recordException(e, t),
  };
  return s as unknown as Span & { target: Span };
}

const NO_JOB: JobTrace = { end: () => undefined };

/**
 * @internal A manager's OpenTelemetry: when `@opentelemetry/api` is installed and the app has
 * registered a tracer or meter provider, a span per call (`smart_async.call <label>`) and per
 * background attempt (`smart_async.job <label>`), and the `smart_async.*` metrics; otherwise
 * nothing is created and each call costs one timestamp check.
 */
export class Telemetry {
  private on = false;
  private tracer: Tracer | undefined;
  private instruments: Instruments | undefined;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly warn: (message: string, e?: unknown) => void) {
    // Whether a provider is registered is looked at now and every second (an app may register one
    // later), off the call path: a call only reads a boolean.
    if (!api()) return;
    this.recheck();
    this.timer = setInterval(() => this.recheck(), RECHECK_MS);
    this.timer.unref();
  }

  /** Whether a provider is registered. */
  enabled(): boolean {
    return this.on;
  }

  /** Stops looking for a provider (the manager closed). */
  stop(): void {
    clearInterval(this.timer);
  }

  private recheck(): boolean {
    const a = api();
    if (!a) return (this.on = false);
    try {
      const tp = a.trace.getTracerProvider() as { getDelegate?: () => object };
      const delegate = tp.getDelegate?.() ?? tp;
      const traced = delegate.constructor.name !== 'NoopTracerProvider';
      const metered = a.metrics.getMeterProvider().constructor.name !== 'NoopMeterProvider';
      this.on = traced || metered;
      if (this.on && !this.tracer) {
        this.tracer = a.trace.getTracer('smart-async');
        const meter = a.metrics.getMeter('smart-async');
        this.instruments = {
          calls: meter.createCounter('smart_async.calls', { description: 'Decorated calls, by outcome (inline, ticket, error)' }),
          settled: meter.createCounter('smart_async.jobs.settled', { description: 'Jobs this manager settled, by status' }),
          duration: meter.createHistogram('smart_async.job.duration', {
            unit: 's',
            description: 'From a job’s start to its outcome, by status',
          }),
          active: meter.createUpDownCounter('smart_async.jobs.active', {
            description: 'Jobs pending or running in this manager, by status',
          }),
          store: meter.createHistogram('smart_async.store.duration', { unit: 's', description: 'Store calls, by operation' }),
        };
      }
    } catch (e) {
      this.on = false;
      this.warn('OpenTelemetry could not be set up; telemetry is off', e);
    }
    return this.on;
  }

  /** The telemetry of a call, or `undefined` when off. Never throws. */
  call(label: string, traceparent?: string): CallTrace | undefined {
    if (!this.enabled()) return undefined;
    return this.guard(() => this.startCall(label, traceparent));
  }

  /** A job span for an attempt run here that began elsewhere (claimed): a new trace linked to the call's. */
  claimed(
    label: string,
    jobId: string,
    attempt: number,
    traceparent: string | undefined,
  ): { trace: JobTrace; context: Context | undefined } {
    if (!this.enabled()) return { trace: NO_JOB, context: undefined };
    return (
      this.guard(() => {
        const a = api()!;
        const link = traceparent ? parseTraceparent(traceparent) : undefined;
        const span = this.tracer!.startSpan(
          `smart_async.job ${label}`,
          {
            root: true,
            links: link ? [{ context: link }] : [],
            attributes: { 'smart_async.label': label, 'smart_async.job_id': jobId, 'smart_async.attempt': attempt },
          },
          a.context.active(),
        );
        return { trace: this.jobTrace(span, label), context: a.trace.setSpan(a.context.active(), span) };
      }) ?? { trace: NO_JOB, context: undefined }
    );
  }

  /** Counts a job that became active or stopped being active here. */
  active(status: 'pending' | 'running', delta: 1 | -1): void {
    if (this.on) this.guard(() => this.instruments!.active.add(delta, { status }));
  }

  /** Times a store call. */
  store<T>(operation: string, call: Promise<T>): Promise<T> {
    if (!this.on) return call;
    const t0 = performance.now();
    const done = (): void => void this.guard(() => this.instruments!.store.record((performance.now() - t0) / 1000, { operation }));
    call.then(done, done);
    return call;
  }

  /** Runs `fn` in `context` when there is one. */
  within<T>(context: unknown, fn: () => T): T {
    const a = context !== undefined && api();
    return a ? a.context.with(context as Context, fn) : fn();
  }

  private startCall(label: string, traceparent: string | undefined): CallTrace {
    const a = api()!;
    const active = a.context.active();
    // A trace handed in (an MCP request's _meta, an HTTP header) is continued when none is active here.
    const remote = traceparent !== undefined && !a.trace.getSpan(active) ? parseTraceparent(traceparent) : undefined;
    const parent = remote ? a.trace.setSpanContext(active, remote) : active;
    const span = this.tracer!.startSpan(`smart_async.call ${label}`, { attributes: { 'smart_async.label': label } }, parent);
    const seen = switchingSpan(span);
    const context = a.trace.setSpan(parent, seen);
    let ended = false;
    return {
      context,
      traceparent: () => {
        const c = span.spanContext();
        return `00-${c.traceId}-${c.spanId}-0${c.traceFlags & 1}`;
      },
      end: (outcome, jobId, error) =>
        this.guard(() => {
          if (ended) return;
          ended = true;
          span.setAttribute('smart_async.outcome', outcome);
          if (jobId) span.setAttribute('smart_async.job_id', jobId);
          if (outcome === 'error') {
            span.recordException(error instanceof Error ? error : String(error));
            span.setStatus({ code: a.SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
          }
          span.end();
          this.instruments!.calls.add(1, { outcome });
        }),
      switched: (jobId, attempt) =>
        this.guard(() => {
          const job = this.tracer!.startSpan(
            `smart_async.job ${label}`,
            { attributes: { 'smart_async.label': label, 'smart_async.job_id': jobId, 'smart_async.attempt': attempt } },
            a.trace.setSpan(parent, span),
          );
          seen.target = job;
          return this.jobTrace(job, label);
        }) ?? NO_JOB,
    };
  }

  private jobTrace(span: Span, label: string): JobTrace {
    const a = api()!;
    const t0 = performance.now();
    let ended = false;
    return {
      end: (status, error) =>
        this.guard(() => {
          if (ended) return;
          ended = true;
          span.setAttribute('smart_async.status', status);
          if (status === 'failed' || error !== undefined) {
            if (error !== undefined) span.recordException(error instanceof Error ? error : String(error));
            span.setStatus({ code: a.SpanStatusCode.ERROR });
          }
          span.end();
          this.instruments!.settled.add(1, { status });
          this.instruments!.duration.record((performance.now() - t0) / 1000, { status, 'smart_async.label': label });
        }),
    };
  }

  /** Telemetry never fails a call: a tracer or meter that throws is reported once and skipped. */
  private guard<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (e) {
      if (!this.failed) this.warn('OpenTelemetry threw; the call goes on without it (reported once)', e);
      this.failed = true;
      return undefined;
    }
  }

  private failed = false;
}

/** A W3C traceparent as a remote span context, or `undefined` when malformed. */
function parseTraceparent(value: string): SpanContext | undefined {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/.exec(value);
  return m ? { traceId: m[1]!, spanId: m[2]!, traceFlags: parseInt(m[3]!, 16), isRemote: true } : undefined;
}
