import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../core/task.js';
import type { TaskView } from '../views/task.js';
import { renderEvent } from './commands/events.js';
import { runMarker } from './commands/log.js';
import { renderStatus } from './commands/status.js';

// 2026-05-12 04:46:23 UTC, 06:46:23 in Berlin.
const NOW = Date.UTC(2026, 4, 12, 4, 46, 23);
const BERLIN = { now: NOW, timeZone: 'Europe/Berlin' };

describe('renderEvent', () => {
  it('shows epoch-ms times named …At in local time with the relative time, …Ms as durations', () => {
    const line = renderEvent(
      {
        id: 4,
        taskId: 1,
        taskName: 'web',
        runId: 1,
        at: NOW,
        type: 'backoff',
        data: { delayMs: 60_000, nextStartAt: NOW + 60_000, attempt: 1 },
      },
      BERLIN,
    );
    expect(line).toBe(`06:46:23  ${'backoff'.padEnd(18)} delayMs=1m nextStartAt=06:47:23 (in 1m) attempt=1`);
  });

  it('shows an ISO time too, and the date for another day', () => {
    const line = renderEvent(
      {
        id: 1,
        taskId: 1,
        taskName: 'web',
        runId: null,
        at: NOW - 86_400_000,
        type: 'rate-limited',
        data: { resetsAt: new Date(NOW + 3_600_000).toISOString(), reason: 'usage-limit' },
      },
      BERLIN,
    );
    expect(line).toBe(
      `2026-05-11 06:46:23  ${'rate-limited'.padEnd(18)} resetsAt=07:46:23 (in 1h) reason=usage-limit`,
    );
  });
});

describe('with TZ=Europe/Berlin', () => {
  const saved = process.env.TZ;
  beforeEach(() => {
    process.env.TZ = 'Europe/Berlin';
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });

  it('runMarker names the run, its cause and its local start time', () => {
    const run = { n: 2, cause: 'restart', startedAt: NOW } as RunRecord;
    expect(runMarker(run, NOW)).toBe('── run 2 (restart, started 06:46:23) ──');
  });

  it('renderStatus: local times, relative ones, words for labels, money rounded', () => {
    const view: TaskView = {
      id: 1,
      name: 'ag',
      state: 'rate-limited',
      desired: 'running',
      reason: 'usage-limit',
      pid: null,
      exitCode: 0,
      signal: null,
      restarts: 0,
      cwd: '/w',
      command: ['claude'],
      createdAt: new Date(NOW - 120_000).toISOString(),
      updatedAt: new Date(NOW).toISOString(),
      startedAt: null,
      uptimeMs: null,
      nextStartAt: new Date(NOW + 60_000).toISOString(),
      lastOutputAt: null,
      restart: 'on-failure',
      onBoot: 'resume',
      agent: 'claude',
      sessionId: 's-1',
      limitResetsAt: new Date(NOW + 60_000).toISOString(),
      mission: null,
      prompt: `line one\nline two ${'x'.repeat(300)}`,
      info: { lastMessage: 'Done.\nAll green.', turns: 3, costUsd: 0.00014000000000000001 },
      interactive: false,
      activity: null,
      activitySince: null,
      question: null,
      runs: [],
      inputs: [],
      worktree: null,
    };
    const lines = renderStatus(view, NOW).split('\n');
    const field = (label: string) =>
      lines.find((l) => l.startsWith(`${label} `))?.replace(new RegExp(`^${label} +`), '');
    expect(field('created')).toBe('06:44:23 (2m ago)');
    expect(field('next start')).toBe('06:47:23 (in 1m)');
    expect(field('limit resets')).toBe('06:47:23 (in 1m)');
    expect(field('last message')).toBe('Done. All green.');
    expect(field('turns')).toBe('3');
    expect(field('cost')).toBe('$0.0001');
    expect(field('prompt')).toBe(`line one line two ${'x'.repeat(200 - 18)}…`);
  });

  it('renderStatus of an interactive agent: its activity, the open question with its options, and how to answer it', () => {
    const view = {
      id: 1,
      name: 'tui',
      state: 'waiting-input',
      desired: 'running',
      reason: 'question: permission',
      pid: 7,
      exitCode: null,
      signal: null,
      restarts: 0,
      cwd: '/w',
      command: ['claude'],
      createdAt: new Date(NOW - 120_000).toISOString(),
      updatedAt: new Date(NOW).toISOString(),
      startedAt: new Date(NOW - 60_000).toISOString(),
      uptimeMs: 60_000,
      nextStartAt: null,
      lastOutputAt: null,
      restart: 'on-failure',
      onBoot: 'resume',
      agent: 'claude',
      sessionId: 's-1',
      limitResetsAt: null,
      mission: null,
      prompt: null,
      info: {},
      interactive: true,
      activity: 'waiting-input',
      activitySince: new Date(NOW - 5000).toISOString(),
      question: {
        id: 'q1',
        kind: 'permission',
        tool: 'Bash',
        input: 'touch made.txt',
        options: ['Yes', 'Yes, and always allow', 'No'],
        askedAt: new Date(NOW - 5000).toISOString(),
        via: 'hook',
      },
      runs: [],
      inputs: [],
      worktree: null,
    } satisfies TaskView;
    const lines = renderStatus(view, NOW).split('\n');
    const field = (label: string) =>
      lines.find((l) => l.startsWith(`${label} `))?.replace(new RegExp(`^${label} +`), '');
    expect(field('activity')).toBe('waiting-input 5s');
    expect(field('question')).toBe('permission: Bash — touch made.txt (asked 5s ago)');
    expect(field('options')).toBe('1. Yes · 2. Yes, and always allow · 3. No');
    expect(field('next')).toBe('holdfast answer tui yes | no | <option>');
    const idle = renderStatus({ ...view, state: 'running', activity: 'idle', question: null }, NOW);
    expect(idle).toMatch(/^activity +idle 5s$/m);
    expect(idle).not.toMatch(/^question/m);
  });
});
