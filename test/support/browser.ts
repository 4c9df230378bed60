import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

/**
 * Headless Chromium from npm: the binary that `@sparticuz/chromium` ships (brotli-packed in the
 * package, unpacked to the temp directory on first use), so `npm install` brings the browser the
 * dashboard's test drives with playwright-core. The package is ES modules only; jest runs this
 * suite as CommonJS, so a short child process asks it where the binary is.
 */
export async function npmChromium(): Promise<{ executablePath: string; args: string[] }> {
  const script =
    "const c = (await import('@sparticuz/chromium')).default; console.log(JSON.stringify({ executablePath: await c.executablePath(), args: c.args }));";
  const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 });
  return JSON.parse(stdout) as { executablePath: string; args: string[] };
}
