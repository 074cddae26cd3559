import { describe, expect, it } from 'vitest';
import { HoldfastError } from '../core/errors.js';
import { amp } from './amp.js';
import { summarizeLines } from './summary.js';
import { jsonLine, launchInput } from './test-input.js';

const T = 'T-5928a90d-d53b-488f-a829-4e36442142ee';
const NOW = Date.UTC(2026, 0, 15, 10, 0);
const input = launchInput('amp', { model: 'ignored' });
const j = jsonLine;
const failed = { exitCode: 1, signal: null };

const SUCCESS = [
  j({
    type: 'system',
    subtype: 'init',
    cwd: '/work',
    session_id: T,
    tools: ['Bash', 'Read'],
    mcp_servers: [],
  }),
  j({
    type: 'assistant',
    message: {
      type: 'message',
      role: 'assistant',
      content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { cmd: 'npm test' } }],
      stop_reason: 'tool_use',
    },
    parent_tool_use_id: null,
    session_id: T,
  }),
  j({
    type: 'user',
    message: {
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '3 passed', is_error: false }],
    },
    parent_tool_use_id: null,
    session_id: T,
  }),
  j({
    type: 'assistant',
    message: { type: 'message', role: 'assistant', content: [{ type: 'text', text: 'All tests pass.' }] },
    parent_tool_use_id: null,
    session_id: T,
  }),
  j({
    type: 'result',
    subtype: 'success',
    duration_ms: 5000,
    is_error: false,
    num_turns: 2,
    result: 'All tests pass.',
    session_id: T,
  }),
];

const errorResult = (error: string) =>
  j({
    type: 'result',
    subtype: 'error_during_execution',
    duration_ms: 100,
    is_error: true,
    num_turns: 1,
    error,
    session_id: T,
  });

describe('amp launch', () => {
  it('executes with stream-json and no model flag', () => {
    expect(amp.launch(input)).toEqual({ argv: ['amp', '-x', '--stream-json'], env: {} });
  });

  it('continues a thread, allowing all when unattended, extra arguments last', () => {
    expect(
      amp.launch({ ...input, sessionId: T, resume: true, unattended: true, extraArgs: ['--mode', 'smart'] })
        .argv,
    ).toEqual([
      'amp',
      'threads',
      'continue',
      T,
      '-x',
      '--stream-json',
      '--dangerously-allow-all',
      '--mode',
      'smart',
    ]);
    expect(() => amp.launch({ ...input, resume: true })).toThrow(HoldfastError);
  });
});

describe('amp parseLine and classify', () => {
  it('reads claude-shaped messages and calls a success result done', () => {
    expect(SUCCESS.map((l) => amp.parseLine(l, NOW))).toEqual([
      [{ type: 'session', id: T, newer: true }],
      [{ type: 'tool-call', name: 'Bash', input: 'npm test', id: 'toolu_1' }],
      [{ type: 'tool-result', text: '3 passed', isError: false, id: 'toolu_1' }],
      [{ type: 'assistant', text: 'All tests pass.' }],
      [{ type: 'result', ok: true, text: 'All tests pass.', turns: 2, costUsd: null }],
    ]);
    const s = summarizeLines(amp, SUCCESS, NOW);
    expect(s).toMatchObject({ sessionId: T, lastAssistant: 'All tests pass.', turns: 2 });
    expect(amp.classify(s, { exitCode: 0, signal: null })).toEqual({ class: 'done' });
  });

  it('calls an error result a crash with its error', () => {
    const s = summarizeLines(amp, [SUCCESS[0]!, errorResult('tool crashed')], NOW);
    expect(amp.classify(s, failed)).toEqual({ class: 'crash', detail: 'tool crashed' });
  });

  it('calls Out of Credits usage-limited with an unknown reset', () => {
    const s = summarizeLines(amp, [SUCCESS[0]!, errorResult('Out of Credits')], NOW);
    expect(amp.classify(s, failed)).toEqual({
      class: 'usage-limited',
      resetAt: null,
      detail: 'Out of Credits',
    });
  });

  it('calls Rate Limit Hit usage-limited', () => {
    const s = summarizeLines(amp, ['Rate Limit Hit\r'], NOW);
    expect(amp.classify(s, failed)).toEqual({
      class: 'usage-limited',
      resetAt: null,
      detail: 'Rate Limit Hit',
    });
  });

  it('calls a login prompt auth', () => {
    const s = summarizeLines(amp, ['Not logged in. Run amp login to sign in.\r'], NOW);
    expect(amp.classify(s, failed)).toEqual({
      class: 'auth',
      detail: 'Not logged in. Run amp login to sign in.',
    });
  });

  it('calls the login flow the real CLI starts without an API key auth', () => {
    const lines = [
      'No API key found. Starting login flow...\r',
      'Login failed: That code looks incomplete. Please try again.\r',
    ];
    expect(amp.classify(summarizeLines(amp, lines, NOW), failed).class).toBe('auth');
  });

  it('calls an unknown thread conversation-lost', () => {
    const s = summarizeLines(amp, [`Error: Thread ${T} not found\r`], NOW);
    expect(amp.classify(s, failed)).toEqual({
      class: 'conversation-lost',
      detail: `Error: Thread ${T} not found`,
    });
  });
});
