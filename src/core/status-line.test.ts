import { describe, expect, it } from 'vitest';
import { nextAction, type StatusTask, statusText } from './status-line.js';
import { DEFAULT_RESTART_POLICY } from './task.js';

const NOW = new Date(2026, 11, 1, 6, 30, 0).getTime();
const at = (h: number, m: number, s = 0) => new Date(2026, 11, 1, h, m, s).getTime();

function task(patch: Partial<StatusTask> = {}): StatusTask {
  return {
    state: 'running',
    reason: null,
    restarts: 0,
    nextStartAt: null,
    limitResetsAt: null,
    tui: null,
    spec: {
      command: ['sleep', '1'],
      cwd: '/',
      umask: '022',
      restart: DEFAULT_RESTART_POLICY,
      stallTimeoutMs: null,
      onStall: 'restart',
      agent: null,
      checkpointEveryMs: null,
      mission: null,
    },
    ...patch,
  };
}

describe('the status line text of a task', () => {
  it.each<[string, Partial<StatusTask>, string]>([
    ['running, no stall limit', {}, 'running · 0 restarts'],
    [
      'rate-limited, with the reset time',
      { state: 'rate-limited', limitResetsAt: at(6, 46, 23), restarts: 2 },
      'rate-limited, resumes 06:46 · 2 restarts',
    ],
    [
      'backoff, with the next start to the second',
      { state: 'backoff', nextStartAt: at(6, 30, 5), restarts: 1 },
      'backoff, restarts 06:30:05 · 1 restart',
    ],
    [
      'crash-loop, with its probe',
      { state: 'crash-loop', nextStartAt: at(7, 0) },
      'crash-loop, probe 07:00:00 · 0 restarts',
    ],
    [
      'failed, with its reason',
      { state: 'failed', reason: 'max-runtime' },
      'failed, max-runtime · 0 restarts',
    ],
    [
      'a time on another day, with its date',
      { state: 'backoff', nextStartAt: new Date(2026, 11, 2, 1, 2, 3).getTime() },
      'backoff, restarts 2026-12-02 01:02:03 · 0 restarts',
    ],
  ])('%s', (_title, patch, expected) => {
    expect(statusText(task(patch), NOW)).toBe(expected);
  });

  it('running with a stall limit says how long a quiet run may last', () => {
    const t = task();
    expect(nextAction({ ...t, spec: { ...t.spec, stallTimeoutMs: 30 * 60_000 } }, NOW)).toBe(
      'stall after 30m quiet',
    );
  });

  it('waiting for input says what is asked and how to answer', () => {
    const t = task({
      state: 'waiting-input',
      reason: 'question: permission',
      tui: {
        question: {
          id: 'q1',
          kind: 'permission',
          tool: 'Bash',
          input: 'rm -rf build',
          options: [],
          askedAt: NOW,
          via: 'hook',
        },
      } as unknown as StatusTask['tui'],
    });
    expect(statusText(t, NOW)).toBe('waiting-input, asks Bash: rm -rf build: holdfast answer · 0 restarts');
  });
});
