import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { FileJobStore, JobManager, jobContext } from '../../src';
import { npmChromium } from '../support/browser';
import { freePort } from '../support/redis-server';

/**
 * The dashboard in a real browser: headless Chromium (the binary that the npm package
 * `@sparticuz/chromium` ships, so `npm install` brings it) driven by playwright-core, against `smart-async dashboard` (the CLI, a child process)
 * over a FileJobStore whose jobs run in this process. It sees a running job's progress advance
 * without a reload, cancels it with the page's button, and sees it `cancelled` (the work is
 * aborted here). It saves the screenshots the README shows (docs/dashboard*.png).
 */
const root = join(__dirname, '..', '..');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The page's document, for functions run in the page (the test compiles without the DOM's types).
 * Functions, not strings: the page's Content-Security-Policy forbids eval, and stays on here.
 */
interface PageDocument {
  querySelector(q: string): { value?: number; textContent: string | null } | null;
  querySelectorAll(q: string): { length: number };
  documentElement: { scrollWidth: number };
}

let dir: string;
let manager: JobManager;
let cli: ChildProcess;
let browser: Browser;
let url: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smart-async-dashboard-'));
  manager = new JobManager(new FileJobStore({ path: dir }), { closeGraceMs: 0, onWarning: () => undefined });
  const port = await freePort();
  cli = spawn(
    process.execPath,
    ['-r', 'ts-node/register/transpile-only', join(root, 'src', 'cli', 'index.ts'), 'dashboard', '--file', dir, '--port', String(port)],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    cli.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) resolve(m[1]!);
    });
    cli.on('exit', (code) => reject(new Error(`the dashboard exited (${code}): ${out}`)));
  });
  const { executablePath, args } = await npmChromium();
  browser = await chromium.launch({ executablePath, args, headless: true });
}, 60_000);

afterAll(async () => {
  // each step on its own: a set-up that failed half-way leaves some of these undefined, and
  // its own error is the one to read, not a second one from here
  await browser?.close().catch(() => undefined);
  cli?.kill('SIGTERM');
  await manager?.close().catch(() => undefined);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Jobs of several kinds, for the page (and the screenshot) to show. */
async function fill(): Promise<{ running: string; aborted: () => boolean }> {
  const launch = async (label: string, work: () => Promise<unknown>, owner?: string): Promise<string> =>
    ((await manager.launch(work, { label, asyncMode: true, owner })) as { job_id: string }).job_id;
  await manager.wait(await launch('report:eu-2026-q3', async () => ({ rows: 18_204, url: 's3://reports/eu-2026-q3.csv' })), {
    timeoutMs: 5_000,
  });
  await manager.wait(
    await launch('index:catalogue', async () =>
      Promise.reject(Object.assign(new Error('Search cluster refused the bulk request'), { code: 'UPSTREAM_503' })),
    ),
    { timeoutMs: 5_000 },
  );
  await launch('benchmark:redis-store', async () => {
    const ctx = jobContext()!;
    for (let i = 1; i <= 250 && !ctx.signal.aborted; i++) {
      await sleep(100);
      ctx.reportProgress(i, 250, `run ${i} of 250`);
    }
  });
  let aborted = false;
  const running = await launch('report:apac-2026-q3', async () => {
    const ctx = jobContext()!;
    for (let i = 1; i <= 600; i++) {
      if (ctx.signal.aborted) {
        aborted = true;
        throw ctx.signal.reason;
      }
      await sleep(40);
      ctx.reportProgress(i, 600, `region ${1 + (i % 7)} of 7, batch ${i}`);
    }
  });
  return { running, aborted: () => aborted };
}

test('a running job’s progress advances without reload; Cancel makes it cancelled; the page fits a narrow screen', async () => {
  const { running, aborted } = await fill();
  const page = await browser.newPage({ viewport: { width: 1200, height: 640 } });
  let loads = 0;
  page.on('load', () => void loads++);
  await page.goto(url);
  // A mark in the page's window: a reload would wipe it.
  await page.evaluate(() => void ((globalThis as unknown as { kept: boolean }).kept = true));
  const row = page.locator(`.job[data-id="${running}"]`);
  await row.waitFor();
  expect(await page.locator('.job').count()).toBe(4);
  const sel = `.job[data-id="${running}"]`;
  const value = async (): Promise<number> =>
    page.evaluate((s) => Number((globalThis as unknown as { document: PageDocument }).document.querySelector(`${s} progress`)?.value), sel);
  const before = await value();
  await page.waitForFunction(
    ([s, v]) => Number((globalThis as unknown as { document: PageDocument }).document.querySelector(`${s} progress`)?.value) > v,
    [sel, before] as const,
    { timeout: 10_000 },
  );
  await page.waitForFunction(
    (s) =>
      ((globalThis as unknown as { document: PageDocument }).document.querySelector(`${s} .msg`)?.textContent ?? '').startsWith('region'),
    sel,
  );
  expect(await value()).toBeGreaterThan(before);
  expect(await row.locator('.badge').textContent()).toBe('running');

  await row.click();
  await page.locator('#detail h2').waitFor();
  expect(await page.locator('#detail h2').textContent()).toBe('report:apac-2026-q3');
  mkdirSync(join(root, 'docs'), { recursive: true });
  await sleep(1_500); // more live updates, so the screenshot shows progress under way
  await page.screenshot({ path: join(root, 'docs', 'dashboard.png') });

  await page.locator('#detail button.cancel').click();
  await page.waitForFunction(
    (s) => (globalThis as unknown as { document: PageDocument }).document.querySelector(`${s} .badge`)?.textContent === 'cancelled',
    sel,
    { timeout: 10_000 },
  );
  expect(await row.locator('.msg').textContent()).toBe('JOB_CANCELLED: Cancelled from the dashboard');
  expect((await manager.get(running))?.status).toBe('cancelled');
  for (let i = 0; i < 100 && !aborted(); i++) await sleep(50);
  expect(aborted()).toBe(true);
  expect(loads).toBe(1); // all of it without a reload
  expect(await page.evaluate(() => (globalThis as unknown as { kept?: boolean }).kept)).toBe(true);

  // Filters: failed only.
  await page.selectOption('#status', 'failed');
  await page.waitForFunction(
    () =>
      (globalThis as unknown as { document: PageDocument }).document.querySelectorAll('.job').length === 1 &&
      (globalThis as unknown as { document: PageDocument }).document.querySelector('.job .badge')?.textContent === 'failed',
  );
  expect(await page.locator('.job .msg').textContent()).toBe('UPSTREAM_503: Search cluster refused the bulk request');

  // A phone-sized screen: nothing wider than the screen.
  await page.selectOption('#status', '');
  await page.setViewportSize({ width: 390, height: 760 });
  await page.locator('#detail button.close').click();
  await page.waitForFunction(() => (globalThis as unknown as { document: PageDocument }).document.querySelectorAll('.job').length === 4);
  expect(
    await page.evaluate(
      () =>
        (globalThis as unknown as { document: PageDocument }).document.documentElement.scrollWidth <=
        (globalThis as unknown as { innerWidth: number }).innerWidth,
    ),
  ).toBe(true);
  await page.screenshot({ path: join(root, 'docs', 'dashboard-narrow.png') });
  await page.close();
}, 60_000);
