import { describe, expect, it } from 'vitest';
import { HoldfastError } from '../core/errors.js';
import { gemini } from './gemini.js';
import { summarizeLines } from './summary.js';
import { jsonLine, launchInput } from './test-input.js';

const ID = 'c8d7a3e2-1f4b-4c5d-9e6f-7a8b9c0d1e2f';
const NOW = Date.UTC(2026, 0, 15, 8, 0);
const input = launchInput('gemini', { sessionId: ID });
const j = jsonLine;
const ts = '2026-01-15T08:00:00.000Z';

const SUCCESS = [
  j({ type: 'init', timestamp: ts, session_id: ID, model: 'gemini-2.5-pro' }),
  j({ type: 'message', timestamp: ts, role: 'user', content: 'run the tests' }),
  j({ type: 'message', timestamp: ts, role: 'assistant', content: 'Running ', delta: true }),
  j({ type: 'message', timestamp: ts, role: 'assistant', content: 'the tests.', delta: true }),
  j({
    type: 'tool_use',
    timestamp: ts,
    tool_name: 'run_shell_command',
    tool_id: 't1',
    parameters: { command: 'npm test' },
  }),
  j({ type: 'tool_result', timestamp: ts, tool_id: 't1', status: 'success', output: '3 passed' }),
  j({ type: 'message', timestamp: ts, role: 'assistant', content: 'All tests ', delta: true }),
  j({ type: 'message', timestamp: ts, role: 'assistant', content: 'pass.', delta: true }),
  j({
    type: 'result',
    timestamp: ts,
    status: 'success',
    stats: { total_tokens: 900, input_tokens: 800, output_tokens: 100, duration_ms: 5000, tool_calls: 1 },
  }),
];

describe('gemini launch', () => {
  it('runs headless with an empty -p and pre-assigns the session id', () => {
    expect(gemini.launch(input)).toEqual({
      argv: ['gemini', '-p', '', '-o', 'stream-json', '--skip-trust', '--session-id', ID],
      env: {},
    });
  });

  it('resumes by id, with model, yolo approvals and extra arguments', () => {
    expect(
      gemini.launch({
        ...input,
        resume: true,
        model: 'gemini-2.5-flash',
        unattended: true,
        extraArgs: ['--debug'],
      }).argv,
    ).toEqual([
      'gemini',
      '-p',
      '',
      '-o',
      'stream-json',
      '--skip-trust',
      '--resume',
      ID,
      '-m',
      'gemini-2.5-flash',
      '--approval-mode',
      'yolo',
      '--debug',
    ]);
    expect(() => gemini.launch({ ...input, sessionId: null, resume: true })).toThrow(HoldfastError);
  });
});

describe('gemini parseLine', () => {
  it('reads init, streamed text, tools and the result', () => {
    expect(SUCCESS.map((l) => gemini.parseLine(l, NOW))).toEqual([
      [{ type: 'session', id: ID, newer: true }],
      [],
      [{ type: 'assistant', text: 'Running ', delta: true }],
      [{ type: 'assistant', text: 'the tests.', delta: true }],
      [{ type: 'tool-call', name: 'run_shell_command', input: 'npm test', id: 't1' }],
      [{ type: 'tool-result', text: '3 passed', isError: false, id: 't1' }],
      [{ type: 'assistant', text: 'All tests ', delta: true }],
      [{ type: 'assistant', text: 'pass.', delta: true }],
      [{ type: 'turn' }, { type: 'result', ok: true, text: null, turns: null, costUsd: null }],
    ]);
  });

  it('reads a failed tool and skips warnings', () => {
    const failed = j({
      type: 'tool_result',
      tool_id: 't2',
      status: 'error',
      error: { type: 'X', message: 'denied' },
    });
    expect(gemini.parseLine(failed, NOW)).toEqual([
      { type: 'tool-result', text: 'denied', isError: true, id: 't2' },
    ]);
    expect(
      gemini.parseLine(j({ type: 'error', severity: 'warning', message: 'loop detected' }), NOW),
    ).toEqual([]);
  });
});

