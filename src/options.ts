import { z } from 'zod';
import { callSafely } from './call-safely';
import { SmartAsyncConfigError } from './errors';

/** Built-in budget of the inline attempt when nothing else sets one: 50 s (MCP clients give up at 60 s). */
export const DEFAULT_TIMEOUT_MS = 50_000;

const positiveMs = z.number().positive().finite();

/** Receives problems no caller can see: `(message, error?) => void`. */
export type WarningSink = (message: string, error?: unknown) => void;

/**
 * The zod schema of a `WarningSink` option (a function), for a store's option schema. The parsed
 * sink is wrapped so that it can neither throw nor reject (an `async` sink whose promise rejects
 * would otherwise crash the process with an unhandled rejection).
 */
export const warningSinkSchema = z.custom<WarningSink>((v) => typeof v === 'function', 'a function').transform(
  (sink): WarningSink =>
    (message, error) =>
      void callSafely(sink, [message, error], () => undefined),
);

/** The default warning sink: `process.emitWarning` with code `SMART_ASYNC`. */
export const emitSmartAsyncWarning = (message: string): void => process.emitWarning(message, { code: 'SMART_ASYNC' });

/** Options of `@SmartAsync()` and `@SmartAsyncDefaults()`. */
export const smartAsyncOptionsSchema = z
  .object({
    timeoutMs: positiveMs.optional(),
    timeoutEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
    label: z.string().min(1).optional(),
  })
  .strict();

/**
 * Options of `@SmartAsync()` / `@SmartAsyncDefaults()`.
 */
export interface SmartAsyncOptions {
  /** Budget of the inline attempt in ms; > 0 and finite. */
  timeoutMs?: number;
  /** Name of an environment variable that overrides the budget when set (`"120"`, `"2.5"`, `"500ms"`, `"30s"`, `"2m"`). */
  timeoutEnv?: string;
  /** Job label; default `"ClassName.methodName"`. */
  label?: string;
}

/** Options that apply to the decorated calls started inside `withCallOptions(options, fn)`. */
export const callOptionsSchema = z
  .object({
    asyncMode: z.boolean().optional(),
    jobLabel: z.string().min(1).optional(),
    timeoutMs: positiveMs.optional(),
    owner: z.string().min(1).optional(),
    signal: z.instanceof(AbortSignal).optional(),
    onProgress: z.custom<(p: { current: number; total?: number; message?: string }) => void>((v) => typeof v === 'function').optional(),
    manager: z.custom<{ launch: unknown }>((v) => typeof (v as { launch?: unknown } | null)?.launch === 'function', 'a JobManager').optional(),
  })
  .strict();

/** Retention of settled jobs. */
export const retentionSchema = z
  .object({
    maxJobs: z.number().int().nonnegative().optional(),
    ttlMs: positiveMs.optional(),
  })
  .strict();

/** `SMART_ASYNC_CONFIG`: manager-wide settings. */
export const configSchema = z
  .object({
    defaultTimeoutMs: positiveMs.optional(),
    retention: retentionSchema.optional(),
    progressIntervalMs: z.number().nonnegative().finite().optional(),
    pollIntervalMs: positiveMs.optional(),
    closeGraceMs: z.number().nonnegative().optional(),
    storeTimeoutMs: positiveMs.optional(),
    onWarning: warningSinkSchema.optional(),
  })
  .strict();

/**
 * Manager-wide settings, registered under `SMART_ASYNC_CONFIG`.
 *
 * @example
 * container.register(SMART_ASYNC_CONFIG, { useValue: { defaultTimeoutMs: 20_000, retention: { maxJobs: 500 } } });
 */
export interface SmartAsyncConfig {
  /** Budget when neither call, env, method nor class sets one. @default 50000 */
  defaultTimeoutMs?: number;
  /** Settled jobs beyond `maxJobs`, or settled longer ago than `ttlMs`, are pruned automatically. @default { maxJobs: 10000, ttlMs: 86400000 } */
  retention?: { maxJobs?: number; ttlMs?: number };
  /** Least time between two progress writes of one job; reports in between are coalesced. @default 250 */
  progressIntervalMs?: number;
  /** How often `wait()` polls a store that cannot notify it of other processes' changes. @default 500 */
  pollIntervalMs?: number;
  /** How long `close()` lets background work finish before aborting it. @default 10000 */
  closeGraceMs?: number;
  /**
   * Deadline of every store call: a store that does not answer in time fails the call with
   * `STORE_UNAVAILABLE`. @default 5000
   */
  storeTimeoutMs?: number;
  /**
   * Receives problems that no caller can see: a listener that threw, a background write that
   * failed and is being retried. @default process.emitWarning (code `SMART_ASYNC`)
   */
  onWarning?: (message: string, error?: unknown) => void;
}

/** The config with every default filled in. */
export interface ResolvedConfig {
  defaultTimeoutMs: number;
  retention: { maxJobs: number; ttlMs: number };
  progressIntervalMs: number;
  pollIntervalMs: number;
  closeGraceMs: number;
  storeTimeoutMs: number;
  onWarning: (message: string, error?: unknown) => void;
}

/** Turns zod issues into one sentence: ``Expected `timeoutMs` to be …, got `-1` ``. */
export function describeIssues(where: string, error: z.ZodError, input: unknown): string {
  const MAX_ISSUES = 3;
  const more = error.issues.length > MAX_ISSUES ? `; and ${error.issues.length - MAX_ISSUES} more` : '';
  return (
    error.issues
    .slice(0, MAX_ISSUES)
    .map((issue) => {
      const path = issue.path.map(String).join('.');
      const got = issue.path.reduce<unknown>((v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined), input);
      const subject = path ? `\`${path}\`` : 'value';
      return `${where}: ${subject} ${issue.message.replace(/^Invalid input: /, '')}, got \`${clip(show(got), 80)}\``;
    })
    .join('; ') + more
  );
}

/** At most `max` characters of a text, with an ellipsis when cut. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}

/** @internal A value as text for a message; never throws (a value whose conversion throws is `[unprintable]`). */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'function') return 'function';
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    try {
      return String(value);
    } catch {
      return '[unprintable]';
    }
  }
}

/**
 * Parses options with a zod schema or throws `SmartAsyncConfigError` naming what is wrong.
 * @example const o = parseOrThrow(optionsSchema, options, 'MyJobStore');
 */
export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, where: string): T {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new SmartAsyncConfigError(describeIssues(where, parsed.error, input));
  return parsed.data;
}

/** Validates `SMART_ASYNC_CONFIG` and fills in defaults. */
export function resolveConfig(config: SmartAsyncConfig | undefined): ResolvedConfig {
  const c = parseOrThrow(configSchema, config ?? {}, 'SMART_ASYNC_CONFIG');
  return {
    defaultTimeoutMs: c.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS,
    retention: { maxJobs: c.retention?.maxJobs ?? 10_000, ttlMs: c.retention?.ttlMs ?? 86_400_000 },
    progressIntervalMs: c.progressIntervalMs ?? 250,
    pollIntervalMs: c.pollIntervalMs ?? 500,
    closeGraceMs: c.closeGraceMs ?? 10_000,
    storeTimeoutMs: c.storeTimeoutMs ?? 5_000,
    onWarning: c.onWarning ?? emitSmartAsyncWarning,
  };
}
