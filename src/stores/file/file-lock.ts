import { randomUUID } from 'node:crypto';
import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import { StoreUnavailableError } from '../../errors';

/** @internal Whether a process with this pid exists on this machine. */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * @internal An exclusive lock between processes of one machine: a file created with O_EXCL
 * that holds the owner's pid. A lock whose owner died (kill -9) is broken at once; one whose
 * content never got written is broken after a second.
 */
export class FileLock {
  constructor(
    private readonly path: string,
    private readonly timeoutMs: number,
  ) {}

  /** Runs `fn` holding the lock. @throws StoreUnavailableError when the lock cannot be had in time. */
  async with<T>(fn: () => Promise<T>): Promise<T> {
    await this.acquire();
    try {
      return await fn();
    } finally {
      await unlink(this.path).catch(() => undefined);
    }
  }

  private async acquire(): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        const fh = await open(this.path, 'wx', 0o600);
        try {
          await fh.writeFile(String(process.pid));
        } finally {
          await fh.close();
        }
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new StoreUnavailableError(`Cannot create lock file ${this.path}: ${(e as Error).message}`, { cause: e });
        }
      }
      if (await this.breakIfAbandoned()) continue;
      if (Date.now() > deadline) throw new StoreUnavailableError(`Timed out after ${this.timeoutMs} ms waiting for lock ${this.path}`);
      await sleep(Math.min(20, 1 + attempt));
    }
  }

  /** Removes the lock if its holder is gone. Returns whether it did. */
  private async breakIfAbandoned(): Promise<boolean> {
    let holder: string;
    let age: number;
    try {
      [holder, age] = await Promise.all([readFile(this.path, 'utf8'), stat(this.path).then((s) => Date.now() - s.mtimeMs)]);
    } catch {
      return true; // released meanwhile
    }
    const abandoned = holder === '' ? age > 1000 : !pidAlive(Number(holder));
    if (!abandoned) return false;
    // Move it aside first, so that of two processes breaking it only one succeeds, then make
    // sure what was moved is the abandoned lock and not a fresh one.
    const aside = `${this.path}.${randomUUID()}`;
    try {
      await rename(this.path, aside);
    } catch {
      return true;
    }
    const moved = await readFile(aside, 'utf8').catch(() => '');
    if (moved !== holder) await rename(aside, this.path).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    return true;
  }
}