describe('gemini classify', () => {
  it('calls a success result with exit 0 done, joining the streamed answer', () => {
    const s = summarizeLines(gemini, SUCCESS, NOW);
    expect(s).toMatchObject({ sessionId: ID, lastAssistant: 'All tests pass.', turns: 1, result: 'success' });
    expect(gemini.classify(s, { exitCode: 0, signal: null })).toEqual({ class: 'done' });
  });

  it('calls an error result a crash with its message', () => {
    const s = summarizeLines(
      gemini,
      [
        SUCCESS[0]!,
        j({ type: 'result', status: 'error', error: { type: 'FatalError', message: 'boom' }, stats: {} }),
      ],
      NOW,
    );
    expect(gemini.classify(s, { exitCode: 1, signal: null })).toEqual({ class: 'crash', detail: 'boom' });
  });

  it.each([
    [41, { class: 'auth', detail: 'exit status 41: authentication failed' }],
    [42, { class: 'fatal', detail: 'bad-input' }],
    [53, { class: 'fatal', detail: 'turn-limit' }],
    [55, { class: 'fatal', detail: 'untrusted-folder' }],
  ])('reads exit status %i', (exitCode, verdict) => {
    expect(
      gemini.classify(summarizeLines(gemini, SUCCESS.slice(0, 3), NOW), { exitCode, signal: null }),
    ).toEqual(verdict);
  });

  it('reads the usage-limit lines, reset time from the second', () => {
    const s = summarizeLines(
      gemini,
      [
        'Usage limit reached for gemini-2.5-pro.\r',
        'Access resets at 11:00 AM GMT+2.\r',
        '/stats model for usage details',
      ],
      NOW,
    );
    expect(gemini.classify(s, { exitCode: 1, signal: null })).toEqual({
      class: 'usage-limited',
      resetAt: Date.UTC(2026, 0, 15, 9, 0),
      resetResolution: 'minute',
      detail: 'Usage limit reached for gemini-2.5-pro.',
    });
  });

  it('reads an exhausted daily quota as a limit of unknown reset', () => {
    const s = summarizeLines(
      gemini,
      [
        j({
          type: 'error',
          severity: 'error',
          message: 'You have exhausted your daily quota on this model.',
        }),
      ],
      NOW,
    );
    expect(gemini.classify(s, { exitCode: 1, signal: null })).toEqual({
      class: 'usage-limited',
      resetAt: null,
      detail: 'You have exhausted your daily quota on this model.',
    });
  });

  it('reads a capacity limit with a relative reset', () => {
    const text = 'You have exhausted your capacity on this model. Your quota will reset after 12h22m45s.';
    const s = summarizeLines(gemini, [j({ type: 'result', status: 'error', error: { message: text } })], NOW);
    expect(gemini.classify(s, { exitCode: 1, signal: null })).toMatchObject({
      class: 'usage-limited',
      resetAt: NOW + 44_565_000,
    });
  });

  it('calls an unknown session on resume conversation-lost, before the bad-input exit', () => {
    const text = `Error resuming session: Invalid session identifier "${ID}". Use --list-sessions to see available sessions.`;
    const s = summarizeLines(gemini, [`${text}\r`], NOW);
    expect(gemini.classify(s, { exitCode: 42, signal: null })).toEqual({
      class: 'conversation-lost',
      detail: text,
    });
  });

  it('calls the auth text auth whatever the exit', () => {
    const text =
      'Please set an Auth method in your /root/.gemini/settings.json or specify one of the following environment variables before running: GEMINI_API_KEY';
    const s = summarizeLines(gemini, [text], NOW);
    expect(gemini.classify(s, { exitCode: 41, signal: null })).toEqual({ class: 'auth', detail: text });
  });
});
