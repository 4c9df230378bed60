import 'reflect-metadata';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JobManager, MemoryJobStore, type JobRecord } from '../src';
import { dashboardHandler } from '../src/http';
import { npmChromium } from '../test/support/browser';
import { fmt, heading, row } from './common';

/** The same jobs as a plain server-rendered table: what a browser needs at least to show them. */
function staticTable(jobs: JobRecord[]): string {
  const esc = (s: string): string => s.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  const rows = jobs.map(
    (j) =>
      `<tr><td>${j.status}</td><td>${esc(j.label)}</td><td><progress max="${j.progress?.total ?? 1}" value="${j.progress?.current ?? 0}"></progress></td><td>${esc(j.progress?.message ?? '')}</td></tr>`,
  );
  return `<!doctype html><html><head><meta charset="utf-8"><title>static</title></head><body><table>${rows.join('')}</table></body></html>`;
}

const median = (xs: number[]): number => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The dashboard listing 1,000 jobs: from navigation until the 1,000 rows are in the page, in
 * headless Chromium, beside the same jobs as a static server-rendered table (the baseline).
 */
export async function benchDashboard(): Promise<void> {
  heading('Dashboard: 1,000 jobs listed in the page');
  const { chromium } = await import('playwright-core');
  const manager = new JobManager(new MemoryJobStore(), { closeGraceMs: 0 });
  const statuses = ['completed', 'failed', 'cancelled'] as const;
  for (let i = 0; i < 1000; i++) {
    await manager.launch(
      async () => {
        if (i % 3 === 1) throw Object.assign(new Error(`step ${i} failed`), { code: 'E_STEP' });
        return { i };
      },
      { label: `report:${statuses[i % 3]}-${i}`, asyncMode: true },
    );
  }
  const jobs = await manager.list({ limit: 1000 });
  const handler = dashboardHandler({ manager, owner: 'none' });
  const table = staticTable(jobs);
  const server = createServer((req, res) =>
    req.url === '/static' ? res.writeHead(200, { 'content-type': 'text/html' }).end(table) : handler(req, res),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { executablePath, args } = await npmChromium();
  const browser = await chromium.launch({ executablePath, args, headless: true });
  try {
    const time = async (url: string, selector: string): Promise<number> => {
      const page = await browser.newPage();
      const t0 = performance.now();
      await page.goto(url, { waitUntil: 'commit' });
      await page.waitForFunction(
        (s) =>
          (globalThis as unknown as { document: { querySelectorAll(q: string): { length: number } } }).document.querySelectorAll(s)
            .length === 1000,
        selector,
        { polling: 'raf' },
      );
      const ms = performance.now() - t0;
      await page.close();
      return ms;
    };
    const runs = 7;
    const dash: number[] = [];
    const plain: number[] = [];
    await time(`${base}/?limit=1000`, '.job'); // warm-up
    for (let i = 0; i < runs; i++) {
      plain.push(await time(`${base}/static`, 'tr'));
      dash.push(await time(`${base}/?limit=1000`, '.job'));
    }
    row(['what', `median of ${runs} (ms)`, 'max (ms)']);
    row(['---', '---', '---']);
    row(['static server-rendered table, same 1,000 jobs (baseline)', fmt(median(plain), 1), fmt(Math.max(...plain), 1)]);
    row(['dashboard, `?limit=1000` (page + event stream + render)', fmt(median(dash), 1), fmt(Math.max(...dash), 1)]);
    console.log(`\nTarget: under 1,000 ms. Dashboard ${fmt(median(dash) / median(plain), 2)}× the static table.`);
  } finally {
    await browser.close();
    server.close();
    await manager.close();
  }
}
