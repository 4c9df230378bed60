import { EVERY_JOB, viewerOf, type Viewer } from '../index';

/**
 * The owner rule of the HTTP layer (jobs routes, dashboard, NestJS module): a function of the
 * request that returns the requester's id, or `'none'` to expose every job (trusted networks only).
 */
export type OwnerRule<Req> = ((req: Req) => string | undefined) | 'none';

/** @internal Whether `rule` is an owner rule (routes and dashboard refuse to exist without one). */
export function isOwnerRule(rule: unknown): boolean {
  return rule === 'none' || typeof rule === 'function';
}

/**
 * @internal Who asks, under the rule: everyone for `'none'`; else the core's rule (`viewerOf`):
 * an id is an owner, no id a requester without identity (by id, only ownerless jobs; no list).
 */
export function viewerFor<Req>(rule: OwnerRule<Req>, req: Req): Viewer {
  return rule === 'none' ? EVERY_JOB : viewerOf(rule(req));
}
