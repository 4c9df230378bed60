/**
 * `npm run bench`: every figure next to a baseline measured in the same run.
 * Sections: inline overhead, switch latency, memory store, file store, Redis (when it answers), and
 * the dashboard listing 1,000 jobs in headless Chromium (when /usr/bin/chromium is there).
 * Each section runs in a process of its own, so none inherits another's heap, JIT or timers.
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { benchDashboard } from './dashboard';
import { benchDurable } from './durable';
import { benchPostgres } from './postgres-store';
import { benchFrontDoor } from './front-door';
import { benchTelemetry } from './telemetry';
import { benchFileStore } from './file-store';
import { benchInline } from './inline';
import { benchMemoryStore } from './memory-store';
import { benchRedis } from './redis-store';
import { benchSwitch } from './switch';

const sections: Record<string, () => Promise<void>> = {
  inline: benchInline,
  switch: benchSwitch,
  memory: benchMemoryStore,
  file: benchFileStore,
  redis: benchRedis,
  postgres: benchPostgres,
  durable: benchDurable,
  'front-door': benchFrontDoor,
  telemetry: benchTelemetry,
  dashboard: benchDashboard,
};

async function main(): Promise<void> {
  const [first, second] = process.argv.slice(2);
  if (first === '--section') return sections[second!]!();
  const only = process.argv.slice(2);
  const unknown = only.filter((name) => !(name in sections));
  if (unknown.length > 0) throw new Error(`Unknown section(s) ${unknown.join(', ')}; expected some of ${Object.keys(sections).join(', ')}`);
  console.log(`# smart-async benchmarks — node ${process.version}, ${new Date().toISOString()}`);
  for (const name of Object.keys(sections)) {
    if (only.length > 0 && !only.includes(name)) continue;
    const child = spawnSync(process.execPath, [...process.execArgv, __filename, '--section', name], { stdio: 'inherit' });
    if (child.status !== 0) process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
