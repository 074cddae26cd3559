import { describe, expect, it } from 'vitest';
import {
  dateInZone,
  parseDurationPhrase,
  parseReset,
  parseResetAt,
  resolveZone,
  usageLimitEvent,
  wallTimeToEpoch,
  zoneOffsetMs,
} from './reset-time.js';

const at = (y: number, mo: number, d: number, h: number, mi: number, s = 0) =>
  Date.UTC(y, mo - 1, d, h, mi, s);

describe('resolveZone', () => {
  it.each([
    ['UTC', { kind: 'fixed', offsetMinutes: 0 }],
    ['GMT', { kind: 'fixed', offsetMinutes: 0 }],
    ['GMT+2', { kind: 'fixed', offsetMinutes: 120 }],
    ['UTC-05:30', { kind: 'fixed', offsetMinutes: -330 }],
    ['+0200', { kind: 'fixed', offsetMinutes: 120 }],
    ['PST', { kind: 'fixed', offsetMinutes: -480 }],
    ['CEST', { kind: 'fixed', offsetMinutes: 120 }],
    ['Europe/Paris', { kind: 'iana', name: 'Europe/Paris' }],
    ['America/New_York', { kind: 'iana', name: 'America/New_York' }],
  ])('reads %s', (name, zone) => {
    expect(resolveZone(name)).toEqual(zone);
  });

  it('gives null for what is no zone', () => {
    expect(resolveZone('Mars/Olympus')).toBeNull();
    expect(resolveZone('')).toBeNull();
    expect(resolveZone('GMT+20')).toBeNull();
  });

  it('resolves local to a zone Intl knows', () => {
    expect(resolveZone('local')).not.toBeNull();
  });
});

describe('zone arithmetic', () => {
  const paris = resolveZone('Europe/Paris')!;
  const newYork = resolveZone('America/New_York')!;

  it('knows the offset in winter and in summer', () => {
    expect(zoneOffsetMs(paris, at(2026, 1, 15, 12, 0))).toBe(3_600_000);
    expect(zoneOffsetMs(paris, at(2026, 7, 15, 12, 0))).toBe(7_200_000);
    expect(zoneOffsetMs(newYork, at(2026, 1, 15, 12, 0))).toBe(-5 * 3_600_000);
  });

  it('turns wall times into instants across a DST change', () => {
    // 2026-03-08: New York moves from EST to EDT at 02:00.
    expect(wallTimeToEpoch({ year: 2026, month: 3, day: 8, hour: 1, minute: 30 }, newYork)).toBe(
      at(2026, 3, 8, 6, 30),
    );
    expect(wallTimeToEpoch({ year: 2026, month: 3, day: 8, hour: 3, minute: 30 }, newYork)).toBe(
      at(2026, 3, 8, 7, 30),
    );
  });

  it('gives the calendar date in a zone', () => {
    // 02:00 UTC on the 16th is still the 15th in New York.
    expect(dateInZone(at(2026, 1, 16, 2, 0), newYork)).toEqual({ year: 2026, month: 1, day: 15 });
  });
});

describe('parseDurationPhrase', () => {
  it.each([
    ['2 hours 5 minutes', 7_500_000],
    ['2 hours and 5 minutes', 7_500_000],
    ['12h22m45s', (12 * 3600 + 22 * 60 + 45) * 1000],
    ['~158 min', 158 * 60_000],
    ['1 day', 86_400_000],
    ['30 seconds', 30_000],
  ])('%s', (text, ms) => {
    expect(parseDurationPhrase(text)).toBe(ms);
  });

  it('gives null without a duration', () => {
    expect(parseDurationPhrase('soon')).toBeNull();
  });
});

