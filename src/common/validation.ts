import { z } from 'zod';
import { callSafely } from './call-safely';
import { SmartAsyncConfigError } from './errors';

/** Durations in ms: positive and finite. */
export const positiveMs = z.number().positive().finite();

/** Receives problems no caller can see: `(message, error?) => void`. */
export type WarningSink = (message: string, error?: unknown) => void;

/**
 * The zod schema of a `WarningSink` option (a function), for a store's option schema. The parsed
 * sink is wrapped so that it can neither throw nor reject (an `async` sink whose promise rejects
 * would otherwise crash the process with an unhandled rejection).
 */
export const warningSinkSchema = z
  .custom<WarningSink>((v) => typeof v === 'function', 'a function')
  .transform(
    (sink): WarningSink =>
      (message, error) =>
        void callSafely(sink, [message, error], () => undefined),
  );

/** The default warning sink: `process.emitWarning` with code `SMART_ASYNC`. */
export const emitSmartAsyncWarning = (message: string): void => process.emitWarning(message, { code: 'SMART_ASYNC' });

/** Turns zod issues into one sentence: ``Expected `timeoutMs` to be …, got `-1` ``. */
export function describeIssues(where: string, error: z.ZodError, input: unknown): string {
  const MAX_ISSUES = 3;
  const more = error.issues.length > MAX_ISSUES ? `; and ${error.issues.length - MAX_ISSUES} more` : '';
  return (
    error.issues
      .slice(0, MAX_ISSUES)
      .map((issue) => {
        const path = issue.path.map(String).join('.');
        const got = issue.path.reduce<unknown>(
          (v, k) => (v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k as PropertyKey] : undefined),
          input,
        );
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
