import { ResultNotSerialisableError } from './errors';

/**
 * @internal Turns a job's result into the JSON value stored in its record: a deep-frozen copy,
 * `null` for `undefined`. BigInts, functions, symbols and cycles are refused with a clear error.
 *
 * @throws ResultNotSerialisableError
 */
export function toJsonResult(value: unknown): unknown {
  if (value === undefined) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(value, (key, v: unknown) => {
      const t = typeof v;
      if (t === 'bigint' || t === 'function' || t === 'symbol') {
        throw new ResultNotSerialisableError(`Job result is not JSON-serialisable: ${key ? `\`${key}\` is` : 'the result is'} a ${t}`);
      }
      return v;
    });
  } catch (e) {
    if (e instanceof ResultNotSerialisableError) throw e;
    throw new ResultNotSerialisableError(`Job result is not JSON-serialisable: ${(e as Error).message}`, { cause: e });
  }
  return text === undefined ? null : deepFreeze(JSON.parse(text));
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
