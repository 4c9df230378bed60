import { ArgsNotSerialisableError } from '../common/errors';
import type { BackoffOptions } from './types';

/** The backoff of a durable method that sets none: 1 s, doubling, at most 5 min. */
export const DEFAULT_BACKOFF: BackoffOptions = Object.freeze({ initialMs: 1_000, factor: 2, maxMs: 300_000 });

/** Attempts of a durable method that sets none. */
export const DEFAULT_DURABLE_ATTEMPTS = 3;

/**
 * A durable call's arguments as JSON: a copy that later changes to the caller's objects do not
 * reach. Arguments JSON would change are refused, naming the first one found, before any work
 * starts: `undefined`, `NaN`/`±Infinity`, BigInts, functions, symbols, `Date`s, `Map`s, `Set`s,
 * class instances (anything but plain objects and arrays), cycles.
 *
 * @throws ArgsNotSerialisableError e.g. "args[0].when: a Date"
 */
export function callArgs(args: readonly unknown[]): unknown[] {
  const seen = new Set<object>();
  const visit = (value: unknown, path: string): void => {
    const problem = describe(value);
    if (problem) throw new ArgsNotSerialisableError(`A durable call's arguments must round-trip through JSON: ${path}: ${problem}`);
    if (value === null || typeof value !== 'object') return;
    if (seen.has(value)) throw new ArgsNotSerialisableError(`A durable call's arguments must round-trip through JSON: ${path}: a cycle`);
    seen.add(value);
    if (Array.isArray(value)) value.forEach((v, i) => visit(v, `${path}[${i}]`));
    else for (const [k, v] of Object.entries(value)) visit(v, `${path}.${k}`);
    seen.delete(value);
  };
  args.forEach((a, i) => visit(a, `args[${i}]`));
  return JSON.parse(JSON.stringify(args)) as unknown[];
}

/** What is wrong with one value for JSON, or `undefined` when it is fine as it is. */
function describe(value: unknown): string | undefined {
  switch (typeof value) {
    case 'undefined':
      return 'undefined (JSON drops it or writes null)';
    case 'number':
      return Number.isFinite(value) ? undefined : `${String(value)} (JSON writes null)`;
    case 'bigint':
    case 'function':
    case 'symbol':
      return `a ${typeof value}`;
    case 'object': {
      if (value === null || Array.isArray(value)) return undefined;
      const proto = Object.getPrototypeOf(value) as object | null;
      if (proto === Object.prototype || proto === null) return undefined;
      if (value instanceof Date) return 'a Date (JSON writes a string); pass date.toISOString()';
      if (value instanceof Map || value instanceof Set) return `a ${value instanceof Map ? 'Map' : 'Set'} (JSON writes {})`;
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      return `an instance of ${typeof name === 'string' && name ? name : 'a class'} (only plain objects and arrays survive JSON)`;
    }
    default:
      return undefined;
  }
}

/**
 * The delay before retry number `retry` (1-based: the wait after the first failed attempt is
 * retry 1): `initialMs · factor^(retry-1)`, at most `maxMs`, with jitter that never shortens it
 * below half its nominal value (`random` in [0, 1)).
 */
export function backoffDelay(retry: number, backoff: BackoffOptions, random: number = Math.random()): number {
  const nominal = Math.min(backoff.maxMs, backoff.initialMs * backoff.factor ** Math.max(0, retry - 1));
  return Math.round(nominal / 2 + (nominal / 2) * random);
}
