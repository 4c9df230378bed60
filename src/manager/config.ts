import { z } from 'zod';
import type { SmartAsyncLogger } from './job-log';
import { emitSmartAsyncWarning, parseOrThrow, positiveMs, warningSinkSchema } from '../common/validation';

/** Built-in budget of the inline attempt when nothing else sets one: 50 s (MCP clients give up at 60 s). */
export const DEFAULT_TIMEOUT_MS = 50_000;

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
    claimIntervalMs: positiveMs.optional(),
    idempotencyTtlMs: positiveMs.optional(),
    logger: z
      .custom<SmartAsyncLogger>((v) => typeof (v as { warn?: unknown } | null)?.warn === 'function', 'a logger with warn(fields, message)')
      .optional(),
    concurrency: z
      .object({
        max: z.number().int().positive().optional(),
        perOwner: z.number().int().positive().optional(),
        queue: z.number().int().nonnegative().optional(),
      })
      .strict()
      .optional(),
    resolveInstance: z
      .custom<(cls: abstract new (...args: never[]) => unknown) => object>((v) => typeof v === 'function', 'a function')
      .optional(),
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
  /**
   * A pino-style logger (`warn`, and `info`/`debug` when it has them, each `(fields, message)`):
   * warnings go to its `warn` instead of `onWarning`, and each attempt's transitions (started,
   * settled, retried, handed back) to `info`, with the job's id, label and attempt. The NestJS
   * module sets Nest's `Logger`.
   */
  logger?: SmartAsyncLogger;
  /** How long after its job settled an idempotency key still answers with that job's outcome. @default 86400000 (24 h) */
  idempotencyTtlMs?: number;
  /** How often a manager claims due durable jobs (sooner when it hears one became due). @default 1000 */
  claimIntervalMs?: number;
  /**
   * Admission: at most `max` calls run at once in this manager (inline attempts and background
   * jobs alike), at most `perOwner` of one owner; the others wait for a slot (owners in turn). More
   * than `queue` waiting calls: a new one is refused at once (`JOB_REJECTED`). @default no limit
   */
  concurrency?: { max?: number; perOwner?: number; queue?: number };
  /**
   * The instance a claimed durable job's method runs on. @default the configured container's
   * `resolve(Class)` (the NestJS module sets it to Nest's injector)
   */
  resolveInstance?: (cls: abstract new (...args: never[]) => unknown) => object;
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
  claimIntervalMs: number;
  idempotencyTtlMs: number;
  logger: SmartAsyncLogger | undefined;
  concurrency: { max: number; perOwner: number; queue: number };
  resolveInstance: ((cls: abstract new (...args: never[]) => unknown) => object) | undefined;
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
    claimIntervalMs: c.claimIntervalMs ?? 1_000,
    idempotencyTtlMs: c.idempotencyTtlMs ?? 86_400_000,
    logger: c.logger,
    concurrency: {
      max: c.concurrency?.max ?? Infinity,
      perOwner: c.concurrency?.perOwner ?? Infinity,
      queue: c.concurrency?.queue ?? Infinity,
    },
    resolveInstance: c.resolveInstance,
  };
}
