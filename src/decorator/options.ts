import { z } from 'zod';
import { positiveMs } from '../common/validation';

/** Options of `@SmartAsync()` and `@SmartAsyncDefaults()`. */
export const smartAsyncOptionsSchema = z
  .object({
    timeoutMs: positiveMs.optional(),
    timeoutEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
      .optional(),
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
