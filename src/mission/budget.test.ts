import { describe, expect, test } from 'vitest';
import { HoldfastError } from '../core/errors.js';
import { type Budget, budgetOver, raiseBudget, suggestedRaise } from './budget.js';

const budget: Budget = { maxSessions: 3, maxHours: 12, maxCostUsd: 5 };
const use = { sessions: 3, hours: 12.5, costUsd: 5.2 };

function refusal(fn: () => unknown): { code: string; message: string; hint: string | undefined } {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof HoldfastError)) throw error;
    return { code: error.code, message: error.message, hint: error.hint };
  }
  throw new Error('expected a HoldfastError');
}

describe('budgetOver', () => {
  test('names the first limit reached, as the pause reason shows it', () => {
    expect(budgetOver(budget, use)).toEqual({
      key: 'maxSessions',
      flag: '--max-sessions',
      limit: 3,
      used: 3,
      label: 'max-sessions (3)',
    });
    expect(budgetOver(budget, { ...use, sessions: 2 })?.label).toBe('max-hours (12)');
    expect(budgetOver(budget, { sessions: 2, hours: 1, costUsd: 5 })?.label).toBe('max-cost ($5)');
  });

  test('is null while every limit leaves room, and for limits that are not set', () => {
    expect(budgetOver(budget, { sessions: 2, hours: 11.9, costUsd: 4.99 })).toBeNull();
    expect(budgetOver({ maxSessions: null, maxHours: null, maxCostUsd: null }, use)).toBeNull();
  });
});

describe('raiseBudget', () => {
  test('replaces the limits given, keeps the others, and says what changed', () => {
    expect(raiseBudget(budget, use, { maxSessions: '6', maxCostUsd: '7.5' })).toEqual({
      budget: { maxSessions: 6, maxHours: 12, maxCostUsd: 7.5 },
      raised: { maxSessions: { from: 3, to: 6 }, maxCostUsd: { from: 5, to: 7.5 } },
    });
    expect(raiseBudget({ ...budget, maxCostUsd: null }, use, { maxCostUsd: '9' }).raised).toEqual({
      maxCostUsd: { from: null, to: 9 },
    });
    expect(raiseBudget(budget, use, {})).toEqual({ budget, raised: {} });
  });

  test('refuses a limit that is not above what was used, with a limit that would do', () => {
    expect(refusal(() => raiseBudget(budget, use, { maxSessions: '3' }))).toEqual({
      code: 'ESTATE',
      message: '--max-sessions 3 is not a raise: the mission has already used 3 sessions',
      hint: 'give more than that, e.g. --max-sessions 6',
    });
    expect(refusal(() => raiseBudget(budget, use, { maxHours: '12.5' }))).toEqual({
      code: 'ESTATE',
      message: '--max-hours 12.5 is not a raise: the mission has already used 12.5 hours',
      hint: 'give more than that, e.g. --max-hours 25',
    });
    expect(refusal(() => raiseBudget(budget, use, { maxCostUsd: '5' })).message).toBe(
      '--max-cost 5 is not a raise: the mission has already used $5.20',
    );
  });

  test('refuses what is not a positive number, and a fraction of a session', () => {
    for (const text of ['0', '-2', 'lots', '', 'Infinity']) {
      expect(refusal(() => raiseBudget(budget, use, { maxHours: text }))).toMatchObject({
        code: 'EUSAGE',
        message: `--max-hours: expected a positive number, got ${JSON.stringify(text)}`,
      });
    }
    expect(refusal(() => raiseBudget(budget, use, { maxSessions: '4.5' })).message).toBe(
      '--max-sessions: expected a whole number of sessions, got "4.5"',
    );
  });
});

test('suggestedRaise doubles the limit, and is always above what was used', () => {
  expect(suggestedRaise({ key: 'maxSessions', flag: '', limit: 3, used: 3, label: '' })).toBe(6);
  expect(suggestedRaise({ key: 'maxHours', flag: '', limit: 1, used: 30.2, label: '' })).toBe(31);
  expect(suggestedRaise({ key: 'maxCostUsd', flag: '', limit: 0.5, used: 0.6, label: '' })).toBe(1);
});
