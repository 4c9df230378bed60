/**
 * `npm run bench`: every figure next to a baseline measured in the same run.
 * Sections: inline overhead, switch latency, memory store, file store (and Redis when it answers).
 */
import 'reflect-metadata';
import { benchFileStore } from './file-store';
import { benchInline } from './inline';
import { benchMemoryStore } from './memory-store';
import { benchRedis } from './redis-store';
import { benchSwitch } from './switch';

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const want = (name: string): boolean => only.length === 0 || only.includes(name);
  console.log(`# smart-async benchmarks — node ${process.version}, ${new Date().toISOString()}`);
  if (want('inline')) await benchInline();
  if (want('switch')) await benchSwitch();
  if (want('memory')) await benchMemoryStore();
  if (want('file')) await benchFileStore();
  if (want('redis')) await benchRedis();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
