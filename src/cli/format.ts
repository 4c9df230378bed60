import { formatDuration, type HealthReport, type JobRecord } from '../index';

/** A job's progress in percent, when it has a total. */
export function percent(job: JobRecord): number | null {
  if (job.status === 'completed') return 100;
  const p = job.progress;
  return p && p.total !== undefined && p.total > 0 ? Math.min(100, Math.round((p.current / p.total) * 100)) : null;
}

/** How long a job has run (or ran), as text. */
export function elapsed(job: JobRecord, now = Date.now()): string {
  const start = Date.parse(job.started_at ?? job.created_at);
  const end = job.completed_at ? Date.parse(job.completed_at) : now;
  return formatDuration(end - start);
}

/** What a job is doing or why it ended, in one line. */
export function note(job: JobRecord): string {
  if (job.error) return job.error.code ? `${job.error.code}: ${job.error.message}` : job.error.message;
  return job.progress?.message ?? '';
}

const clip = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
/** Printable text: control characters (a label or message could hold terminal escapes) shown as `?`. */
export const printable = (s: string): string => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');

/** Jobs as an aligned table, newest first. */
export function table(jobs: JobRecord[]): string {
  if (jobs.length === 0) return 'No jobs.';
  const rows = [['ID', 'STATUS', 'PROGRESS', 'ELAPSED', 'LABEL', 'NOTE']];
  for (const j of jobs) {
    const p = percent(j);
    rows.push([j.id, j.status, p === null ? '-' : `${p}%`, elapsed(j), clip(printable(j.label), 40), clip(printable(note(j)), 60)]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One job, field by field. */
export function details(job: JobRecord): string {
  const p = percent(job);
  const lines: Array<[string, string | null | undefined]> = [
    ['id', job.id],
    ['label', printable(job.label)],
    ['status', job.status],
    ['owner', job.owner === undefined ? undefined : printable(job.owner)],
    ['created', job.created_at],
    ['started', job.started_at],
    ['ended', job.completed_at],
    ['elapsed', elapsed(job)],
    [
      'progress',
      job.progress
        ? `${job.progress.current}${job.progress.total !== undefined ? ` / ${job.progress.total}` : ''}${p !== null ? ` (${p}%)` : ''}`
        : undefined,
    ],
    ['message', job.progress?.message === undefined ? undefined : printable(job.progress.message)],
    ['error', job.error ? printable(note(job)) : undefined],
    ['result', job.status === 'completed' ? printable(JSON.stringify(job.result)) : undefined],
    ['call', job.call ? printable(`${job.call.target}(${JSON.stringify(job.call.args).slice(1, -1)})`).slice(0, 200) : undefined],
    ['attempt', job.call ? `${job.attempt ?? 0} of ${job.max_attempts ?? 1}` : undefined],
    ['due', job.status === 'pending' ? job.run_at : undefined],
    ['retry of', job.retry_of],
    ...(job.history ?? []).map((h): [string, string] => [
      `try ${h.attempt}`,
      printable(`${h.status}${h.error ? ` (${h.error.code ? `${h.error.code}: ` : ''}${h.error.message})` : ''} at ${h.ended_at}`),
    ]),
  ];
  return lines
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k.padEnd(9)}${v}`)
    .join('\n');
}

/** The store's health, line by line. */
export function healthText(h: HealthReport, name: string): string {
  const counts = Object.entries(h.counts)
    .map(([s, n]) => `${s} ${n}`)
    .join(', ');
  const lines = [`store    ${name}`, `status   ${h.status}${h.error ? ` (${h.error})` : ''}`, `jobs     ${h.total} (${counts})`];
  if (h.unclaimed)
    lines.push(
      `waiting  ${h.unclaimed} durable job(s) due but unclaimed: no running process knows ${h.unclaimed_targets!.map(printable).join(', ')}`,
    );
  return lines.join('\n');
}
