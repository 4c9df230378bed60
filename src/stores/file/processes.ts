import { readFile } from 'node:fs/promises';

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

/** @internal Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), or null where there is no /proc. */
export async function processStart(pid: number): Promise<string | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** @internal This process's start time, read once. */
export const ownStart: Promise<string | null> = processStart(process.pid);

/**
 * @internal Whether the process that wrote (`pid`, `start`) is still the one running with that
 * pid: the pid exists and, where /proc tells, started at that time (a reused pid — a restarted
 * container's pid 1, say — is another process).
 */
export async function sameProcessAlive(pid: number, start: string | null): Promise<boolean> {
  if (!pidAlive(pid)) return false;
  if (start === null) return true;
  const current = await processStart(pid);
  return current === null || current === start;
}
