import { describe, expect, it } from 'vitest';
import {
  classifyByResult,
  emptySummary,
  foldEvents,
  renderEvent,
  signalVerdict,
  toolInFlight,
} from './summary.js';
import type { AgentEvent, TranscriptSummary } from './types.js';

const fold = (events: AgentEvent[], start: TranscriptSummary = emptySummary()) => foldEvents(start, events);
const ok = { exitCode: 0, signal: null };

describe('foldEvents', () => {
  it('starts empty', () => {
    expect(emptySummary()).toEqual({
      sessionId: null,
      lastAssistant: null,
      turns: 0,
      costUsd: null,
      result: null,
      usageLimit: null,
      authFailed: null,
      conversationMissing: false,
      permissionDenials: [],
      lastError: null,
      stopReason: null,
      assistantOpen: false,
    });
  });

  it('knows a tool call is in flight from its call until its result (or the turn’s end)', () => {
    const called = fold([
      { type: 'tool-call', name: 'Bash', input: 'sleep 12', id: 'a' },
      { type: 'tool-call', name: 'Read', input: 'x', id: 'b' },
    ]);
    expect(called.toolsInFlight).toEqual(['a', 'b']);
    const one = fold([{ type: 'tool-result', text: 'x', isError: false, id: 'b' }], called);
    expect(toolInFlight(one)).toBe(true);
    expect(toolInFlight(fold([{ type: 'tool-result', text: 'ok', isError: false, id: 'a' }], one))).toBe(
      false,
    );
    expect(
      toolInFlight(fold([{ type: 'result', ok: false, text: null, turns: null, costUsd: null }], called)),
    ).toBe(false);
    // A call reported only once done (no id: codex file_change) is never in flight.
    expect(toolInFlight(fold([{ type: 'tool-call', name: 'edit', input: 'a.ts' }]))).toBe(false);
    expect(toolInFlight(emptySummary())).toBe(false);
  });

  it('keeps the resolution of the reset time it keeps', () => {
    const s = fold([
      { type: 'usage-limit', resetAt: null, detail: 'limit' },
      { type: 'usage-limit', resetAt: 1000, resolution: 'minute', detail: 'try again at 6:47 AM' },
      { type: 'usage-limit', resetAt: 2000, detail: 'exact' },
    ]);
    expect(s.usageLimit).toEqual({ resetAt: 1000, resolution: 'minute', detail: 'limit' });
    expect(signalVerdict(s)).toEqual({
      class: 'usage-limited',
      resetAt: 1000,
      resetResolution: 'minute',
      detail: 'limit',
    });
  });

  it('leaves its input untouched', () => {
    const start = emptySummary();
    fold([{ type: 'turn' }], start);
    expect(start.turns).toBe(0);
  });

  it('takes a session id when none is known, or when the line says it is newer', () => {
    expect(fold([{ type: 'session', id: 'a' }]).sessionId).toBe('a');
    expect(
      fold([
        { type: 'session', id: 'a' },
        { type: 'session', id: 'b' },
      ]).sessionId,
    ).toBe('a');
    expect(
      fold([
        { type: 'session', id: 'a' },
        { type: 'session', id: 'b', newer: true },
      ]).sessionId,
    ).toBe('b');
  });

  it('keeps the last assistant text, joining streamed pieces', () => {
    expect(
      fold([
        { type: 'assistant', text: 'one' },
        { type: 'assistant', text: 'two' },
      ]).lastAssistant,
    ).toBe('two');
    const streamed = fold([
      { type: 'assistant', text: 'Run', delta: true },
      { type: 'assistant', text: 'ning.', delta: true },
      { type: 'tool-call', name: 'Bash', input: 'ls' },
      { type: 'assistant', text: 'Do', delta: true },
      { type: 'assistant', text: 'ne.', delta: true },
    ]);
    expect(streamed.lastAssistant).toBe('Done.');
    // Folding line by line gives the same as folding at once.
    let s = emptySummary();
    for (const e of ['Do', 'ne.']) s = fold([{ type: 'assistant', text: e, delta: true }], s);
    expect(s.lastAssistant).toBe('Done.');
  });

  it('counts turns, and takes the count a result reports', () => {
    expect(fold([{ type: 'turn' }, { type: 'turn' }]).turns).toBe(2);
    const s = fold([
      { type: 'turn' },
      { type: 'result', ok: true, text: 'All done.', turns: 7, costUsd: 0.5 },
    ]);
    expect(s).toMatchObject({ turns: 7, costUsd: 0.5, result: 'success', lastAssistant: 'All done.' });
    expect(
      fold([{ type: 'turn' }, { type: 'result', ok: true, text: null, turns: null, costUsd: null }]).turns,
    ).toBe(1);
  });

  it('records a failed result as the last error', () => {
    const s = fold([{ type: 'result', ok: false, text: 'API Error: 500', turns: 1, costUsd: null }]);
    expect(s).toMatchObject({ result: 'error', lastError: 'API Error: 500', lastAssistant: null });
  });

  it('keeps the first known reset time of a usage limit', () => {
    const s = fold([
      { type: 'usage-limit', resetAt: null, detail: 'Usage limit reached for gemini-2.5-pro.' },
      { type: 'usage-limit', resetAt: 1000, detail: 'Access resets at 11:00 AM.' },
      { type: 'usage-limit', resetAt: 2000, detail: 'later text' },
    ]);
    expect(s.usageLimit).toEqual({ resetAt: 1000, detail: 'Usage limit reached for gemini-2.5-pro.' });
  });

  it('records login failures, lost conversations, errors and stop reasons', () => {
    const s = fold([
      { type: 'error', message: 'first' },
      { type: 'auth-failed', detail: 'Not logged in' },
      { type: 'conversation-missing', detail: 'No conversation found with session ID: x' },
      { type: 'stop-reason', reason: 'error' },
    ]);
    expect(s).toMatchObject({
      authFailed: 'Not logged in',
      conversationMissing: true,
      lastError: 'No conversation found with session ID: x',
      stopReason: 'error',
    });
  });
});

