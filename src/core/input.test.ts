import { describe, expect, it } from 'vitest';
import {
  KEPT_FALLBACK_MS,
  MAX_REQUEUES,
  type SubmittedFacts,
  settleSubmitted,
  WRITER_GONE_MS,
} from './input.js';

const live: SubmittedFacts = {
  inTranscript: false,
  runEndedAt: null,
  writerAlive: true,
  turnEndedAt: null,
  requeues: 0,
};

describe('a submitted input', () => {
  it('is confirmed once the transcript has it, whatever became of its run', () => {
    expect(settleSubmitted({ ...live, inTranscript: true }, 1000)).toEqual({
      kind: 'confirm',
      by: 'transcript',
    });
    expect(
      settleSubmitted(
        { ...live, inTranscript: true, runEndedAt: 900, writerAlive: false, requeues: 9 },
        1000,
      ),
    ).toEqual({ kind: 'confirm', by: 'transcript' });
  });

  it('waits while its run lives, however long, until a turn ended long ago with no transcript line', () => {
    expect(settleSubmitted(live, 10_000_000)).toEqual({ kind: 'wait' });
    expect(settleSubmitted({ ...live, turnEndedAt: 1000 }, 1000 + KEPT_FALLBACK_MS - 1)).toEqual({
      kind: 'wait',
    });
    expect(settleSubmitted({ ...live, turnEndedAt: 1000 }, 1000 + KEPT_FALLBACK_MS)).toEqual({
      kind: 'confirm',
      by: 'turn-end',
    });
  });

  it('goes back to the queue when its run ended without the transcript line, once its TUI can no longer write', () => {
    const ended = { ...live, runEndedAt: 1000 };
    expect(settleSubmitted(ended, 1100)).toEqual({ kind: 'wait' });
    expect(settleSubmitted(ended, 1000 + WRITER_GONE_MS)).toMatchObject({ kind: 'requeue' });
    expect(settleSubmitted({ ...ended, writerAlive: false }, 1001)).toEqual({
      kind: 'requeue',
      reason: 'the agent exited before its conversation kept the input',
    });
    // A turn's end proves nothing of a dead run: the fake's fast turn ends before its transcript line.
    expect(settleSubmitted({ ...ended, writerAlive: false, turnEndedAt: 0 }, 100_000)).toMatchObject({
      kind: 'requeue',
    });
  });

  it(`fails, not typed again, when its TUI died ${MAX_REQUEUES} times before keeping it`, () => {
    const dead = { ...live, runEndedAt: 1000, writerAlive: false };
    expect(settleSubmitted({ ...dead, requeues: MAX_REQUEUES - 2 }, 2000)).toMatchObject({ kind: 'requeue' });
    expect(settleSubmitted({ ...dead, requeues: MAX_REQUEUES - 1 }, 2000)).toEqual({
      kind: 'fail',
      reason: `the agent exited before its conversation kept the input, ${MAX_REQUEUES} times: not sent again`,
    });
  });
});
