/**
 * Calls a user's hook (a listener, a warning sink, an owner rule) so that nothing it does can
 * crash the process: a synchronous throw is passed to `onError`, and so is the rejection of a
 * promise it returns (an `async` hook), which would otherwise be an unhandled rejection.
 * Returns the hook's value, or `undefined` when it threw.
 */
export function callSafely<A extends unknown[], R>(hook: (...args: A) => R, args: A, onError: (e: unknown) => void): R | undefined {
  let out: R;
  try {
    out = hook(...args);
  } catch (e) {
    report(onError, e);
    return undefined;
  }
  try {
    const then = (out as { then?: unknown } | null | undefined)?.then;
    if (typeof then === 'function')
      (then as (ok: undefined, err: (e: unknown) => void) => unknown).call(out, undefined, (e: unknown) => report(onError, e));
  } catch {
    // a value whose `then` cannot be read is not a promise we could wait on
  }
  return out;
}

function report(onError: (e: unknown) => void, e: unknown): void {
  try {
    onError(e);
  } catch {
    // the reporter's own failure has nowhere left to go
  }
}