describe('signalVerdict and classifyByResult', () => {
  const limited = fold([{ type: 'usage-limit', resetAt: 5, detail: 'five_hour limit' }]);

  it('ranks auth over a lost conversation over a usage limit', () => {
    const all = fold([
      { type: 'usage-limit', resetAt: 5, detail: 'limit' },
      { type: 'conversation-missing', detail: 'gone' },
      { type: 'auth-failed', detail: 'Not logged in' },
    ]);
    expect(signalVerdict(all)).toEqual({ class: 'auth', detail: 'Not logged in' });
    expect(signalVerdict({ ...all, authFailed: null })).toEqual({
      class: 'conversation-lost',
      detail: 'gone',
    });
    expect(signalVerdict(limited)).toEqual({ class: 'usage-limited', resetAt: 5, detail: 'five_hour limit' });
    expect(signalVerdict(emptySummary())).toBeNull();
  });

  it('calls a run with permission denials needs-input naming each denied tool once, even after a success result', () => {
    const s = fold([
      { type: 'permission-denied', tool: 'Bash', input: 'touch x' },
      { type: 'permission-denied', tool: 'Write', input: '/work/a.txt' },
      { type: 'permission-denied', tool: 'Bash', input: 'rm y' },
      { type: 'result', ok: true, text: 'I need permission.', turns: 4, costUsd: 0.01 },
    ]);
    expect(s.permissionDenials).toEqual([
      { tool: 'Bash', input: 'touch x' },
      { tool: 'Write', input: '/work/a.txt' },
      { tool: 'Bash', input: 'rm y' },
    ]);
    expect(classifyByResult(s, ok)).toEqual({
      class: 'needs-input',
      detail: 'permission-denied: Bash, Write',
    });
    // A limit or a login problem is what the user must see first.
    expect(signalVerdict(fold([{ type: 'usage-limit', resetAt: 5, detail: 'limit' }], s))).toMatchObject({
      class: 'usage-limited',
    });
    // Summaries stored before denials were folded have no such field.
    const { permissionDenials: _, ...old } = emptySummary();
    expect(signalVerdict(old)).toBeNull();
  });

  it('ranks a usage limit over the agent’s own result', () => {
    const s = fold([{ type: 'result', ok: true, text: null, turns: 1, costUsd: null }], limited);
    expect(classifyByResult(s, ok)).toEqual({
      class: 'usage-limited',
      resetAt: 5,
      detail: 'five_hour limit',
    });
  });

  it('is done only for a success result and exit 0', () => {
    const success = fold([{ type: 'result', ok: true, text: null, turns: 1, costUsd: null }]);
    expect(classifyByResult(success, ok)).toEqual({ class: 'done' });
    expect(classifyByResult(success, { exitCode: 1, signal: null })).toEqual({
      class: 'crash',
      detail: 'exit status 1 after a successful result',
    });
    expect(classifyByResult(success, { exitCode: null, signal: 'SIGTERM' })).toEqual({
      class: 'crash',
      detail: 'killed by SIGTERM after a successful result',
    });
  });

  it('calls an error result, a missing result and a bad exit a crash', () => {
    const failed = fold([{ type: 'result', ok: false, text: 'API Error: 500', turns: 1, costUsd: null }]);
    expect(classifyByResult(failed, { exitCode: 1, signal: null })).toEqual({
      class: 'crash',
      detail: 'API Error: 500',
    });
    expect(classifyByResult(emptySummary(), ok)).toEqual({
      class: 'crash',
      detail: 'exited without a result',
    });
    expect(classifyByResult(emptySummary(), { exitCode: 2, signal: null })).toEqual({
      class: 'crash',
      detail: 'exit status 2',
    });
    expect(classifyByResult(emptySummary(), { exitCode: null, signal: 'SIGKILL' })).toEqual({
      class: 'crash',
      detail: 'killed by SIGKILL',
    });
  });
});

