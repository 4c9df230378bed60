import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { FileJobStore, isoTime, type JobRecord, type JobStore } from '../src';
import { Pool } from 'pg';
import { PostgresJobStore } from '../src/postgres';
import { RedisJobStore } from '../src/redis';
import { heading, percentile, row, sleep } from './common';

/**
 * Claim latency: a durable job made due in this process (written to the store) until another
 * process started it (its `started_at`), one job at a time. The claiming process hears of due
 * jobs through the store's notifications (Redis pub/sub; the file store's watch, every 20 ms
 * here) and claims at once; its regular claim round (1 s) is the backstop.
 */
async function claimLatency(where: string, store: JobStore, rounds: number): Promise<number[]> {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', join(__dirname, 'claim-worker.ts'), where], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
  await sleep(300);
  const out: number[] = [];
  try {
    for (let i = 0; i < rounds + 3; i++) {
      const now = Date.now();
      const job: JobRecord = {
        id: randomUUID(),
        label: 'noop',
        status: 'pending',
        created_at: isoTime(now),
        started_at: null,
        completed_at: null,
        updated_at: isoTime(now),
        result: null,
        error: null,
        progress: null,
        call: { target: 'bench.claim.noop', args: [i] },
        attempt: 0,
        max_attempts: 1,
        run_at: isoTime(now),
        history: [],
      };
      const t0 = Date.now();
      await store.create(job);
      let started: JobRecord | undefined;
      for (let k = 0; k < 400 && !started?.started_at; k++) {
        await sleep(2);
        started = await store.get(job.id);
      }
      if (i >= 3 && started?.started_at) out.push(Date.parse(started.started_at) - t0); // the first rounds warm up
    }
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  return out.sort((a, b) => a - b);
}

export async function benchDurable(rounds = 40): Promise<void> {
  heading('Durable jobs: claim latency (pending → running in another process; ms, started_at − the create)');
  row(['store', 'p50', 'p99', 'max', 'rounds']);
  row(['---', '---:', '---:', '---:', '---:']);
  const dir = mkdtempSync(join(tmpdir(), 'smart-async-bench-claim-'));
  const file = new FileJobStore({ path: join(dir, 'jobs') });
  try {
    const lat = await claimLatency(`file:${join(dir, 'jobs')}`, file, rounds);
    row(['file', percentile(lat, 50), percentile(lat, 99), lat.at(-1)!, lat.length]);
  } finally {
    await file.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const pgUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
  const schema = `bench_claim_${randomUUID().slice(0, 8)}`;
  const pg = new PostgresJobStore({ connection: pgUrl, schema });
  try {
    const lat = await claimLatency(`postgres:${pgUrl}|${schema}`, pg, rounds);
    row(['postgres', percentile(lat, 50), percentile(lat, 99), lat.at(-1)!, lat.length]);
  } catch {
    row(['postgres', 'skipped (no PostgreSQL on 127.0.0.1:5432)', '', '', '']);
  } finally {
    await pg.close();
    const pool = new Pool({ connectionString: pgUrl });
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await pool.end();
  }
  const admin = new Redis({ lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await admin.connect();
    const prefix = `bench-claim-${randomUUID().slice(0, 8)}`;
    const redis = new RedisJobStore({ prefix });
    const lat = await claimLatency(`redis:redis://127.0.0.1:6379|${prefix}`, redis, rounds);
    row(['redis', percentile(lat, 50), percentile(lat, 99), lat.at(-1)!, lat.length]);
    await redis.close();
    const keys = await admin.keys(`${prefix}:*`);
    if (keys.length > 0) await admin.del(...keys);
  } catch {
    row(['redis', 'skipped (no Redis on 127.0.0.1:6379)', '', '', '']);
  } finally {
    admin.disconnect();
  }
}

if (require.main === module) void benchDurable();
