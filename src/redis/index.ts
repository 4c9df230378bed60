/**
 * `smart-async/redis`: a job store shared by many processes and machines.
 * Needs `ioredis` 5 (optional peer dependency).
 */
export { RedisJobStore, type RedisJobStoreOptions } from './redis-job-store';