describe('renderEvent', () => {
  it.each<[AgentEvent, string | null]>([
    [{ type: 'assistant', text: 'Hello there.' }, 'Hello there.'],
    [{ type: 'tool-call', name: 'Bash', input: 'npm test' }, '→ Bash: npm test'],
    [{ type: 'tool-call', name: 'TodoWrite', input: '' }, '→ TodoWrite'],
    [{ type: 'tool-result', text: '3 passed\n0 failed', isError: false }, '← ok: 3 passed 0 failed'],
    [{ type: 'tool-result', text: 'ENOENT', isError: true }, '← error: ENOENT'],
    [{ type: 'result', ok: true, text: 'x', turns: 3, costUsd: 0.1234 }, '■ done (3 turns, $0.12)'],
    [{ type: 'result', ok: true, text: null, turns: 1, costUsd: null }, '■ done (1 turn)'],
    [{ type: 'result', ok: true, text: null, turns: null, costUsd: null }, '■ done'],
    [{ type: 'result', ok: false, text: 'API Error: 500', turns: 1, costUsd: 0 }, '■ failed: API Error: 500'],
    [
      { type: 'usage-limit', resetAt: Date.UTC(2026, 0, 15, 12, 31), detail: 'x' },
      '⏸ usage limit, resets 2026-01-15T12:31:00.000Z',
    ],
    [{ type: 'usage-limit', resetAt: null, detail: 'x' }, '⏸ usage limit, reset time unknown'],
    [{ type: 'auth-failed', detail: 'Not logged in' }, '✗ not logged in: Not logged in'],
    [{ type: 'error', message: 'boom' }, '! boom'],
    [{ type: 'permission-denied', tool: 'Bash', input: 'touch x' }, '⚠ denied: Bash — touch x'],
    [{ type: 'permission-denied', tool: 'WebSearch', input: '' }, '⚠ denied: WebSearch'],
    [{ type: 'session', id: 'a' }, null],
    [{ type: 'turn' }, null],
    [{ type: 'stop-reason', reason: 'stop' }, null],
  ])('%j', (event, line) => {
    expect(renderEvent(event)).toBe(line);
  });

  it('cuts long tool output', () => {
    const line = renderEvent({ type: 'tool-result', text: 'x'.repeat(1000), isError: false })!;
    expect(line.length).toBeLessThan(200);
    expect(line.endsWith('…')).toBe(true);
  });
});
