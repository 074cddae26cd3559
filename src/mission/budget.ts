/**
 * A mission's budget: how many sessions, hours since start and dollars it may spend. Pure: what
 * has been used is passed in.
 */
import { HoldfastError } from '../core/errors.js';

export interface Budget {
  maxSessions: number | null;
  maxHours: number | null;
  maxCostUsd: number | null;
}

export interface BudgetUse {
  sessions: number;
  hours: number;
  costUsd: number;
}

export type BudgetKey = keyof Budget;

/** The option that sets each limit, on `mission init` and `mission resume`. */
export const BUDGET_FLAGS: Record<BudgetKey, string> = {
  maxSessions: '--max-sessions',
  maxHours: '--max-hours',
  maxCostUsd: '--max-cost',
};

const USED: Record<BudgetKey, keyof BudgetUse> = {
  maxSessions: 'sessions',
  maxHours: 'hours',
  maxCostUsd: 'costUsd',
};

export interface BudgetOver {
  key: BudgetKey;
  flag: string;
  limit: number;
  used: number;
  /** How a pause names it: `max-sessions (3)`, `max-hours (12)`, `max-cost ($5)`. */
  label: string;
}

/** The first limit that `use` has reached, or null while every one leaves room for another session. */
export function budgetOver(budget: Budget, use: BudgetUse): BudgetOver | null {
  for (const key of Object.keys(BUDGET_FLAGS) as BudgetKey[]) {
    const limit = budget[key];
    const used = use[USED[key]];
    if (limit === null || used < limit) continue;
    const flag = BUDGET_FLAGS[key];
    const shown = key === 'maxCostUsd' ? `$${limit}` : String(limit);
    return { key, flag, limit, used, label: `${flag.slice(2)} (${shown})` };
  }
  return null;
}

/** `3 sessions`, `12.5 hours`, `$4.20`: what was used, for messages. */
export function usedText(key: BudgetKey, use: BudgetUse): string {
  if (key === 'maxSessions') return `${use.sessions} session${use.sessions === 1 ? '' : 's'}`;
  if (key === 'maxHours') return `${round(use.hours)} hour${use.hours === 1 ? '' : 's'}`;
  return `$${use.costUsd.toFixed(2)}`;
}

/** A limit that leaves room: twice the old one, and more than what was used. */
export function suggestedRaise(over: BudgetOver): number {
  const more = Math.max(over.limit * 2, Math.floor(over.used) + 1);
  return over.key === 'maxSessions' ? Math.ceil(more) : round(more);
}

/**
 * The budget with the given limits replaced. Each must be a positive number (a whole one for
 * sessions: `EUSAGE`) and above what was already used, or the raise would pause the mission
 * again at once (`ESTATE`, with a hint that names a limit that would do).
 */
export function raiseBudget(
  budget: Budget,
  use: BudgetUse,
  raises: Partial<Record<BudgetKey, string>>,
): { budget: Budget; raised: Partial<Record<BudgetKey, { from: number | null; to: number }>> } {
  const next: Budget = { ...budget };
  const raised: Partial<Record<BudgetKey, { from: number | null; to: number }>> = {};
  for (const key of Object.keys(BUDGET_FLAGS) as BudgetKey[]) {
    const text = raises[key];
    if (text === undefined) continue;
    const flag = BUDGET_FLAGS[key];
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value) || value <= 0) {
      throw new HoldfastError('EUSAGE', `${flag}: expected a positive number, got ${JSON.stringify(text)}`);
    }
    if (key === 'maxSessions' && !Number.isInteger(value)) {
      throw new HoldfastError(
        'EUSAGE',
        `${flag}: expected a whole number of sessions, got ${JSON.stringify(text)}`,
      );
    }
    const used = use[USED[key]];
    if (value <= used) {
      const suggestion = suggestedRaise({ key, flag, limit: value, used, label: '' });
      throw new HoldfastError(
        'ESTATE',
        `${flag} ${text} is not a raise: the mission has already used ${usedText(key, use)}`,
        { hint: `give more than that, e.g. ${flag} ${suggestion}` },
      );
    }
    next[key] = value;
    raised[key] = { from: budget[key], to: value };
  }
  return { budget: next, raised };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}
