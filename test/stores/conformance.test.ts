import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { FileJobStore, MemoryJobStore } from '../../src';
import { Pool } from 'pg';
import { PostgresJobStore } from '../../src/postgres';
import { RedisJobStore } from '../../src/redis';
import { describeJobStore } from '../../src/testing';
import { TableJobStore } from '../../samples/custom-store';

/** The store contract, written once, run on every built-in store and on the sample custom store. */
const dirs: string[] = [];
const prefixes: string[] = [];
afterAll(async () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  const admin = new Redis('redis://127.0.0.1:6379');
  for (const p of prefixes) {
    const keys = await admin.keys(`${p}:*`); // test cleanup only; the store itself never scans
    if (keys.length > 0) await admin.del(...keys);
  }
  await admin.quit();
  const pg = new Pool({ connectionString: PG_URL });
  for (const s of schemas) await pg.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await pg.end();
});

/** The machine's PostgreSQL (trust auth); each store of the suite gets a schema of its own, dropped after. */
const PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const schemas: string[] = [];

describeJobStore('MemoryJobStore', () => new MemoryJobStore(), { claims: true, idempotency: true });

describeJobStore(
  'FileJobStore',
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'smart-async-conf-'));
    dirs.push(dir);
    return new FileJobStore({ path: join(dir, 'store'), watchIntervalMs: 25, onWarning: () => undefined });
  },
  {
    leases: true,
    claims: true,
    openAgain: (s) => new FileJobStore({ path: (s as FileJobStore).path, watchIntervalMs: 25, onWarning: () => undefined }),
  },
);

describeJobStore(
  'RedisJobStore',
  () => {
    const prefix = `conf-${randomUUID().slice(0, 8)}`;
    prefixes.push(prefix);
    return new RedisJobStore({ prefix, onWarning: () => undefined });
  },
  {
    leases: true,
    claims: true,
    idempotency: true,
    openAgain: (s) => new RedisJobStore({ prefix: (s as RedisJobStore).prefix, onWarning: () => undefined }),
  },
);

describeJobStore('samples/custom-store.ts', () => new TableJobStore(), { leases: true });

describeJobStore(
  'PostgresJobStore',
  () => {
    const schema = `conf_${randomUUID().slice(0, 8)}`;
    schemas.push(schema);
    return new PostgresJobStore({ connection: PG_URL, schema, onWarning: () => undefined });
  },
  {
    leases: true,
    claims: true,
    idempotency: true,
    openAgain: (s) => new PostgresJobStore({ connection: PG_URL, schema: (s as PostgresJobStore).schema, onWarning: () => undefined }),
  },
);
