import { AsyncLocalStorage } from 'node:async_hooks';
import {
  currentJobManager,
  EVERY_JOB,
  viewerOf,
  withCallOptions,
  type CallOptions,
  type JobManager,
  type JobProgress,
  type Viewer,
} from '../index';
import type { ToolExtra, V2Context } from './shapes';

/** @internal One view of a request, from a v1 `extra` or a v2 `ctx`. */
export interface RequestView {
  sessionId: string | undefined;
  authInfo: { clientId?: string } | undefined;
  /** Whether the request came over HTTP (not stdio). */
  overHttp: boolean;
  signal: AbortSignal | undefined;
  progressToken: string | number | undefined;
  /** The W3C trace context the client sent in `_meta` (the call continues its trace). */
  traceparent: string | undefined;
  notify(method: string, params: Record<string, unknown>): Promise<void>;
  /** The per-request client capabilities (protocol 2026-07-28), if the request carried them. */
  clientCapabilities: { extensions?: Record<string, unknown> } | undefined;
}

const CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';

/** A `_meta.traceparent` that looks like one (W3C trace context), else `undefined`. */
const traceparentOf = (meta: { [key: string]: unknown } | undefined): string | undefined => {
  const t = meta?.traceparent;
  return typeof t === 'string' && /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/.test(t) ? t : undefined;
};

const isV2 = (x: unknown): x is V2Context => typeof (x as V2Context | null)?.mcpReq === 'object' && (x as V2Context).mcpReq !== null;

/** @internal Reads a tool callback's second argument, whichever SDK line passed it. */
export function viewOf(x: ToolExtra | V2Context | Pick<ToolExtra, 'authInfo' | 'sessionId' | 'requestInfo'>): RequestView {
  if (isV2(x)) {
    return {
      sessionId: x.sessionId,
      authInfo: x.http?.authInfo,
      overHttp: x.http !== undefined,
      signal: x.mcpReq.signal,
      progressToken: x.mcpReq._meta?.progressToken,
      traceparent: traceparentOf(x.mcpReq._meta),
      notify: (method, params) => x.mcpReq.notify({ method, params }),
      clientCapabilities: x.mcpReq.envelope?.[CLIENT_CAPABILITIES] as RequestView['clientCapabilities'],
    };
  }
  const e = x as Partial<ToolExtra>;
  return {
    sessionId: e.sessionId,
    authInfo: e.authInfo,
    overHttp: e.requestInfo !== undefined,
    signal: e.signal,
    progressToken: e._meta?.progressToken,
    traceparent: traceparentOf(e._meta),
    notify: (method, params) => (e.sendNotification ? e.sendNotification({ method, params } as never) : Promise.resolve()),
    clientCapabilities: undefined,
  };
}

/**
 * The one owner rule, for tools and tasks alike: the authenticated client id, else the session
 * id, else none. Takes a v1 `extra` or a v2 `ctx`.
 */
export function requesterOf(extra: Pick<ToolExtra, 'authInfo' | 'sessionId'> | V2Context): string | undefined {
  return ownerOf(viewOf(extra as ToolExtra));
}

/** @internal The owner rule on a request view: the auth client id, else the session id. */
export function ownerOf(v: RequestView): string | undefined {
  return v.authInfo?.clientId ?? v.sessionId;
}

/** @internal The request being served, for code the SDK calls without it (the task store). */
export const currentRequest = new AsyncLocalStorage<Pick<ToolExtra, 'authInfo' | 'sessionId' | 'requestInfo'>>();

/**
 * @internal Who the request is, under the core's one rule (`canSee`): a request with an identity
 * sees its own jobs; one without (no auth, no session) over HTTP sees by id only jobs created
 * without an owner and lists nothing; over stdio (one client) it sees everything.
 */
export function visibilityOf(
  extra: Pick<ToolExtra, 'authInfo' | 'sessionId' | 'requestInfo'> | V2Context | undefined,
  fallbackOwner?: string,
): Viewer {
  if (!extra) return fallbackOwner === undefined ? EVERY_JOB : viewerOf(fallbackOwner);
  const v = viewOf(extra);
  const owner = ownerOf(v);
  return owner === undefined && !v.overHttp ? EVERY_JOB : viewerOf(owner);
}

/**
 * @internal Runs the tool handler with the request's owner, cancellation, progress and manager as
 * call options, so the decorated method it calls does the rest. Progress notifications are
 * coalesced: at most one per `progressIntervalMs` per request, and the last report is always
 * sent before the response.
 */
export function callWithRequest<T>(extra: ToolExtra | V2Context, fn: () => T, extraOptions: CallOptions = {}, manager?: JobManager): T {
  const request = viewOf(extra);
  const token = request.progressToken;
  let open = true;
  let onProgress: ((p: JobProgress) => void) | undefined;
  let flush = (): void => undefined;
  if (token !== undefined) {
    const interval = (manager ?? currentJobManager()).progressIntervalMs;
    let last = 0;
    let pending: JobProgress | undefined;
    let timer: NodeJS.Timeout | undefined;
    const send = (p: JobProgress): void => {
      last = Date.now();
      request
        .notify('notifications/progress', { progressToken: token, progress: p.current, total: p.total, message: p.message })
        .catch(() => undefined);
    };
    flush = () => {
      clearTimeout(timer);
      timer = undefined;
      if (pending && open) send(pending);
      pending = undefined;
    };
    onProgress = (p) => {
      if (!open) return;
      pending = p;
      const wait = last + interval - Date.now();
      if (wait <= 0) return flush();
      timer ??= setTimeout(flush, wait);
    };
  }
  const result = withCallOptions(
    { owner: ownerOf(request), signal: request.signal, onProgress, manager, traceparent: request.traceparent, ...extraOptions },
    fn,
  );
  // The last report goes out before the response; after it, a background job's progress goes to its record only.
  const close = (): void => {
    flush();
    open = false;
  };
  void Promise.resolve(result).then(close, close);
  return result;
}
