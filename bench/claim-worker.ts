// A process that claims and runs durable jobs (`bench.claim.noop`) from a shared store, for the
// claim latency benchmark. Args: file:<dir> | redis:<url>|<prefix>. Prints "ready".
import 'reflect-metadata';
import { container } from 'tsyringe';
import { FileJobStore, JOB_STORE, JobManager, SMART_ASYNC_CONFIG, SmartAsync, type JobStore } from '../src';
import { PostgresJobStore } from '../src/postgres';
import { RedisJobStore } from '../src/redis';

export class Noop {
  @SmartAsync({ durable: { name: 'bench.claim.noop' } })
  async run(n: number): Promise<number> {
    return n;
  }
}

const where = process.argv[2]!;
const store: JobStore = where.startsWith('file:')
  ? new FileJobStore({ path: where.slice(5), watchIntervalMs: 20 })
  : where.startsWith('postgres:')
    ? new PostgresJobStore({ connection: where.slice(9).split('|')[0], schema: where.slice(9).split('|')[1] })
    : new RedisJobStore({ connection: where.slice(6).split('|')[0], prefix: where.slice(6).split('|')[1] });
container.register(JOB_STORE, { useValue: store });
container.register(SMART_ASYNC_CONFIG, { useValue: { claimIntervalMs: 1_000 } });
const manager = container.resolve(JobManager);
process.once('SIGTERM', () => void manager.close().then(() => process.exit(0)));
console.log('ready');
setInterval(() => undefined, 1_000);
