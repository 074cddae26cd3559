import { describe, expect, it } from 'vitest';
import { parseDuration } from '../core/duration.js';
import { parseSize } from '../core/size.js';
import { exactDuration, exactSize } from './fleet-entry.js';

describe('durations and sizes written back exactly', () => {
  it('reads back to the same milliseconds for every unit mix', () => {
    for (const ms of [0, 1, 999, 1000, 61_001, 3_600_000, 90_061_000, 2 * 86_400_000 + 12 * 3_600_000]) {
      expect(parseDuration(exactDuration(ms)), String(ms)).toBe(ms);
    }
    expect(exactDuration(90_061_000)).toBe('1d1h1m1s');
  });

  it('reads back to the same bytes', () => {
    for (const bytes of [0, 4096, 5000, 50 * 1024 ** 2, 3 * 1024 ** 3])
      expect(parseSize(exactSize(bytes))).toBe(bytes);
    expect(exactSize(50 * 1024 ** 2)).toBe('50MB');
  });
});
