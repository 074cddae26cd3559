import { describe, expect, it } from 'vitest';
import { HoldfastError } from '../core/errors.js';
import { pi } from './pi.js';
import { summarizeLines } from './summary.js';
import { jsonLine, launchInput } from './test-input.js';

const PATH = '/home/u/.local/state/holdfast/sessions/build-1.jsonl';
const NOW = Date.UTC(2026, 0, 15, 10, 0);
const input = launchInput('pi', { sessionId: PATH });
const j = jsonLine;
const ok = { exitCode: 0, signal: null };

const assistant = (content: unknown[], stopReason: string, extra: object = {}) => ({
  role: 'assistant',
  content,
  provider: 'anthropic',
  model: 'claude-sonnet-4-5',
  stopReason,
  ...extra,
});
const FINAL = assistant([{ type: 'text', text: 'All tests pass.' }], 'stop');
const SUCCESS = [
  j({ type: 'session', version: 3, id: '7f3a2b1c', timestamp: '2026-01-15T10:00:00.000Z', cwd: '/work' }),
  j({ type: 'agent_start' }),
  j({ type: 'turn_start' }),
  j({ type: 'message_end', message: { role: 'user', content: [{ type: 'text', text: 'run the tests' }] } }),
  j({
    type: 'message_end',
    message: assistant(
      [
        { type: 'text', text: 'Running the tests.' },
        { type: 'toolCall', id: 't1', name: 'bash', arguments: { command: 'npm test' } },
      ],
      'toolUse',
    ),
  }),
  j({ type: 'tool_execution_start', toolCallId: 't1', toolName: 'bash', args: { command: 'npm test' } }),
  j({
    type: 'tool_execution_end',
    toolCallId: 't1',
    toolName: 'bash',
    result: { content: [{ type: 'text', text: '3 passed' }], details: {} },
    isError: false,
  }),
  j({ type: 'turn_end', message: {}, toolResults: [] }),
  j({ type: 'turn_start' }),
  j({ type: 'message_end', message: FINAL }),
  j({ type: 'turn_end', message: FINAL, toolResults: [] }),
  j({ type: 'agent_end', messages: [FINAL] }),
];

const failedRun = (errorMessage: string, stopReason = 'error') => [
  SUCCESS[0]!,
  j({ type: 'message_end', message: assistant([], stopReason, { errorMessage }) }),
  j({ type: 'agent_end', messages: [assistant([], stopReason, { errorMessage })] }),
];

describe('pi launch', () => {
  it('runs in JSON mode on our session file, fresh or resumed alike', () => {
    expect(pi.launch(input)).toEqual({ argv: ['pi', '--mode', 'json', '--session', PATH], env: {} });
    expect(pi.launch({ ...input, resume: true }).argv).toEqual(['pi', '--mode', 'json', '--session', PATH]);
  });

  it('adds the model and extra arguments; unattended needs nothing', () => {
    expect(
      pi.launch({
        ...input,
        model: 'anthropic/claude-sonnet-4-5',
        unattended: true,
        extraArgs: ['--thinking', 'high'],
      }).argv,
    ).toEqual([
      'pi',
      '--mode',
      'json',
      '--session',
      PATH,
      '--model',
      'anthropic/claude-sonnet-4-5',
      '--thinking',
      'high',
    ]);
  });

  it('needs an absolute session path', () => {
    expect(() => pi.launch({ ...input, sessionId: null })).toThrow(HoldfastError);
    expect(() => pi.launch({ ...input, sessionId: 'build-1.jsonl' })).toThrow(/absolute/);
  });
});

describe('pi parseLine', () => {
  it('keeps our path as the session: the session line says nothing', () => {
    expect(pi.parseLine(SUCCESS[0]!, NOW)).toEqual([]);
  });

  it('reads assistant text and its stop reason, tools and turns', () => {
    expect(SUCCESS.slice(3, 8).map((l) => pi.parseLine(l, NOW))).toEqual([
      [],
      [
        { type: 'assistant', text: 'Running the tests.' },
        { type: 'stop-reason', reason: 'toolUse' },
      ],
      [{ type: 'tool-call', name: 'bash', input: 'npm test', id: 't1' }],
      [{ type: 'tool-result', text: '3 passed', isError: false, id: 't1' }],
      [{ type: 'turn' }],
    ]);
  });
});

describe('pi classify', () => {
  it('calls a run whose last message stopped normally done', () => {
    const s = summarizeLines(pi, SUCCESS, NOW, undefined, {
      ...summarizeLines(pi, [], NOW),
      sessionId: PATH,
    });
    expect(s).toMatchObject({
      sessionId: PATH,
      lastAssistant: 'All tests pass.',
      turns: 2,
      stopReason: 'stop',
    });
    expect(pi.classify(s, ok)).toEqual({ class: 'done' });
  });

  it('calls an error stop a crash although pi exits 0', () => {
    const s = summarizeLines(pi, failedRun('terminated'), NOW);
    expect(pi.classify(s, ok)).toEqual({ class: 'crash', detail: 'terminated' });
  });

  it('calls an aborted run a crash', () => {
    const s = summarizeLines(pi, failedRun('Request was aborted', 'aborted'), NOW);
    expect(pi.classify(s, ok)).toEqual({ class: 'crash', detail: 'Request was aborted' });
  });

  it('calls any other ending done, and a run that said nothing a crash', () => {
    expect(pi.classify(summarizeLines(pi, SUCCESS.slice(0, 7), NOW), ok)).toEqual({ class: 'done' });
    expect(pi.classify(summarizeLines(pi, SUCCESS.slice(0, 2), NOW), ok)).toEqual({
      class: 'crash',
      detail: 'exited without an answer',
    });
  });

  it('calls a refused session file conversation-lost', () => {
    const s = summarizeLines(pi, [`Error: Session file not found: ${PATH}\r`], NOW);
    expect(pi.classify(s, { exitCode: 1, signal: null })).toEqual({
      class: 'conversation-lost',
      detail: `Error: Session file not found: ${PATH}`,
    });
  });

  it('calls a limit in the error message usage-limited', () => {
    const text = 'You have hit your ChatGPT usage limit (plus plan). Try again in ~158 min.';
    const s = summarizeLines(pi, failedRun(text), NOW);
    expect(pi.classify(s, ok)).toEqual({
      class: 'usage-limited',
      resetAt: NOW + 158 * 60_000,
      resetResolution: 'minute',
      detail: text,
    });
  });

  it('calls a missing key auth', () => {
    const s = summarizeLines(pi, failedRun('No API key found for anthropic'), NOW);
    expect(pi.classify(s, ok)).toEqual({ class: 'auth', detail: 'No API key found for anthropic' });
  });
});
