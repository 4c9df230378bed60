import { z } from 'zod';
import { positiveMs } from '../common/validation';

const fn = <T>() => z.custom<T>((v) => typeof v === 'function', 'a function');

/** `durable` as an object: a name, attempts, backoff and which errors are retried. */
const durableObjectSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'a durable name of letters, digits and _ . : - (at most 200)')
      .optional(),
    attempts: z.number().int().min(1).max(10_000).optional(),
    backoff: z
      .object({
        initialMs: z.number().nonnegative().finite().optional(),
        factor: z.number().min(1).finite().optional(),
        maxMs: z.number().nonnegative().finite().optional(),
      })
      .strict()
      .optional(),
    retryOn: fn<(error: unknown) => boolean>().optional(),
  })
  .strict();

/** Options of `@SmartAsync()` and `@SmartAsyncDefaults()`. */
export const smartAsyncOptionsSchema = z
  .object({
    timeoutMs: positiveMs.optional(),
    timeoutEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
      .optional(),
    label: z.string().min(1).optional(),
    durable: z.union([z.boolean(), durableObjectSchema]).optional(),
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the method's own parameters (the contract's type)
    idempotencyKey: fn<(...args: any[]) => string | undefined>().optional(),
  })
  .strict();

/** How a durable method's calls are kept and run again (`@SmartAsync({ durable })`). */
export interface DurableOptions {
  /** The durable name stored with each call: keep it stable across renames and minifiers. @default "ClassName.methodName" */
  name?: string;
  /** Runs in all, the first included (a lost run counts too). @default 3 */
  attempts?: number;
  /** Delay before a retry after a thrown error: `initialMs · factor^(n-1)`, at most `maxMs`, jittered (never below half). @default { initialMs: 1000, factor: 2, maxMs: 300000 } */
  backoff?: { initialMs?: number; factor?: number; maxMs?: number };
  /** Whether a thrown error is retried. @default every error but a cancellation */
  retryOn?: (error: unknown) => boolean;
}

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
  /**
   * Makes the method's calls durable: a call that becomes a job is stored as data (its durable
   * name and JSON arguments), so a crash, a deploy or a thrown error is not final: any process
   * that knows the method runs it again (`true`: 3 attempts, default backoff). See the README.
   */
  durable?: boolean | DurableOptions;
  /**
   * The idempotency key of a call, from its arguments (`undefined`: none): one run per key, scoped
   * by owner and label (or durable name); a repeated call answers as the first would now. A call
   * option (`withCallOptions({ idempotencyKey })`, the HTTP `Idempotency-Key` header) wins.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the method's own parameters, whatever they are
  idempotencyKey?: (...args: any[]) => string | undefined;
}
