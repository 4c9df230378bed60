import { validate as isUuid } from 'uuid';
import type { JobTicket } from './types';

const BRAND = Symbol.for('smart-async.ticket');

/** The message of a `running` ticket, as in the seed. */
export const SWITCH_MESSAGE = 'Task exceeded time budget; running in background';

/** @internal Makes a branded ticket. The brand is non-enumerable: JSON shows only the seed's fields. */
export function makeTicket(jobId: string, status: JobTicket['status']): JobTicket {
  const ticket: JobTicket = status === 'running' ? { job_id: jobId, status, message: SWITCH_MESSAGE } : { job_id: jobId, status };
  Object.defineProperty(ticket, BRAND, { value: true, enumerable: false });
  return ticket;
}

/**
 * Whether a decorated method's value is a ticket rather than the method's own result.
 * True for tickets made by smart-async (branded) and for plain objects parsed back from JSON
 * that have exactly the ticket's fields, with a UUID `job_id`.
 *
 * @example
 * const out = await svc.report(day);
 * if (isJobTicket(out)) console.log('poll', out.job_id); else render(out);
 */
export function isJobTicket(value: unknown): value is JobTicket {
  if (value === null || typeof value !== 'object') return false;
  if ((value as Record<symbol, unknown>)[BRAND] === true) return true;
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  const v = value as Record<string, unknown>;
  const keys = Object.keys(v);
  return (
    typeof v.job_id === 'string' &&
    isUuid(v.job_id) &&
    (v.status === 'pending' || v.status === 'running') &&
    keys.every((k) => k === 'job_id' || k === 'status' || (k === 'message' && typeof v.message === 'string'))
  );
}
