import { AsyncLocalStorage } from 'node:async_hooks';
import { SmartAsyncConfigError } from '../common/errors';
import { toJsonResult } from '../job/serialise';
import { z } from 'zod';
import { parseOrThrow, positiveMs } from '../common/validation';
import type { JobManager } from './job-manager';
import type { DurableLaunch, JobProgress } from '../job/types';
import type { CallTrace } from './traces';

/** What the work of a decorated call sees of itself, through `jobContext()`. */
export interface JobContext {
  /** The job's id once the call has become a job (after the switch, or at once in async mode). */
  readonly jobId: string | undefined;
  /** The job label. */
  readonly label: string;
  /** Aborted by `JobManager.cancel()`, by the caller's own signal during the inline attempt, when the job goes stale, or at shutdown. */
  readonly signal: AbortSignal;
  /**
   * Reports progress. Before the switch it is kept and carried into the job record; after it,
   * the record is updated (coalesced: many reports cost few store writes).
   * @throws SmartAsyncConfigError when `current` or `total` is not a finite number.
   */
  reportProgress(current: number, total?: number, message?: string): void;
  /**
   * Runs `fn` once per job: in a durable job its JSON result is stored when it completes, and a
   * later attempt of the same job gets the stored value without running `fn` again (steps done
   * during the inline attempt are carried into the job at the switch). Outside a durable job it
   * just runs `fn`. Returns the result as JSON (the same value on every attempt).
   * @throws SmartAsyncConfigError when `name` was used before in this attempt; ResultNotSerialisableError when the result is not JSON.
   */
  step<T>(name: string, fn: () => Promise<T> | T): Promise<T>;
}

/** Options for the decorated calls started inside `withCallOptions()`. */
export interface CallOptions {
  /** Skip the inline attempt and return a `pending` ticket at once. */
  asyncMode?: boolean;
  /** Job label for these calls. */
  jobLabel?: string;
  /** Budget of the inline attempt in ms (beats env, method and class settings). */
  timeoutMs?: number;
  /** Owner of the jobs these calls create. */
  owner?: string;
  /** The idempotency key of the decorated call made inside (one run per key; see the README). */
  idempotencyKey?: string;
  /** A W3C `traceparent` the calls continue when no span is active (an MCP request's `_meta`, an HTTP header). */
  traceparent?: string;
  /**
   * The caller's signal (an HTTP request's, say): it aborts the inline attempt (the call rejects
   * with its reason and the work's signal is aborted). Once a call has become a job, the signal
   * no longer touches it: the caller going away is the reason tickets exist.
   */
  signal?: AbortSignal;
  /** Receives every progress report of these calls' work. */
  onProgress?: (progress: JobProgress) => void;
  /** The manager these calls' jobs go to (instead of the one bound to the instance or the configured one). */
  manager?: JobManager;
}

/** Options that apply to the decorated calls started inside `withCallOptions(options, fn)`. */
export const callOptionsSchema = z
  .object({
    asyncMode: z.boolean().optional(),
    jobLabel: z.string().min(1).optional(),
    timeoutMs: positiveMs.optional(),
    owner: z.string().min(1).optional(),
    idempotencyKey: z.string().min(1).max(255).optional(),
    traceparent: z.string().max(100).optional(),
    signal: z.instanceof(AbortSignal).optional(),
    onProgress: z.custom<(p: { current: number; total?: number; message?: string }) => void>((v) => typeof v === 'function').optional(),
    manager: z
      .custom<{ launch: unknown }>((v) => typeof (v as { launch?: unknown } | null)?.launch === 'function', 'a JobManager')
      .optional(),
  })
  .strict();

