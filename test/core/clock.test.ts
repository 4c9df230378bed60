import { isoTime } from '../../src/common/clock';
import { toJsonResult } from '../../src/job/serialise';

test('isoTime formats exactly like Date#toISOString', () => {
  const samples = [
    0,
    1,
    9,
    10,
    99,
    100,
    999,
    1000,
    1001,
    1_700_000_000_005,
    1_700_000_000_050,
    1_700_000_000_500,
    Date.now(),
    1_700_000_000_005.7,
    -0.5,
    -1.5,
  ];
  for (let i = 0; i < 1000; i++) samples.push(Math.floor(Math.random() * 4_000_000_000_000));
  for (const ms of samples) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  // alternating between seconds (now, a day ago, an hour ago) exercises the cache slots
  const now = Date.now();
  for (let i = 0; i < 300; i++) {
    const ms = now - [0, 86_400_000, 3_600_000][i % 3]! - i;
    expect(isoTime(ms)).toBe(new Date(ms).toISOString());
  }
  // the same millisecond twice, with another second asked for in between
  for (const ms of [now, now - 86_400_000, now, now + 1, now - 86_400_000, now + 1]) expect(isoTime(ms)).toBe(new Date(ms).toISOString());
});

test('toJsonResult keeps JSON semantics for plain values', () => {
  expect(() => toJsonResult(Number.NaN)).toThrow(/NaN/); // JSON would write null: refused, not silently changed
  expect(toJsonResult('x')).toBe('x');
  expect(toJsonResult([1, undefined, { a: undefined, b: 2 }])).toEqual([1, null, { b: 2 }]);
  expect(toJsonResult({ toJSON: () => undefined })).toBeNull();
  expect(() => toJsonResult(10n)).toThrow(/bigint/);
  expect(() => toJsonResult(() => 1)).toThrow(/function/);
});
