import { SmartAsyncConfigError } from './errors';

const DURATION = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?\s*$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration from an environment variable: plain seconds (`"120"`, `"2.5"`) or a number
 * with a unit (`"500ms"`, `"30s"`, `"2m"`, `"1h"`). Returns milliseconds.
 *
 * @throws SmartAsyncConfigError naming the variable and the value when it is not a positive duration.
 */
export function parseEnvDuration(name: string, value: string): number {
  const m = DURATION.exec(value);
  const ms = m ? Number(m[1]) * (UNIT_MS[m[2] ?? 's'] ?? 1000) : NaN;
  if (!(ms > 0) || !Number.isFinite(ms)) {
    throw new SmartAsyncConfigError(
      `Expected environment variable \`${name}\` to be a positive duration ("120", "2.5", "500ms", "30s", "2m"), got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

/** A human-readable duration: `"850ms"`, `"42s"`, `"3m 12s"`, `"2h 5m"`, `"3d 4h"`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}
