/**
 * How soon a run whose log just changed may be read again. A run that writes now and then is read
 * within `minGapMs` of each write; one that writes all the time spends its burst and is then read
 * `ratePerS` times a second, so a chatty task costs the daemon a bounded number of reads, each a
 * transaction (and a `log_times` row, which stays as many as the periodic tail would have made).
 * A token bucket: `burst` reads in hand, refilled at `ratePerS`. Pure: time is passed in.
 */
export interface TailPace {
  /** Between two reads of one run, whatever its bucket holds. */
  minGapMs: number;
  /** Reads in hand when the run has been quiet long enough. */
  burst: number;
  /** Reads a run that writes all the time gets per second, once its burst is spent. */
  ratePerS: number;
}

export interface PaceState {
  tokens: number;
  /** When `tokens` was last brought up to date. */
  at: number;
  /** The last read. */
  lastAt: number;
}

export function freshPace(pace: TailPace, now: number): PaceState {
  return { tokens: pace.burst, at: now, lastAt: Number.NEGATIVE_INFINITY };
}

function tokensAt(pace: TailPace, s: PaceState, now: number): number {
  return Math.min(pace.burst, s.tokens + (Math.max(0, now - s.at) * pace.ratePerS) / 1000);
}

/** The earliest time the run may be read again. */
export function dueAt(pace: TailPace, s: PaceState, now: number): number {
  const tokens = tokensAt(pace, s, now);
  const refilled = tokens >= 1 ? now : now + ((1 - tokens) * 1000) / pace.ratePerS;
  return Math.max(s.lastAt + pace.minGapMs, refilled);
}

/** The state after a read at `now` (a read comes at or after `dueAt`). */
export function tookRead(pace: TailPace, s: PaceState, now: number): PaceState {
  return { tokens: Math.max(0, tokensAt(pace, s, now) - 1), at: now, lastAt: now };
}