/** @internal The state of one decorated call; the JobManager drives it. */
export class RunContext implements JobContext {
  jobId: string | undefined = undefined;
  progress: JobProgress | null = null;
  /** Set by the JobManager once the call is a job: called after each report. */
  onReport: ((ctx: RunContext) => void) | undefined = undefined;
  /** A durable call's completed steps (carried into its record; loaded from it by a later attempt). */
  steps: Record<string, unknown> | undefined;
  /** Set by the JobManager once a durable call is a stored job: stores a completed step. */
  saveStep: ((ctx: RunContext) => Promise<void>) | undefined = undefined;
  /** The call's telemetry, when on. */
  trace: CallTrace | undefined = undefined;
  /** Step names used in this attempt. */
  private stepsRun: Set<string> | undefined; // made at the first step: most calls take none
  private controller: AbortController | undefined = undefined;

  constructor(
    readonly label: string,
    private readonly listener: ((p: JobProgress) => void) | undefined,
    /** How a durable call is kept and retried (its steps are kept too). */
    readonly durable?: DurableLaunch,
    steps?: Record<string, unknown>,
  ) {
    this.steps = durable ? { ...steps } : undefined;
  }

  async step<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
    if (typeof name !== 'string' || name.length === 0 || name.length > 200) {
      throw new SmartAsyncConfigError(`Expected a step name of 1 to 200 characters, got \`${String(name).slice(0, 50)}\``);
    }
    const used = (this.stepsRun ??= new Set());
    if (used.has(name))
      throw new SmartAsyncConfigError(`Step \`${name}\` was already run in this attempt: each step needs a name of its own`);
    used.add(name);
    const steps = this.steps;
    if (!steps) return fn();
    if (Object.prototype.hasOwnProperty.call(steps, name)) return steps[name] as T;
    const value = toJsonResult(await fn());
    steps[name] = value;
    await this.saveStep?.(this);
    return value as T;
  }

  /** As the scope of its own work: the call's options do not reach the calls the work makes. */
  get run(): RunContext {
    return this;
  }

  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  /** Whether the work's signal is aborted (without allocating one). */
  get aborted(): boolean {
    return this.controller?.signal.aborted ?? false;
  }

  /** Aborts the work's signal (once). */
  abort(reason: unknown): void {
    const c = (this.controller ??= new AbortController());
    if (!c.signal.aborted) c.abort(reason);
  }

  reportProgress(current: number, total?: number, message?: string): void {
    if (!Number.isFinite(current) || (total !== undefined && !Number.isFinite(total))) {
      throw new SmartAsyncConfigError(`Expected progress to be finite numbers, got current=${String(current)} total=${String(total)}`);
    }
    const p: JobProgress = { current };
    if (total !== undefined) p.total = total;
    if (message !== undefined) p.message = String(message);
    this.progress = p;
    this.listener?.(p);
    this.onReport?.(this);
  }
}

interface Scope {
  readonly call?: CallOptions;
  readonly run?: RunContext;
}

const storage = new AsyncLocalStorage<Scope>();

/**
 * The context of the decorated call whose work is running now, or `undefined` outside one.
 *
 * @example
 * const ctx = jobContext();
 * for (const [i, file] of files.entries()) { ctx?.signal.throwIfAborted(); await index(file); ctx?.reportProgress(i + 1, files.length); }
 */
export function jobContext(): JobContext | undefined {
  return storage.getStore()?.run;
}

/**
 * Runs `fn` with options that apply to the decorated calls it starts (directly or after awaits),
 * not to calls those methods make in turn.
 *
 * @example
 * const ticket = await withCallOptions({ asyncMode: true, jobLabel: 'nightly' }, () => reports.build(day));
 * @throws SmartAsyncConfigError when an option is invalid.
 */
export function withCallOptions<T>(options: CallOptions, fn: () => T): T {
  const call = parseOrThrow(callOptionsSchema, options, 'withCallOptions') as CallOptions;
  return storage.run({ call, run: storage.getStore()?.run }, fn);
}

/** @internal What is in scope: call options (from `withCallOptions`) and the running call, if any. */
export function currentScope(): { readonly call?: CallOptions; readonly run?: RunContext } | undefined {
  return storage.getStore();
}

/** @internal Runs the work of a call inside its context (its own scope: no call options). */
export function runInContext<T>(ctx: RunContext, fn: () => T): T {
  return storage.run(ctx, fn);
}
