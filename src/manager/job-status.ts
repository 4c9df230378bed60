import { currentJobManager } from './configure';
import type { JobRecord, OwnerOptions } from '../job/types';

/**
 * The seed's `job_status(id)`: `{ job }` from the `JobManager` of the configured container.
 *
 * @throws JobNotFoundError for an unknown id (or another owner's job when `owner` is given).
 * @example
 * const { job } = await jobStatus(ticket.job_id);
 */
export function jobStatus(id: string, opts?: OwnerOptions): Promise<{ job: JobRecord }> {
  return currentJobManager().status(id, opts);
}
