#!/usr/bin/env node
/**
 * The `smart-async` command: see a store's jobs from a terminal or a browser.
 *
 *   smart-async jobs list|show <id>|watch|cancel <id>|retry <id>|prune|health  --file <dir> | --redis <url> [--prefix <p>] | --postgres <url> [--schema <s>] [--json]
 *   smart-async dashboard --port <n>  (same store flags)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Command, InvalidArgumentError, Option } from 'commander';
import { isActive, JOB_STATUSES, parseEnvDuration, type JobManager, type JobStatus } from '../index';
import { dashboardHandler } from '../http';
import { details, healthText, table } from './format';
import { CliError, openStore, type StoreFlags } from './open-store';
import { watch } from './watch';

interface CommonFlags extends StoreFlags {
  json?: boolean;
}

const positiveInt =
  (name: string, max: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new InvalidArgumentError(`${name} must be a whole number from 1 to ${max}`);
    return n;
  };

const statusList = (value: string): JobStatus[] => {
  const list = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of list)
    if (!JOB_STATUSES.includes(s as JobStatus))
      throw new InvalidArgumentError(`unknown status "${s.slice(0, 40)}" (one of ${JOB_STATUSES.join(', ')})`);
  return list as JobStatus[];
};

const duration = (value: string): number => {
  try {
    return parseEnvDuration('--older-than', value);
  } catch {
    throw new InvalidArgumentError('a duration such as 90s, 30m, 12h');
  }
};

/** Adds the store flags (and --json) to a command. */
function storeFlags(cmd: Command): Command {
  return cmd
    .addOption(new Option('--file <dir>', 'a FileJobStore directory').conflicts(['redis', 'postgres']))
    .addOption(new Option('--redis <url>', 'a RedisJobStore, e.g. redis://127.0.0.1:6379').conflicts('postgres'))
    .option('--prefix <prefix>', 'the Redis key prefix (default: smart-async)')
    .option('--postgres <url>', 'a PostgresJobStore, e.g. postgres://user@127.0.0.1:5432/app')
    .option('--schema <schema>', 'the PostgreSQL schema (default: smart_async)')
    .option('--timeout <ms>', 'how long a store call may take', positiveInt('--timeout', 600_000), 3_000)
    .option('--json', 'print JSON (for scripts)');
}

/** Runs an action on the opened store, then closes it. */
async function withStore<T extends CommonFlags>(flags: T, fn: (manager: JobManager, name: string) => Promise<void>): Promise<void> {
  const { manager, name } = await openStore(flags);
  try {
    await fn(manager, name);
  } finally {
    await manager.close();
  }
}

const print = (text: string): void => void process.stdout.write(`${text}\n`);
const json = (value: unknown): void => print(JSON.stringify(value, null, 2));

