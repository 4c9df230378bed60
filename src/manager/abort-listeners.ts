interface Entry {
  readonly subscribers: Set<() => void>;
  readonly handler: () => void;
}

/** One listener per signal while anyone listens, fanning out to every subscriber. */
const entries = new WeakMap<AbortSignal, Entry>();

/**
 * @internal Calls `fn` once when `signal` aborts; returns a function that stops listening.
 * However many calls or waits share one signal (a server-wide shutdown signal, a request's),
 * the signal holds one listener (none once nobody listens): no MaxListenersExceededWarning, and
 * unsubscribing is O(1).
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) {
    // Aborted already (while the caller awaited something): tell it on the next microtask.
    let live = true;
    queueMicrotask(() => live && fn());
    return () => void (live = false);
  }
  let entry = entries.get(signal);
  if (!entry) {
    const subscribers = new Set<() => void>();
    const handler = (): void => {
      entries.delete(signal);
      for (const f of subscribers) f();
    };
    entries.set(signal, (entry = { subscribers, handler }));
    signal.addEventListener('abort', handler, { once: true });
  }
  const { subscribers, handler } = entry;
  subscribers.add(fn);
  return () => {
    if (!subscribers.delete(fn) || subscribers.size > 0 || entries.get(signal) !== entry) return;
    entries.delete(signal);
    signal.removeEventListener('abort', handler);
  };
}
