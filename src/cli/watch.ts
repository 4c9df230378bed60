import { setTimeout as sleep } from 'node:timers/promises';
import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import { type JobManager, type JobRecord, type JobStatus } from '../index';
import { elapsed, note, percent, printable } from './format';

/** Options of `jobs watch`. */
export interface WatchOptions {
  /** Which jobs to follow. @default pending and running */
  status?: JobStatus[];
  label?: string;
  intervalMs: number;
  /** One JSON object per line and change, for scripts. */
  json: boolean;
  /** Draw progress bars (a terminal); otherwise one line per change. */
  tty: boolean;
  out: NodeJS.WritableStream;
  signal: AbortSignal;
}

/** What is drawn for a job: a change of any of these is a change worth showing. */
const keyOf = (j: JobRecord): string =>
  `${j.status}|${j.progress?.current}|${j.progress?.total}|${j.progress?.message}|${j.error?.message}`;

interface Shown {
  key: string;
  bar?: SingleBar;
}

/**
 * Follows jobs until the signal aborts: live progress bars (label, percent, message, elapsed) on
 * a terminal, else one line per change; a job that leaves the followed set is shown once more
 * with the status it ended in. Reads the store every `intervalMs`; a failing read is reported
 * once and retried.
 */
export async function watch(manager: JobManager, opts: WatchOptions): Promise<void> {
  const shown = new Map<string, Shown>();
  const bars =
    opts.tty && !opts.json
      ? new MultiBar(
          {
            format: ' {status} {bar} {percentage}% | {label} | {elapsed} | {note}',
            hideCursor: true,
            clearOnComplete: false,
            stopOnComplete: false,
            barsize: 24,
            forceRedraw: true,
          },
          Presets.shades_classic,
        )
      : undefined;
  const line = (j: JobRecord): void => {
    if (opts.json)
      return void opts.out.write(
        `${JSON.stringify({ at: new Date().toISOString(), id: j.id, label: j.label, status: j.status, progress: j.progress, error: j.error })}\n`,
      );
    const p = percent(j);
    const n = note(j);
    const text = `${new Date().toISOString()}  ${j.id}  ${j.status.padEnd(9)}  ${(p === null ? '-' : `${p}%`).padStart(4)}  ${elapsed(j).padStart(7)}  ${printable(j.label)}${n ? `  ${printable(n)}` : ''}`;
    if (bars) bars.log(`${text}\n`);
    else opts.out.write(`${text}\n`);
  };
  const payload = (j: JobRecord): Record<string, string> => ({
    status: j.status.padEnd(9),
    label: printable(j.label).slice(0, 40),
    elapsed: elapsed(j),
    note: printable(note(j)).slice(0, 60),
  });
  const show = (j: JobRecord, s: Shown | undefined): void => {
    const key = keyOf(j);
    if (s?.key === key) return;
    if (bars) {
      const total = j.progress?.total ?? 0;
      const value = j.status === 'completed' ? total || 1 : (j.progress?.current ?? 0);
      if (s?.bar) {
        s.bar.setTotal(total || 1);
        s.bar.update(value, payload(j));
        s.key = key;
        return;
      }
      shown.set(j.id, { key, bar: bars.create(total || 1, value, payload(j)) });
      return;
    }
    line(j);
    shown.set(j.id, { key });
  };
  const end = (id: string, s: Shown, j: JobRecord | undefined): void => {
    shown.delete(id);
    if (s.bar) bars?.remove(s.bar);
    if (j) line(j);
  };
  let failing = false;
  while (!opts.signal.aborted) {
    try {
      const jobs = await manager.list({ status: opts.status ?? ['pending', 'running'], label: opts.label, limit: 200 });
      const now = new Set(jobs.map((j) => j.id));
      for (const j of jobs.slice().reverse()) show(j, shown.get(j.id));
      for (const [id, s] of [...shown]) {
        if (now.has(id)) continue;
        end(id, s, await manager.get(id));
      }
      failing = false;
    } catch (e) {
      if (!failing) process.stderr.write(`smart-async: cannot read the store: ${(e as Error).message} (retrying)\n`);
      failing = true;
    }
    bars?.update();
    // (timers/promises removes its abort listener when the timer fires: none pile up on the signal.)
    await sleep(opts.intervalMs, undefined, { signal: opts.signal }).catch(() => undefined);
  }
  bars?.stop();
}
