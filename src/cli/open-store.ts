import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { FileJobStore, JobManager, type JobStore } from '../index';

/** The store flags every command takes. */
export interface StoreFlags {
  file?: string;
  redis?: string;
  prefix?: string;
  postgres?: string;
  schema?: string;
  /** How long a store call may take, in ms. */
  timeout?: number;
}

/** An error the CLI prints as one line and exits 1 with. */
export class CliError extends Error {
  /** Stable code of every CLI failure. */
  readonly code = 'CLI_ERROR';
}

/** A manager over the store the flags name, and the store's name for messages. */
export interface OpenStore {
  manager: JobManager;
  name: string;
}

const warn = (message: string): void => void process.stderr.write(`smart-async: warning: ${message}\n`);

function makeStore(flags: StoreFlags, warn: (message: string) => void): { store: JobStore; name: string } {
  if ([flags.file, flags.redis, flags.postgres].filter((f) => f !== undefined).length > 1)
    throw new CliError('Name one store: --file <dir>, --redis <url> or --postgres <url>');
  if (flags.file !== undefined) {
    const path = resolve(flags.file);
    const name = `the file store at ${path}`;
    let isDir = false;
    try {
      isDir = statSync(path).isDirectory();
    } catch (e) {
      throw new CliError(
        `Cannot open ${name}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (e as Error).message}`,
      );
    }
    if (!isDir) throw new CliError(`Cannot open ${name}: not a directory`);
    // A lock held by a stopped process must not outlast --timeout.
    return { store: new FileJobStore({ path, onWarning: warn, lockTimeoutMs: flags.timeout ?? 3_000 }), name };
  }
  if (flags.redis !== undefined) {
    const prefix = flags.prefix ?? 'smart-async';
    const name = `the Redis store at ${redact(flags.redis)} (prefix ${prefix})`;
    let redis: typeof import('../redis');
    try {
      redis = require('../redis') as typeof import('../redis');
    } catch {
      throw new CliError('--redis needs ioredis: npm install ioredis');
    }
    try {
      return {
        store: new redis.RedisJobStore({ connection: flags.redis, prefix, connectTimeoutMs: flags.timeout ?? 3_000, onWarning: warn }),
        name,
      };
    } catch (e) {
      throw new CliError(`Cannot open ${name}: ${(e as Error).message}`);
    }
  }
  if (flags.postgres !== undefined) {
    const schema = flags.schema ?? 'smart_async';
    const name = `the PostgreSQL store at ${redact(flags.postgres)} (schema ${schema})`;
    let postgres: typeof import('../postgres');
    try {
      postgres = require('../postgres') as typeof import('../postgres');
    } catch {
      throw new CliError('--postgres needs pg: npm install pg');
    }
    try {
      const timeout = flags.timeout ?? 3_000;
      const store = new postgres.PostgresJobStore({
        connection: { connectionString: flags.postgres, connectionTimeoutMillis: timeout, query_timeout: timeout },
        schema,
        onWarning: warn,
      });
      return { store, name };
    } catch (e) {
      throw new CliError(`Cannot open ${name}: ${(e as Error).message}`);
    }
  }
  throw new CliError('Name a store: --file <dir>, --redis <url> or --postgres <url> (see --help)');
}

/** A Redis URL without its password. */
function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/**
 * Opens the store the flags name, under a JobManager (reads and cancels go through it, as in an
 * app), and reads it once so a store that cannot be opened fails here, named.
 * @throws CliError naming the store.
 */
export async function openStore(flags: StoreFlags): Promise<OpenStore> {
  // Until the store answered once, warnings (the store's and the manager's) are held back: a store
  // that cannot be opened is one line, not three.
  const held: string[] = [];
  let opened = false;
  const onWarning = (message: string): void => (opened ? warn(message) : void held.push(message));
  const { store, name } = makeStore(flags, onWarning);
  const manager = new JobManager(store, { storeTimeoutMs: flags.timeout ?? 3_000, closeGraceMs: 0, onWarning });
  try {
    await manager.list({ limit: 1 });
  } catch (e) {
    void manager.close().catch(() => undefined); // the CLI exits at once after its one line (see main)
    throw new CliError(`Cannot open ${name}: ${(e as Error).message}`);
  }
  opened = true;
  held.forEach(warn);
  return { manager, name };
}
