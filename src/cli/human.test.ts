import { afterEach, describe, expect, it } from 'vitest';
import { clockText, isoClockText, isoWhenText, moneyText, relativeText, whenText } from './human.js';

// 2026-05-12 04:46:23 UTC
const NOW = Date.UTC(2026, 4, 12, 4, 46, 23);

describe('clockText', () => {
  it('is the local clock time alone on the same local day', () => {
    expect(clockText(NOW, { now: NOW, timeZone: 'UTC' })).toBe('04:46:23');
    expect(clockText(NOW, { now: NOW, timeZone: 'Europe/Berlin' })).toBe('06:46:23');
    expect(clockText(NOW, { now: NOW, timeZone: 'Asia/Kolkata' })).toBe('10:16:23');
  });

  it('adds the date when the local day differs from today', () => {
    const yesterday = NOW - 86_400_000;
    expect(clockText(yesterday, { now: NOW, timeZone: 'UTC' })).toBe('2026-05-11 04:46:23');
    // An hour ago and now are both the 11th in Los Angeles (20:46 and 21:46): no date.
    expect(clockText(NOW - 3_600_000, { now: NOW, timeZone: 'America/Los_Angeles' })).toBe('20:46:23');
    // 20 hours on is the 13th in Tokyo while now is the 12th there: the date shows.
    expect(clockText(NOW + 20 * 3_600_000, { now: NOW, timeZone: 'Asia/Tokyo' })).toBe('2026-05-13 09:46:23');
  });

  it('uses hours 00–23, never 24', () => {
    const midnight = Date.UTC(2026, 4, 12, 0, 0, 5);
    expect(clockText(midnight, { now: NOW, timeZone: 'UTC' })).toBe('00:00:05');
  });

  describe('without a time zone it follows TZ', () => {
    const saved = process.env.TZ;
    afterEach(() => {
      if (saved === undefined) delete process.env.TZ;
      else process.env.TZ = saved;
    });

    it('TZ=Europe/Berlin', () => {
      process.env.TZ = 'Europe/Berlin';
      expect(clockText(NOW, { now: NOW })).toBe('06:46:23');
    });

    it('TZ=America/New_York', () => {
      process.env.TZ = 'America/New_York';
      expect(clockText(NOW, { now: NOW })).toBe('00:46:23');
    });
  });
});

describe('relativeText', () => {
  it('says how far a time is from now, either way', () => {
    expect(relativeText(NOW + 60_000, NOW)).toBe('in 1m');
    expect(relativeText(NOW + 5_500, NOW)).toBe('in 5s');
    expect(relativeText(NOW - 90_000, NOW)).toBe('1m30s ago');
    expect(relativeText(NOW - 3 * 86_400_000, NOW)).toBe('3d ago');
  });

  it('is now within a second', () => {
    expect(relativeText(NOW, NOW)).toBe('now');
    expect(relativeText(NOW + 999, NOW)).toBe('now');
    expect(relativeText(NOW - 999, NOW)).toBe('now');
  });
});

describe('whenText', () => {
  it('is the clock time and the relative time', () => {
    expect(whenText(NOW + 60_000, { now: NOW, timeZone: 'Europe/Berlin' })).toBe('06:47:23 (in 1m)');
    expect(isoWhenText(new Date(NOW - 5_000).toISOString(), { now: NOW, timeZone: 'UTC' })).toBe(
      '04:46:18 (5s ago)',
    );
    expect(isoWhenText(null, { now: NOW })).toBe('-');
    expect(isoClockText(new Date(NOW).toISOString(), { now: NOW, timeZone: 'UTC' })).toBe('04:46:23');
    expect(isoClockText(null, { now: NOW })).toBe('-');
  });
});

describe('moneyText', () => {
  it('rounds to 4 decimals', () => {
    expect(moneyText(0.00014000000000000001)).toBe('$0.0001');
    expect(moneyText(0.00016)).toBe('$0.0002');
    expect(moneyText(12.34567)).toBe('$12.3457');
    expect(moneyText(0.1 + 0.2)).toBe('$0.30');
  });

  it('shows at least 2 decimals and no trailing zeros beyond them', () => {
    expect(moneyText(0)).toBe('$0.00');
    expect(moneyText(1.5)).toBe('$1.50');
    expect(moneyText(2)).toBe('$2.00');
    expect(moneyText(0.125)).toBe('$0.125');
  });
});
