import { SmartAsyncError, StoreUnavailableError } from '../common/errors';

/** Longest delay a Node timer takes (about 24.8 days); a longer one would fire at once. */
export const MAX_DELAY_MS = 2 ** 31 - 1;

/** @internal A timer delay Node honours: at most `MAX_DELAY_MS` (longer means "practically never"). */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), MAX_DELAY_MS);
}

/** @internal Turns a store failure into a coded error (a SmartAsyncError stays as it is). */
export function storeError(e: unknown, what: string): SmartAsyncError {
  if (e instanceof SmartAsyncError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new StoreUnavailableError(`Job store failed to ${what}: ${message}`, { cause: e });
}

/**
 * @internal Runs a store call with a deadline: it settles as the call does, or rejects with
 * `STORE_UNAVAILABLE` once `ms` have passed (the call itself may still land later).
 */
export function withDeadline<T>(op: () => Promise<T>, ms: number, what: string): Promise<T> {
  let call: Promise<T>;
  try {
    call = op();
  } catch (e) {
    return Promise.reject(storeError(e, what));
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new StoreUnavailableError(`Job store did not ${what} within ${ms} ms`)), timerDelay(ms));
    call.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(timer);
        reject(storeError(e, what));
      },
    );
  });
}
