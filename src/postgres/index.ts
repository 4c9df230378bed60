/**
 * `smart-async/postgres`: a job store in PostgreSQL (node-postgres, `pg` 8.x, an optional peer):
 * several processes or machines share jobs; leases, durable-job claims (`FOR UPDATE SKIP LOCKED`)
 * and idempotency keys; changes announced with `LISTEN`/`NOTIFY`.
 */
export { PostgresJobStore, type PostgresJobStoreOptions } from './postgres-job-store';
