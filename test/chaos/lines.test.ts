import { describe, expect, it } from 'vitest';
import { checkRun, parseLines, type RunContext } from './lines.js';

const line = (run: number, n: number, at = 1000 + n) => `L ${run} ${n} ${at / 1000}`;
const text = (run: number, ns: number[]) => `${ns.map((n) => line(run, n)).join('\r\n')}\r\n`;
const ctx = (over: Partial<RunContext> = {}): RunContext => ({
  run: 3,
  ended: null,
  truncatedUpTo: null,
  diskFull: [],
  ...over,
});

describe('chaos line check', () => {
  it('every side line in the log once, in order: nothing lost; an extra last log line (killed before its side write) is fine', () => {
    const r = checkRun(parseLines(text(3, [1, 2, 3])), parseLines(text(3, [1, 2, 3, 4])), ctx());
    expect(r).toMatchObject({ written: 3, captured: 3, lost: [], duplicated: [], outOfOrder: [] });
    expect(r.capturedBytes).toBe(r.writtenBytes);
  });

  it('a line twice or out of order is reported; other runs in the same log are ignored', () => {
    const log = parseLines(`${text(3, [1, 2, 2, 4, 3])}${text(2, [9])}`);
    const r = checkRun(parseLines(text(3, [1, 2, 3, 4])), log, ctx());
    expect(r.duplicated).toEqual([2]);
    expect(r.outOfOrder).toEqual([3]);
  });

  it('names why each line is missing', () => {
    const side = parseLines(text(3, [1, 2, 3, 4, 5, 6]));
    const log = parseLines(text(3, [3, 5]));
    expect(checkRun(side, log, ctx({ truncatedUpTo: 2, ended: 'server-lost' })).lost).toEqual([
      { n: 1, why: 'truncated-by-fault' },
      { n: 2, why: 'truncated-by-fault' },
      { n: 4, why: 'unexplained' },
      { n: 6, why: 'in-flight-at-server-death' },
    ]);
    // A tail of two after a server death, or any tail after another end, is a capture loss.
    expect(checkRun(side, parseLines(text(3, [1, 2, 3, 4])), ctx({ ended: 'server-lost' })).lost).toEqual([
      { n: 5, why: 'at-run-end' },
      { n: 6, why: 'at-run-end' },
    ]);
    expect(checkRun(side, parseLines(text(3, [1, 2, 3, 4, 5])), ctx({ ended: 'other' })).lost).toEqual([
      { n: 6, why: 'at-run-end' },
    ]);
    expect(
      checkRun(side, parseLines(text(3, [1, 2, 3, 5, 6])), ctx({ diskFull: [[1004, 1004]] })).lost,
    ).toEqual([{ n: 4, why: 'disk-full' }]);
    // Capture that never came back after the disk was full: the lines after the window are lost.
    const late = parseLines(
      ['L 3 1 1.001', 'L 3 2 1.002', 'L 3 3 5.000', 'L 3 4 9.000'].map((l) => `${l}\n`).join(''),
    );
    expect(checkRun(late, late.slice(0, 1), ctx({ diskFull: [[1002, 1002]], ended: 'other' })).lost).toEqual([
      { n: 2, why: 'disk-full' },
      { n: 3, why: 'after-disk-full' },
      { n: 4, why: 'after-disk-full' },
    ]);
  });
});