/** The program, for tests and for the bin. */
export function program(): Command {
  const cli = new Command('smart-async').description('See and control smart-async jobs in a file or Redis store.').showHelpAfterError();
  const jobs = cli.command('jobs').description("List, show, watch, cancel and prune jobs; check a store's health.");

  storeFlags(jobs.command('list').description('Jobs, newest first.'))
    .option('--status <statuses>', 'only these statuses, comma-separated', statusList)
    .option('--label <label>', 'only jobs with this label')
    .option('--limit <n>', 'at most this many', positiveInt('--limit', 10_000), 50)
    .action((flags: CommonFlags & { status?: JobStatus[]; label?: string; limit: number }) =>
      withStore(flags, async (m) => {
        const list = await m.list({ status: flags.status, label: flags.label, limit: flags.limit });
        flags.json ? json(list) : print(table(list));
      }),
    );

  storeFlags(
    jobs.command('show').argument('<id>', 'the job id').description("One job's record: status, progress, error or result."),
  ).action((id: string, flags: CommonFlags) =>
    withStore(flags, async (m, name) => {
      const job = await m.get(id);
      if (!job) throw new CliError(`No job ${id.slice(0, 100)} in ${name}`);
      flags.json ? json(job) : print(details(job));
    }),
  );

  storeFlags(
    jobs.command('watch').description('Follow running jobs: progress bars on a terminal, a line per change otherwise (Ctrl-C to stop).'),
  )
    .option('--status <statuses>', 'follow these statuses instead of pending,running', statusList)
    .option('--label <label>', 'only jobs with this label')
    .option('--interval <ms>', 'how often to read the store', positiveInt('--interval', 60_000), 500)
    .action((flags: CommonFlags & { status?: JobStatus[]; label?: string; interval: number }) =>
      withStore(flags, async (m, name) => {
        const stop = new AbortController();
        const quit = (): void => stop.abort();
        process.once('SIGINT', quit).once('SIGTERM', quit);
        process.stderr.write(`Watching ${name} (Ctrl-C to stop)\n`);
        await watch(m, {
          status: flags.status,
          label: flags.label,
          intervalMs: flags.interval,
          json: flags.json === true,
          tty: process.stdout.isTTY === true,
          out: process.stdout,
          signal: stop.signal,
        });
      }),
    );

  storeFlags(
    jobs.command('cancel').argument('<id>', 'the job id').description('Cancel a pending or running job; its work is told to stop.'),
  )
    .option('--reason <text>', "why (kept in the job's error)")
    .action((id: string, flags: CommonFlags & { reason?: string }) =>
      withStore(flags, async (m, name) => {
        const before = await m.get(id);
        if (!before) throw new CliError(`No job ${id.slice(0, 100)} in ${name}`);
        const job = await m.cancel(id, (flags.reason ?? 'Cancelled from the command line').slice(0, 1_000));
        const cancelledNow = isActive(before.status) && job.status === 'cancelled';
        flags.json ? json(job) : print(cancelledNow ? `Cancelled ${job.id}` : `${job.id} had already ended: ${job.status}`);
      }),
    );

  storeFlags(
    jobs
      .command('retry')
      .argument('<id>', 'the job id')
      .description('Run a durable job that failed or went stale again, as a new job with the same call (an app process claims it).'),
  ).action((id: string, flags: CommonFlags) =>
    withStore(flags, async (m) => {
      const job = await m.retry(id);
      flags.json ? json(job) : print(`Retrying ${id} as ${job.id} (pending: a process that knows ${job.call?.target} runs it)`);
    }),
  );

  storeFlags(jobs.command('prune').description('Delete finished jobs (never pending or running ones).'))
    .option('--older-than <duration>', 'only jobs finished at least this long ago (90s, 30m, 12h)', duration)
    .option('--status <statuses>', 'only these final statuses', statusList)
    .action((flags: CommonFlags & { olderThan?: number; status?: JobStatus[] }) =>
      withStore(flags, async (m) => {
        const deleted = await m.prune({ olderThanMs: flags.olderThan, statuses: flags.status });
        flags.json ? json({ deleted }) : print(`Deleted ${deleted} job${deleted === 1 ? '' : 's'}`);
      }),
    );

  storeFlags(jobs.command('health').description('Jobs per status; exits 1 when the store does not answer.')).action((flags: CommonFlags) =>
    withStore(flags, async (m, name) => {
      const h = await m.health();
      const { running_here: _here, oldest_active: _oldest, uptime: _uptime, ...report } = h;
      flags.json ? json({ ...report, name }) : print(healthText(h, name));
      if (h.status !== 'ok') process.exitCode = 1;
    }),
  );

  storeFlags(cli.command('dashboard').description('Serve the jobs dashboard: live progress, filters, records, cancel.'))
    .option('--port <n>', 'the port', positiveInt('--port', 65_535), 4_400)
    .option('--host <host>', 'the address to listen on', '127.0.0.1')
    .option('--read-only', 'no cancel button')
    .action(async (flags: CommonFlags & { port: number; host: string; readOnly?: boolean }) => {
      const { manager, name } = await openStore(flags);
      const handler = dashboardHandler({ owner: 'none', manager, cancel: flags.readOnly !== true, title: `smart-async jobs — ${name}` });
      const server = createServer((req, res) => handler(req, res));
      try {
        await new Promise<void>((resolve, reject) => server.once('error', reject).listen(flags.port, flags.host, resolve));
      } catch (e) {
        await manager.close();
        throw new CliError(`Cannot listen on ${flags.host}:${flags.port}: ${(e as Error).message}`);
      }
      const { address, port } = server.address() as AddressInfo;
      print(`Dashboard of ${name} on http://${address.includes(':') ? `[${address}]` : address}:${port}/ (Ctrl-C to stop)`);
      const quit = (): void => {
        server.close();
        server.closeAllConnections();
        void manager.close().then(() => process.exit(0));
      };
      process.once('SIGINT', quit).once('SIGTERM', quit);
    });
  return cli;
}

/** Runs the command line; a failure is one line on stderr and exit code 1. */
export async function main(argv: string[]): Promise<void> {
  try {
    await program().parseAsync(argv);
  } catch (e) {
    process.stderr.write(`smart-async: ${e instanceof Error ? e.message : String(e)}\n`);
    // Exit now: a store that could not be opened may still hold sockets or lock waits open, and
    // the command's answer (one line, exit 1) must come within --timeout.
    process.exit(1);
  }
}

if (require.main === module) void main(process.argv);
