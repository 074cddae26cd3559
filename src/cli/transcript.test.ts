import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../store/events.js';
import { runEndLine, waitText } from './transcript.js';

const run = { id: 4, exitCode: 1, signal: null };
let nextId = 1;
const event = (type: string, at: number, data: Record<string, unknown>, runId = 4): JournalEvent => ({
  id: nextId++,
  taskId: 1,
  taskName: 'agent',
  runId,
  at,
  type,
  data,
});
// Local time, as `follow` prints it.
const local = (h: number, m: number, s: number) => new Date(2026, 0, 15, h, m, s).getTime();

describe('runEndLine', () => {
  it('says once when holdfast resumes a run waiting out a usage limit', () => {
    const at = local(6, 45, 23);
    const events = [
      event('usage-limit-seen', at - 100, { resetAt: local(6, 45, 0), detail: 'try again at 6:45 AM' }),
      event('exited', at, { run: 2, exitCode: 1 }),
      event('rate-limited', at, { resetsAt: local(6, 46, 0), known: true, nextStartAt: local(6, 46, 23) }),
    ];
    expect(runEndLine(run, events)).toBe('⏸ usage limit — holdfast resumes at 06:46:23 (in 60 s)');
  });

  it('says a crash and when the agent resumes', () => {
    const events = [
      event('exited', 0, { run: 2, exitCode: 1 }),
      event('backoff', 0, { delayMs: 2000, nextStartAt: 2000, attempt: 2 }),
    ];
    expect(runEndLine(run, events)).toBe('✗ crashed (exit 1) — resuming in 2 s');
    expect(runEndLine({ ...run, exitCode: null, signal: 'SIGKILL' }, events)).toBe(
      '✗ crashed (SIGKILL) — resuming in 2 s',
    );
  });

  it('says nothing for a run that led to neither, or for another run’s entries', () => {
    expect(runEndLine(run, [event('exited', 0, { run: 2, exitCode: 0 })])).toBeNull();
    expect(runEndLine(run, [event('backoff', 0, { delayMs: 2000 }, 9)])).toBeNull();
  });
});

describe('waitText', () => {
  it.each([
    [2000, '2 s'],
    [60_000, '60 s'],
    [15 * 60_000, '15 min'],
    [5 * 3_600_000 + 3 * 60_000, '5 h 3 min'],
  ])('%i ms → %s', (ms, text) => {
    expect(waitText(ms)).toBe(text);
  });
});
