import { describe, expect, it } from 'vitest';
import { checkInputs, checkSessions, receivedCounts, refusalExcused } from './tui.js';

const input = (id: number, state: string, reason: string | null = null) => ({
  id,
  text: `chaos input ${id}`,
  state,
  reason,
});

describe('chaos input check', () => {
  it('counts each text once per line of a received prompt (the TUI joins prompts queued while busy)', () => {
    expect(
      receivedCounts(['chaos input 1', 'continue', 'chaos input 2\nchaos input 3', 'chaos input 1']),
    ).toEqual(
      new Map([
        ['chaos input 1', 2],
        ['continue', 1],
        ['chaos input 2', 1],
        ['chaos input 3', 1],
      ]),
    );
  });

  it('confirmed and kept once: fine; kept twice, confirmed unkept, failed without a reason, still open: each reported', () => {
    const r = checkInputs(
      [
        input(1, 'confirmed'),
        input(2, 'confirmed'),
        input(3, 'confirmed'),
        input(4, 'failed'),
        input(5, 'sent'),
      ],
      ['chaos input 1', 'chaos input 2', 'chaos input 2'],
    );
    expect(r).toMatchObject({
      sent: 5,
      confirmed: 3,
      twice: [{ id: 2, times: 2 }],
      lost: [
        { id: 3, why: 'confirmed but never kept by the conversation' },
        { id: 4, why: 'failed without a reason' },
      ],
      open: [{ id: 5, state: 'sent' }],
      askedNotKept: [],
      failedUnreceived: [],
      failedReceived: [],
    });
  });

  it('confirmed while the model got it but its conversation never kept it (its TUI killed in its prompt hooks, or before the transcript line): lost, no exception', () => {
    const r = checkInputs([input(1, 'confirmed'), input(2, 'submitted')], [], ['chaos input 1']);
    expect(r.lost).toEqual([{ id: 1, why: 'confirmed but never kept by the conversation' }]);
    expect(r.open).toEqual([{ id: 2, state: 'submitted' }]);
  });

  it('asked of the model twice (its first run died before keeping it), kept once: fine, counted apart', () => {
    const r = checkInputs([input(1, 'confirmed')], ['chaos input 1'], ['chaos input 1', 'chaos input 1']);
    expect(r).toMatchObject({ twice: [], lost: [], askedNotKept: [{ id: 1, asked: 2, kept: 1 }] });
  });

  it('a failed input with a reason is allowed only when the agent never got it', () => {
    const r = checkInputs(
      [
        input(1, 'failed', 'the agent exited before it confirmed the input'),
        input(2, 'failed', 'not confirmed'),
      ],
      ['chaos input 2'],
    );
    expect(r.failedUnreceived).toEqual([{ id: 1, reason: 'the agent exited before it confirmed the input' }]);
    expect(r.failedReceived).toEqual([{ id: 2, reason: 'not confirmed' }]);
    expect(r.lost).toEqual([]);
  });
});

describe('chaos session check', () => {
  const launch = (at: number, resumed: boolean, sessionId = 's1') => ({ at, sessionId, resumed });

  it('fresh until the transcript exists, resumed after; all on the first id', () => {
    expect(
      checkSessions([launch(1, false), launch(5, false), launch(20, true), launch(30, true)], 10),
    ).toEqual([]);
    expect(checkSessions([launch(1, false), launch(5, false)], null)).toEqual([]);
  });

  it('another id, a resume with no transcript, a fresh start over a transcript: each reported', () => {
    expect(
      checkSessions([launch(1, false), launch(5, true), launch(20, false), launch(30, true, 's2')], 10),
    ).toEqual([
      'run 2 resumed a session with no transcript yet',
      'run 3 started its session afresh after its transcript was written',
      'run 4 was on session s2, not s1',
    ]);
    expect(checkSessions([], null)).toEqual(['the fake TUI never ran']);
  });
});

describe('chaos send refusal', () => {
  const disk = 'holdfast: disk full: cannot write /tmp/h/holdfast.db';
  it('a refusal is excused only when it says the disk is full while the suite had filled it', () => {
    expect(refusalExcused(disk, [5000, 5200], [[4000, 6000]])).toBe(true);
    expect(refusalExcused(disk, [7000, 7200], [[4000, 6000]])).toBe(true);
    expect(refusalExcused(disk, [9000, 9200], [[4000, 6000]])).toBe(false);
    expect(refusalExcused('holdfast: database is locked', [5000, 5200], [[4000, 6000]])).toBe(false);
    expect(refusalExcused(disk, [5000, 5200], [])).toBe(false);
  });
  it('a send that began before the disk filled and met it before it wrote is excused', () => {
    expect(refusalExcused(disk, [1000, 3000], [[4000, 6000]])).toBe(true);
    expect(refusalExcused(disk, [1000, 2000], [[4000, 6000]])).toBe(false);
  });
});
