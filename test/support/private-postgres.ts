import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis-server';

/**
 * A private PostgreSQL cluster on a free port, for restart and outage tests (the machine's shared
 * server is never touched): initdb and pg_ctl run as the `postgres` user; trust auth on 127.0.0.1.
 */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const root = mkdtempSync(join(tmpdir(), 'smart-async-pg-'));
    chmodSync(root, 0o755);
    const dir = join(root, 'data');
    execFileSync('install', ['-d', '-o', 'postgres', '-g', 'postgres', '-m', '0700', dir]);
    chownSync(root, 0, 0);
    const pg = new PrivatePostgres(await freePort(), dir);
    execFileSync('runuser', ['-u', 'postgres', '--', 'initdb', '-D', dir, '-A', 'trust', '-U', 'postgres', '--no-sync'], {
      stdio: 'ignore',
    });
    pg.ctl('start');
    return pg;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Stops it (fast: running transactions are rolled back, committed ones are kept) and starts it again. */
  restart(): void {
    this.ctl('restart');
  }

  stop(): void {
    this.ctl('stop');
  }

  start(): void {
    this.ctl('start');
  }

  remove(): void {
    try {
      this.ctl('stop');
    } catch {
      // already stopped
    }
    rmSync(join(this.dir, '..'), { recursive: true, force: true });
  }

  private ctl(what: 'start' | 'stop' | 'restart'): void {
    const opts = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    execFileSync(
      'runuser',
      ['-u', 'postgres', '--', 'pg_ctl', '-D', this.dir, '-o', opts, '-m', 'fast', '-w', '-l', join(this.dir, 'log'), what],
      { stdio: 'ignore' },
    );
  }
}
