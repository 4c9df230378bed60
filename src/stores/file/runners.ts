import { readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ownStart, pidAlive, processStart } from './processes';

/** What a runner file holds: the process of a JobManager and how long it vouches for its jobs. */
const runnerFileSchema = z.object({ pid: z.number().int(), start: z.string().nullable(), expiresAt: z.number().optional() });

interface RunnerInfo {
  pid: number;
  /** Start time the runner recorded for its process (from /proc), if any. */
  start: string | null;
  /** Until when its lease runs (epoch ms); absent in files of 0.1, whose pid alone tells. */
  expiresAt: number | undefined;
}

const safeName = /^[A-Za-z0-9._-]+$/;

/**
 * @internal The file store's lease mechanism: one file per runner (a JobManager) in `runners/`,
 * holding its pid, its process's start time and its lease expiry. A runner is dead once its
 * lease expired or, sooner, once its process is gone (the pid fast path: the pid exists and,
 * where /proc tells, started when the runner said, so a reused pid is not mistaken for it).
 */
export class Runners {
  private info = new Map<string, RunnerInfo>();

  constructor(private readonly dir: string) {}

  /** Writes (atomically) this process's runner file with a new lease expiry. */
  async renew(runner: string, expiresAt: number): Promise<void> {
    if (!safeName.test(runner)) throw new Error(`Invalid runner id ${JSON.stringify(runner)}`);
    const file = join(this.dir, runner);
    const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
    await writeFile(tmp, JSON.stringify({ pid: process.pid, start: await ownStart, expiresAt }), { mode: 0o600 });
    await rename(tmp, file);
  }

  /** Reads every runner file again (a torn or unreadable one counts as absent). */
  async refresh(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const next = new Map<string, RunnerInfo>();
    await Promise.all(
      names.map(async (name) => {
        if (name.includes('.tmp-')) return;
        try {
          const { pid, start, expiresAt } = runnerFileSchema.parse(JSON.parse(await readFile(join(this.dir, name), 'utf8')));
          next.set(name, { pid, start, expiresAt });
        } catch {
          // unreadable or half-written: treated as absent
        }
      }),
    );
    this.info = next;
  }

  /**
   * Whether a runner vouches for its jobs at `now` (after `refresh()`): `alive`; `expired` (its
   * process lives but its lease ran out); `gone` (no file, or its process is gone).
   */
  async state(runner: string, now: number): Promise<'alive' | 'expired' | 'gone'> {
    const info = this.info.get(runner);
    if (!info || !pidAlive(info.pid)) return 'gone';
    if (info.start !== null) {
      const current = await processStart(info.pid);
      if (current !== null && current !== info.start) return 'gone';
    }
    return info.expiresAt !== undefined && info.expiresAt < now ? 'expired' : 'alive';
  }

  /** Removes the files of runners whose process is gone. */
  async removeDead(dead: Iterable<string>): Promise<void> {
    await Promise.all(Array.from(dead, (name) => unlink(join(this.dir, name)).catch(() => undefined)));
  }

  /** Runner files known after the last refresh. */
  names(): string[] {
    return Array.from(this.info.keys());
  }
}
