import { spawn, type ChildProcess } from 'node:child_process';

/** A child process whose stdout lines are collected, with a way to wait for one. */
export interface Child {
  child: ChildProcess;
  lines: string[];
  next: (re: RegExp, timeoutMs?: number) => Promise<string>;
}

const started: ChildProcess[] = [];

/** Starts a compiled fixture with node and collects its output lines. Killed by `killChildren()`. */
export function startChild(script: string, args: string[]): Child {
  const child = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  started.push(child);
  const lines: string[] = [];
  let buf = '';
  const waiting: Array<() => void> = [];
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    const parts = buf.split('\n');
    buf = parts.pop()!;
    lines.push(...parts);
    waiting.splice(0).forEach((w) => w());
  });
  const next = (re: RegExp, timeoutMs = 20_000): Promise<string> =>
    new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no line matching ${re} in ${JSON.stringify(lines)}`)), timeoutMs);
      const check = (): void => {
        const hit = lines.find((l) => re.test(l));
        if (hit) {
          clearTimeout(t);
          resolve(hit);
        } else waiting.push(check);
      };
      check();
    });
  return { child, lines, next };
}

/** Resolves when the child has exited. */
export function exited(c: ChildProcess): Promise<void> {
  return c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r()));
}

/** SIGKILLs every child still running. */
export function killChildren(): void {
  for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
}
