import { describe, expect, it } from 'vitest';
import { dueAt, freshPace, type PaceState, type TailPace, tookRead } from './tail-pace.js';

const pace: TailPace = { minGapMs: 25, burst: 4, ratePerS: 2 };

/** Reads a run that changes all the time as soon as it may be read, from `start`, for `ms`. */
function readsOfAChattyRun(ms: number, start = 0): number[] {
  let s: PaceState = freshPace(pace, start);
  const reads: number[] = [];
  for (let t = dueAt(pace, s, start); t < start + ms; t = dueAt(pace, s, t)) {
    reads.push(t);
    s = tookRead(pace, s, t);
  }
  return reads;
}

describe('tail pace', () => {
  it('reads a quiet run at once', () => {
    expect(dueAt(pace, freshPace(pace, 1000), 1000)).toBe(1000);
  });

  it('leaves minGapMs between two reads even with reads in hand', () => {
    const s = tookRead(pace, freshPace(pace, 0), 0);
    expect(dueAt(pace, s, 5)).toBe(25);
  });

  it('reads a run that changes all the time `burst` times minGapMs apart, then ratePerS a second', () => {
    const reads = readsOfAChattyRun(10_000);
    expect(reads.slice(0, 4)).toEqual([0, 25, 50, 75]);
    // The bucket refilled a little meanwhile (2 a second over 75 ms): the fifth read is due when
    // it holds one whole token again.
    const later = reads.slice(5);
    for (let i = 1; i < later.length; i++) expect(later[i]! - later[i - 1]!).toBeCloseTo(500, 6);
    // Over ten seconds: the burst plus 2 a second.
    expect(reads.length).toBeLessThanOrEqual(4 + 2 * 10 + 1);
  });

  it('gives a run its burst back once it has been quiet long enough', () => {
    let s = freshPace(pace, 0);
    for (const t of [0, 25, 50, 75]) s = tookRead(pace, s, t);
    expect(dueAt(pace, s, 80)).toBeGreaterThan(80 + 100);
    // Two seconds of quiet refill all four.
    let t = 2075;
    for (let i = 0; i < 4; i++) {
      expect(dueAt(pace, s, t)).toBe(t);
      s = tookRead(pace, s, t);
      t += 25;
    }
    expect(dueAt(pace, s, t)).toBeGreaterThan(t);
  });
});
