import { validate as isUuid } from 'uuid';
import type { JobTicket } from './types';

/** The message of a `running` ticket, as in the seed. */
export const SWITCH_MESSAGE = 'Task exceeded time budget; running in background';

/** @internal Makes a ticket: a plain object with the seed's fields only. */
export function makeTicket(jobId: string, status: JobTicket['status']): JobTicket {
  return status === 'running' ? { job_id: jobId, status, message: SWITCH_MESSAGE } : { job_id: jobId, status };
}

/**
 * Whether a decorated method's value is a ticket rather than the method's own result: a plain
 * object with exactly the ticket's fields (`job_id` a UUID, `status` `pending` or `running`, an
 * optional string `message`). What smart-async returns, also after a JSON round trip. A method
 * whose own result has exactly that shape would be taken for a ticket.
 *
 * @example
 * const out = await svc.report(day);
 * if (isJobTicket(out)) console.log('poll', out.job_id); else render(out);
 */
export function isJobTicket(value: unknown): value is JobTicket {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  // Cheap checks first: most values that are not tickets fail one of these.
  if (typeof v.job_id !== 'string' || (v.status !== 'pending' && v.status !== 'running')) return false;
  if (Object.getPrototypeOf(value) !== Object.prototype || !isUuid(v.job_id)) return false;
  for (const k of Object.keys(v)) {
    if (k !== 'job_id' && k !== 'status' && !(k === 'message' && typeof v.message === 'string')) return false;
  }
  return true;
}
