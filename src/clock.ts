let cachedSecond = Number.NaN;
let cachedPrefix = '';

/**
 * @internal `new Date(ms).toISOString()`, about 5× cheaper: the part up to the second is
 * formatted once per second and reused. Timestamps are written several times per job.
 */
export function isoTime(ms: number = Date.now()): string {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
  }
  const milli = ms - second * 1000;
  return `${cachedPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}
