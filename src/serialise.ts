import { ResultNotSerialisableError } from './errors';

/**
 * Turns a job's result into the JSON value stored in its record: a copy made through
 * JSON, `null` for `undefined`. BigInts, functions, symbols and cycles are refused with a clear
 * error (JSON would throw on some and silently drop the others).
 *
 * @throws ResultNotSerialisableError
 */
export function toJsonResult(value: unknown): unknown {
  const t = typeof value;
  if (value === undefined) return null;
  if (value === null || t === 'string' || t === 'boolean') return value;
  if (t === 'number') return Number.isFinite(value) ? value : null;
  if (t !== 'object') throw notJson('the result', t);
  let text: string | undefined;
  try {
    text = JSON.stringify(value); // native: throws on BigInt and cycles
  } catch (e) {
    throw new ResultNotSerialisableError(`Job result is not JSON-serialisable: ${(e as Error).message}`, { cause: e });
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
  }
}
