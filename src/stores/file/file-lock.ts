import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { StoreUnavailableError } from '../../common/errors';
import { ownStart, sameProcessAlive } from './processes';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Tokens of the locks this process holds now (several stores in one process may share a path). */
const heldHere = new Set<string>();

/** What a lock file says: `pid start token` (0.1 wrote the pid alone). */
function parseHolder(text: string): { pid: number; start: string | null; token: string | null } | undefined {
  const [pid, start, token] = text.trim().split(' ');
  if (!pid || !/^\d+$/.test(pid)) return undefined;
  return { pid: Number(pid), start: start && start !== '-' ? start : null, token: token ?? null };
}

/**
 * @internal An exclusive lock between processes of one machine: a file created with O_EXCL
 * (which never follows a symbolic link) that holds its owner's pid, process start time and a
 * random token. A lock is broken at once when its holder is gone: its pid is dead, belongs to a
 * process that started at another time (a reused pid), or is this very process while no store
 * here holds that token (a previous life of this pid). One whose content never got written is
 * broken after a second. Waiting backs off and gives up after `timeoutMs`, whatever is in the way.
 */
export class FileLock {
  constructor(
    private readonly path: string,
    private readonly timeoutMs: number,
  ) {}

  /** Runs `fn` holding the lock. @throws StoreUnavailableError when the lock cannot be had in time. */
  async with<T>(fn: () => Promise<T>): Promise<T> {
    const token = await this.acquire();
    try {
      return await fn();
    } finally {
      heldHere.delete(token);
      await unlink(this.path).catch(() => undefined);
    }
  }

  private async acquire(): Promise<string> {
    const deadline = Date.now() + this.timeoutMs;
    const token = randomUUID();
    const content = `${process.pid} ${(await ownStart) ?? '-'} ${token}`;
    let why = 'another process holds it';
    for (let attempt = 0; ; attempt++) {
      try {
        const fh = await open(this.path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        try {
          await fh.writeFile(content);
        } finally {
          await fh.close();
        }
        heldHere.add(token);
        return token;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new StoreUnavailableError(`Cannot create lock file ${this.path}: ${(e as Error).message}`, { cause: e });
        }
      }
      const state = await this.inspect();
      if (state === 'broken' || state === 'gone') continue; // try again at once
      if (state !== 'held') why = state;
      if (Date.now() > deadline)
        throw new StoreUnavailableError(`Timed out after ${this.timeoutMs} ms waiting for lock ${this.path} (${why})`);
      await sleep(Math.min(50, 2 + attempt * 2));
    }
  }

  /**
   * Looks at the lock in the way: `gone` (released meanwhile), `broken` (its holder was gone and
   * this call removed it), `held`, or why it cannot be judged (not a file, not readable).
   */
  private async inspect(): Promise<'gone' | 'broken' | 'held' | string> {
    let text: string;
    let age: number;
    try {
      const st = await stat(this.path);
      if (!st.isFile()) return `${this.path} is not a regular file`;
      age = Date.now() - st.mtimeMs;
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? 'gone' : `cannot read it: ${code ?? (e as Error).message}`;
    }
    const holder = parseHolder(text);
    let abandoned: boolean;
    if (!holder)
      abandoned = age > 1000; // being written, or garbage: give it a second
    else if (holder.pid === process.pid) abandoned = holder.token === null || !heldHere.has(holder.token);
    else abandoned = !(await sameProcessAlive(holder.pid, holder.start));
    if (!abandoned) return 'held';
    // Move it aside first, so that of two processes breaking it only one succeeds, then make
    // sure what was moved is the abandoned lock and not a fresh one.
    const aside = `${this.path}.${randomUUID()}`;
    try {
      await rename(this.path, aside);
    } catch {
      return 'gone';
    }
    const moved = await readFile(aside, 'utf8').catch(() => '');
    if (moved !== text) await rename(aside, this.path).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    return 'broken';
  }
}
