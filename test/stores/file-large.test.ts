import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileJobStore, JobManager } from '../../src';
import { ticketOf } from '../fixtures/ticket';

/**
 * A log larger than the longest string V8 makes (~512 MiB): the store reads and writes it in
 * chunks, so it opens and keeps working (it used to become unusable for good).
 */
test('a log over 512 MiB opens, is read whole, and takes new jobs', async () => {
  const root = mkdtempSync(join(tmpdir(), 'smart-async-large-'));
  try {
    const path = join(root, 'store');
    mkdirSync(path, { mode: 0o700 });
    const out = createWriteStream(join(path, 'jobs.jsonl'), { mode: 0o600 });
    const pad = 'x'.repeat(1 << 20);
    const now = new Date().toISOString();
    for (let i = 0; i < 560; i++) {
      const job = {
        id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
        label: 'big',
        status: 'completed',
        created_at: now,
        started_at: now,
        completed_at: now,
        updated_at: now,
        result: pad,
        error: null,
        progress: null,
      };
      if (!out.write(`${JSON.stringify({ op: 'put', by: 'w', run: 'w', job })}\n`))
        await new Promise<void>((r) => out.once('drain', () => r()));
    }
    await new Promise<void>((r) => out.end(() => r()));
    const m = new JobManager(new FileJobStore({ path, compactMinBytes: 1 << 30, onWarning: () => undefined }), {
      retention: { maxJobs: 100_000 },
      storeTimeoutMs: 60_000, // opening reads 590 MB: seconds on a busy machine
      onWarning: () => undefined,
    });
    try {
      const health = await m.health();
      expect(health).toMatchObject({ status: 'ok' });
      expect(health.counts.completed).toBe(560);
      expect((await m.get('00000000-0000-4000-8000-000000000559'))?.result).toHaveLength(1 << 20);
      const t = ticketOf(await m.launch(async () => 'small', { label: 'new', asyncMode: true }));
      expect((await m.wait(t.job_id)).result).toBe('small');
    } finally {
      await m.close();
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}, 120_000);