describe('parseResetAt', () => {
  const morning = at(2026, 1, 15, 10, 0);

  it('reads claude’s wall time with a zone in parentheses (U+00B7 separator)', () => {
    expect(parseResetAt('You’ve hit your 5-hour limit · resets 12:31pm (UTC)', morning)).toBe(
      at(2026, 1, 15, 12, 31),
    );
    expect(parseResetAt("You've hit your weekly limit · resets 5pm (UTC)", morning)).toBe(
      at(2026, 1, 15, 17, 0),
    );
  });

  it('takes a time already past today as tomorrow', () => {
    const afternoon = at(2026, 1, 15, 13, 0);
    expect(parseResetAt('resets 12:31pm (UTC)', afternoon)).toBe(at(2026, 1, 16, 12, 31));
  });

  it('keeps a time printed to the minute as today within that minute', () => {
    expect(parseResetAt('try again at 12:31 PM.', at(2026, 1, 15, 12, 31, 40), 'UTC')).toBe(
      at(2026, 1, 15, 12, 31),
    );
  });

  it('resolves an IANA zone, winter and summer', () => {
    expect(parseResetAt('resets 12:31pm (Europe/Paris)', morning)).toBe(at(2026, 1, 15, 11, 31));
    expect(parseResetAt('resets 12:31pm (Europe/Paris)', at(2026, 7, 15, 9, 0))).toBe(
      at(2026, 7, 15, 10, 31),
    );
  });

  it('resolves a wall time on the day DST starts', () => {
    // Midnight EST on 2026-03-08; 3:30am that day is already EDT (UTC-4).
    expect(parseResetAt('resets 3:30am (America/New_York)', at(2026, 3, 8, 5, 0))).toBe(
      at(2026, 3, 8, 7, 30),
    );
  });

  it('falls back to UTC for a zone in parentheses it cannot resolve', () => {
    expect(parseResetAt('resets 12:31pm (Mars/Olympus)', morning)).toBe(at(2026, 1, 15, 12, 31));
  });

  it('reads a date with the time, with or without a year', () => {
    expect(parseResetAt('resets Oct 9, 5pm (Europe/Paris)', at(2026, 10, 1, 0, 0))).toBe(
      at(2026, 10, 9, 15, 0),
    );
    expect(parseResetAt('resets Jan 2 at 9am (UTC)', at(2026, 12, 30, 0, 0))).toBe(at(2027, 1, 2, 9, 0));
  });

  it('reads codex’s local time in the zone given for local', () => {
    const text = 'You’ve hit your usage limit. Upgrade to Pro or try again at 12:31 PM.';
    // 09:00 in New York: later today.
    expect(parseResetAt(text, at(2026, 1, 15, 14, 0), 'America/New_York')).toBe(at(2026, 1, 15, 17, 31));
    // 15:00 in New York: 12:31 has passed, so tomorrow.
    expect(parseResetAt(text, at(2026, 1, 15, 20, 0), 'America/New_York')).toBe(at(2026, 1, 16, 17, 31));
  });

  it('reads codex’s dated form, with and without the day suffix', () => {
    expect(parseResetAt('try again at Nov 21, 2026 12:31 PM.', morning, 'UTC')).toBe(
      at(2026, 11, 21, 12, 31),
    );
    expect(parseResetAt('Try again at Nov 21st, 2026 12:31 PM.', morning, 'UTC')).toBe(
      at(2026, 11, 21, 12, 31),
    );
    expect(parseResetAt('Try again at Nov 21st, 2026 12:31 AM.', morning, 'America/New_York')).toBe(
      at(2026, 11, 21, 5, 31),
    );
  });

  it('reads gemini’s time with an offset zone after it', () => {
    const early = at(2026, 1, 15, 8, 0);
    expect(parseResetAt('Access resets at 11:00 AM GMT+2.', early)).toBe(at(2026, 1, 15, 9, 0));
    expect(parseResetAt('Access resets at 3:45 PM PST.', early)).toBe(at(2026, 1, 15, 23, 45));
    // 11:00 GMT+2 is 09:00 UTC, already past at 10:00 UTC: the next day.
    expect(parseResetAt('Access resets at 11:00 AM GMT+2.', morning)).toBe(at(2026, 1, 16, 9, 0));
  });

  it('ignores an ordinary word after the time', () => {
    expect(parseResetAt('resets 5pm and then some', morning, 'UTC')).toBe(at(2026, 1, 15, 17, 0));
  });

  it('reads relative resets', () => {
    expect(parseResetAt('Usage limit reached. It will reset in 2 hours 5 minutes', morning)).toBe(
      morning + 7_500_000,
    );
    expect(parseResetAt('Your quota will reset after 12h22m45s.', morning)).toBe(morning + 44_565_000);
    expect(parseResetAt('Try again in ~158 min.', morning)).toBe(morning + 158 * 60_000);
  });

  it('reads an ISO time', () => {
    expect(parseResetAt('resets at 2026-01-15T12:31:00Z', morning)).toBe(at(2026, 1, 15, 12, 31));
    expect(parseResetAt('resets at 2026-01-15T12:31:00+01:00', morning)).toBe(at(2026, 1, 15, 11, 31));
  });

  it('gives null when the text names no time', () => {
    expect(parseResetAt('You’ve hit your usage limit. Try again later.', morning)).toBeNull();
    expect(parseResetAt('exceeded retry limit, last status: 429 Too Many Requests', morning)).toBeNull();
    expect(parseResetAt('Rate Limit Hit', morning)).toBeNull();
    expect(parseResetAt('resets 13pm (UTC)', morning)).toBeNull();
  });
});

describe('parseReset: resolution', () => {
  const morning = at(2026, 1, 15, 10, 0);

  it.each([
    ['codex: try again at 6:47 AM.', at(2026, 1, 15, 6, 47), 'minute', at(2026, 1, 15, 6, 47, 20)],
    ['claude: resets 5pm (UTC)', at(2026, 1, 15, 17, 0), 'minute', morning],
    ['gemini: Access resets at 11:00 AM UTC.', at(2026, 1, 15, 11, 0), 'minute', morning],
    ['opencode: It will reset in 0 hours 1 minutes', morning + 60_000, 'minute', morning],
    ['amp: try again in 2 hours', morning + 7_200_000, 'minute', morning],
    ['resets at 2026-01-15T12:31Z', at(2026, 1, 15, 12, 31), 'minute', morning],
    ['resets at 12:31:05 PM (UTC)', at(2026, 1, 15, 12, 31, 5), 'second', morning],
    ['resets at 2026-01-15T12:31:05Z', at(2026, 1, 15, 12, 31, 5), 'second', morning],
    ['Your quota will reset after 12h22m45s.', morning + 44_565_000, 'second', morning],
    ['try again in 30 seconds', morning + 30_000, 'second', morning],
  ])('%s', (text, resetAt, resolution, now) => {
    expect(parseReset(text, now, 'UTC')).toEqual({ at: resetAt, resolution });
  });

  it('gives null when the text names no time', () => {
    expect(parseReset('Rate Limit Hit', morning)).toBeNull();
  });
});

describe('usageLimitEvent', () => {
  it('keeps the text on one line as the detail', () => {
    expect(
      usageLimitEvent('Usage limit reached for gemini-2.5-pro.\nAccess resets at 11:00 AM UTC.', 0),
    ).toEqual({
      type: 'usage-limit',
      resetAt: at(1970, 1, 1, 11, 0),
      resolution: 'minute',
      detail: 'Usage limit reached for gemini-2.5-pro. Access resets at 11:00 AM UTC.',
    });
  });
});
