import { ResultNotSerialisableError } from '../common/errors';
import { show } from '../common/validation';

/**
 * Turns a job's result into the JSON value stored in its record: a copy made through
 * JSON, `null` for `undefined`. What JSON would lose or mangle is refused with a clear error
 * naming where it is: BigInts, functions, symbols, cycles, `NaN` and `±Infinity` (JSON writes
 * `null`), `Map` and `Set` (JSON writes `{}`), a `toJSON` that throws.
 *
 * @throws ResultNotSerialisableError
 */
export function toJsonResult(value: unknown): unknown {
  const t = typeof value;
  if (value === undefined) return null;
  if (value === null || t === 'string' || t === 'boolean') return value;
  if (t === 'number') {
    if (Number.isFinite(value)) return value;
    throw new ResultNotSerialisableError(`Job result is not JSON-serialisable: the result is ${String(value)} (JSON would store null)`);
  }
  if (t !== 'object') throw notJson('the result', t);
  let text: string | undefined;
  try {
    text = JSON.stringify(value); // native: throws on BigInt, cycles and a throwing toJSON
  } catch (e) {
    throw new ResultNotSerialisableError(
      `Job result is not JSON-serialisable: ${e instanceof Error ? e.message : `toJSON threw ${show(e)}`}`,
      { cause: e },
    );
  }
  findNonJson(value, 'result', 0);
  return text === undefined ? null : JSON.parse(text);
}

function notJson(where: string, type: string): ResultNotSerialisableError {
  return new ResultNotSerialisableError(`Job result is not JSON-serialisable: ${where} is a ${type}`);
}

/** Throws on a function, symbol or BigInt that JSON.stringify would have dropped silently. */
function findNonJson(value: unknown, path: string, depth: number): void {
  if (depth > 1000) return; // deeper than any JSON stringify accepted; nothing left to find
  if (value instanceof Map || value instanceof Set) {
    throw new ResultNotSerialisableError(
      `Job result is not JSON-serialisable: \`${path}\` is a ${value instanceof Map ? 'Map' : 'Set'} (JSON would store {}); convert it (Object.fromEntries, Array.from)`,
    );
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) check(value[i], `${path}[${i}]`, depth);
    return;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return;
  for (const key in value as object) {
    if (Object.prototype.hasOwnProperty.call(value, key)) check((value as Record<string, unknown>)[key], `${path}.${key}`, depth);
  }
}

function check(v: unknown, path: string, depth: number): void {
  const t = typeof v;
  if (t === 'object') {
    if (v !== null) findNonJson(v, path, depth + 1);
  } else if (t === 'function' || t === 'symbol' || t === 'bigint') {
    throw notJson(`\`${path}\``, t);
  } else if (t === 'number' && !Number.isFinite(v)) {
    throw new ResultNotSerialisableError(`Job result is not JSON-serialisable: \`${path}\` is ${String(v)} (JSON would store null)`);
  }
}
