import { describe, expect, test } from 'vitest';
import { HoldfastError } from '../core/errors.js';
import { parseSettings, type SettingsFlags, settingsFromFlags } from './settings.js';

const FLAGS: SettingsFlags = {
  maxSessions: '20',
  maxHours: '12',
  continue: 'auto',
  freshAfter: '2000000',
  stallTimeout: '10m',
  umask: '022',
};

function refusal(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof HoldfastError)) throw error;
    return { code: error.code, message: error.message };
  }
  throw new Error('expected a HoldfastError');
}

describe('settingsFromFlags', () => {
  test('the defaults of mission init become its settings', () => {
    expect(settingsFromFlags(FLAGS)).toEqual({
      maxSessions: 20,
      maxHours: 12,
      maxCostUsd: null,
      continueMode: 'auto',
      freshAfterBytes: 2_000_000,
      stallTimeoutMs: 600_000,
      umask: '022',
    });
  });

  test('a cost limit, a fraction of an hour, and a fraction of a session (the whole sessions below it)', () => {
    expect(
      settingsFromFlags({ ...FLAGS, maxCost: '4.5', maxHours: '0.5', maxSessions: '2.9' }),
    ).toMatchObject({
      maxCostUsd: 4.5,
      maxHours: 0.5,
      maxSessions: 2,
    });
  });

  test.each([
    ['--max-sessions', { maxSessions: 'lots' }, '--max-sessions: expected a positive number, got "lots"'],
    ['--max-sessions', { maxSessions: '0.5' }, '--max-sessions: expected at least 1 session, got "0.5"'],
    ['--max-hours', { maxHours: '-1' }, '--max-hours: expected a positive number, got "-1"'],
    ['--max-cost', { maxCost: '0' }, '--max-cost: expected a positive number, got "0"'],
    ['--fresh-after', { freshAfter: 'big' }, '--fresh-after: expected a positive number, got "big"'],
    ['--continue', { continue: 'later' }, '--continue: expected one of auto, resume, fresh, got "later"'],
  ])('a bad %s is a usage error naming the flag and what arrived', (_flag, over, message) => {
    expect(refusal(() => settingsFromFlags({ ...FLAGS, ...over }))).toEqual({ code: 'EUSAGE', message });
  });

  test('a bad --stall-timeout is refused as a duration', () => {
    expect(refusal(() => settingsFromFlags({ ...FLAGS, stallTimeout: 'soon' })).message).toMatch(
      /^--stall-timeout: expected a duration/,
    );
  });
});

describe('parseSettings', () => {
  test('settings as the store keeps them read back the same', () => {
    const settings = settingsFromFlags(FLAGS);
    expect(parseSettings(JSON.parse(JSON.stringify(settings)))).toEqual(settings);
  });

  test('a row that does not fit is an error that names the field, not a guess', () => {
    const settings = { ...settingsFromFlags(FLAGS), continueMode: 'sometimes' };
    expect(refusal(() => parseSettings(settings))).toMatchObject({
      code: 'EMISSION',
      message: expect.stringContaining('continueMode'),
    });
    expect(refusal(() => parseSettings(null)).code).toBe('EMISSION');
  });
});
