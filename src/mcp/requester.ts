import { AsyncLocalStorage } from 'node:async_hooks';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { JobNotFoundError, type JobManager, type JobRecord } from '../index';

/** What a tool handler gets besides its arguments. */
export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/**
 * The one owner rule, for tools and tasks alike: the authenticated client id, else the session
 * id, else none.
 */
export function requesterOf(extra: Pick<ToolExtra, 'authInfo' | 'sessionId'>): string | undefined {
  return extra.authInfo?.clientId ?? extra.sessionId;
}

/** @internal The request being served, for code the SDK calls without it (the task store). */
export const currentRequest = new AsyncLocalStorage<Pick<ToolExtra, 'authInfo' | 'sessionId' | 'requestInfo'>>();

/**
 * Who may see which job. A request with an identity sees its own jobs. One without (no auth, no
 * session) sees, over HTTP, only jobs created without an owner, by id — a job id is an
 * unguessable capability — and lists nothing; over stdio (one client) it sees everything.
 */
export interface Visibility {
  owner: string | undefined;
  /** An HTTP request without identity. */
  anonymous: boolean;
}

/** @internal The visibility of a request. */
export function visibilityOf(extra: Pick<ToolExtra, 'authInfo' | 'sessionId' | 'requestInfo'> | undefined, fallbackOwner?: string): Visibility {
  const owner = extra ? requesterOf(extra) : fallbackOwner;
  return { owner, anonymous: owner === undefined && extra?.requestInfo !== undefined };
}

/** @internal A job the request may see, or JOB_NOT_FOUND. */
export async function visibleJob(manager: JobManager, id: string, v: Visibility): Promise<JobRecord> {
  const job = await manager.get(id, { owner: v.owner });
  if (!job || (v.anonymous && job.owner !== undefined)) throw new JobNotFoundError(id);
  return job;
}

/** @internal The job, from whichever of `managers` holds it, if the request may see it; else JOB_NOT_FOUND. */
export async function findVisibleJob(managers: Iterable<JobManager>, id: string, v: Visibility): Promise<{ job: JobRecord; manager: JobManager }> {
  for (const manager of managers) {
    const job = await visibleJob(manager, id, v).catch((e: unknown) => {
      if ((e as { code?: unknown })?.code === 'JOB_NOT_FOUND') return undefined;
      throw e;
    });
    if (job) return { job, manager };
  }
  throw new JobNotFoundError(id);
}
