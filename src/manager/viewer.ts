import type { JobRecord } from '../job/types';

/**
 * Who asks for jobs, as an integration's owner rule found them: `owner`, the requester's id
 * (they see their own jobs), or `anonymous`, a requester the rule found no identity for. The one
 * "who sees what" rule of the HTTP routes, the dashboard, the NestJS module and MCP.
 */
export interface Viewer {
  /** The requester's id, or `undefined` (nobody identified, or no owner rule). */
  readonly owner: string | undefined;
  /** An owner rule applies but found no identity: such a requester sees by id only jobs created without an owner, and lists nothing. */
  readonly anonymous: boolean;
}

/** The viewer without an owner rule (`owner: 'none'`, stdio MCP): sees every job. */
export const EVERY_JOB: Viewer = Object.freeze({ owner: undefined, anonymous: false });

/**
 * The viewer an owner rule's answer makes: a non-empty string is an owner; anything else
 * (`undefined`, an empty string, a value that is not a string) is a requester without identity.
 */
export function viewerOf(id: unknown): Viewer {
  return typeof id === 'string' && id.length > 0 ? { owner: id, anonymous: false } : { owner: undefined, anonymous: true };
}

/**
 * Whether a viewer may see a job: its own, or any job without an owner rule; a requester without
 * identity sees only jobs created without an owner (a job id is an unguessable capability).
 */
export function canSee(viewer: Viewer, job: JobRecord): boolean {
  if (viewer.anonymous) return job.owner === undefined;
  return viewer.owner === undefined || job.owner === viewer.owner;
}

/** Whether a viewer may list jobs (a requester without identity lists nothing: ids are capabilities, a list is not). */
export function canList(viewer: Viewer): boolean {
  return !viewer.anonymous;
}
