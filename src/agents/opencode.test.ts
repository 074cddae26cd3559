import { describe, expect, it } from 'vitest';
import { HoldfastError } from '../core/errors.js';
import { findSessionByTitle, opencode } from './opencode.js';
import { summarizeLines } from './summary.js';
import { jsonLine, launchInput } from './test-input.js';

const SES = 'ses_494719016ffe85dkDMj0FPRbHK';
const NOW = Date.UTC(2026, 0, 15, 10, 0);
const input = launchInput('opencode', { runLabel: 'holdfast-build-7' });
const j = jsonLine;
const ok = { exitCode: 0, signal: null };

const SUCCESS = [
  j({
    type: 'step_start',
    timestamp: 1,
    sessionID: SES,
    part: { id: 'prt_1', type: 'step-start', snapshot: 'abc' },
  }),
  j({
    type: 'tool_use',
    timestamp: 2,
    sessionID: SES,
    part: {
      id: 'prt_2',
      type: 'tool',
      tool: 'bash',
      callID: 'call_1',
      state: { status: 'completed', input: { command: 'npm test' }, output: '3 passed', title: 'npm test' },
    },
  }),
  j({
    type: 'step_finish',
    timestamp: 3,
    sessionID: SES,
    part: { type: 'step-finish', reason: 'tool-calls', cost: 0 },
  }),
  j({
    type: 'text',
    timestamp: 4,
    sessionID: SES,
    part: { type: 'text', text: 'All tests pass.', time: { end: 4 } },
  }),
  j({
    type: 'step_finish',
    timestamp: 5,
    sessionID: SES,
    part: { type: 'step-finish', reason: 'stop', cost: 0 },
  }),
];

const errorLine = (error: unknown) => j({ type: 'error', timestamp: 6, sessionID: SES, error });

describe('opencode launch', () => {
  it('titles a fresh run with the run label', () => {
    expect(opencode.launch(input)).toEqual({
      argv: ['opencode', 'run', '--format', 'json', '--title', 'holdfast-build-7'],
      env: {},
    });
  });

  it('resumes by session id, with model, --auto and extra arguments', () => {
    expect(
      opencode.launch({
        ...input,
        sessionId: SES,
        resume: true,
        model: 'anthropic/claude-sonnet-4-5',
        unattended: true,
        extraArgs: ['--agent', 'build'],
      }).argv,
    ).toEqual([
      'opencode',
      'run',
      '--format',
      'json',
      '-s',
      SES,
      '-m',
      'anthropic/claude-sonnet-4-5',
      '--auto',
      '--agent',
      'build',
    ]);
    expect(() => opencode.launch({ ...input, resume: true })).toThrow(HoldfastError);
  });

  it('turns the self-updater off', () => {
    expect(opencode.quietEnv).toEqual({ OPENCODE_DISABLE_AUTOUPDATE: '1' });
  });
});

describe('opencode parseLine', () => {
  it('reads the session id from every line, tools, steps and text', () => {
    expect(SUCCESS.map((l) => opencode.parseLine(l, NOW))).toEqual([
      [{ type: 'session', id: SES }],
      [
        { type: 'session', id: SES },
        { type: 'tool-call', name: 'bash', input: 'npm test', id: 'call_1' },
        { type: 'tool-result', text: '3 passed', isError: false, id: 'call_1' },
      ],
      [{ type: 'session', id: SES }, { type: 'turn' }],
      [
        { type: 'session', id: SES },
        { type: 'assistant', text: 'All tests pass.' },
      ],
      [{ type: 'session', id: SES }, { type: 'turn' }],
    ]);
  });

  it('reads a failed tool', () => {
    const line = j({
      type: 'tool_use',
      sessionID: SES,
      part: { tool: 'read', state: { status: 'error', input: { filePath: '/x' }, error: 'ENOENT' } },
    });
    expect(opencode.parseLine(line, NOW).slice(1)).toEqual([
      { type: 'tool-call', name: 'read', input: '/x' },
      { type: 'tool-result', text: 'ENOENT', isError: true },
    ]);
  });
});

describe('opencode classify', () => {
  it('calls exit 0 without an error line done', () => {
    const s = summarizeLines(opencode, SUCCESS, NOW);
    expect(s).toMatchObject({ sessionId: SES, lastAssistant: 'All tests pass.', turns: 2 });
    expect(opencode.classify(s, ok)).toEqual({ class: 'done' });
  });

  it('calls an error line a crash even with exit 0', () => {
    const s = summarizeLines(
      opencode,
      [...SUCCESS.slice(0, 2), errorLine({ name: 'UnknownError', data: { message: 'socket hang up' } })],
      NOW,
    );
    expect(opencode.classify(s, ok)).toEqual({ class: 'crash', detail: 'UnknownError: socket hang up' });
  });

  it('calls a non-zero exit or a signal a crash', () => {
    expect(opencode.classify(summarizeLines(opencode, SUCCESS, NOW), { exitCode: 1, signal: null })).toEqual({
      class: 'crash',
      detail: 'exit status 1',
    });
    expect(
      opencode.classify(summarizeLines(opencode, [], NOW), { exitCode: null, signal: 'SIGTERM' }),
    ).toEqual({
      class: 'crash',
      detail: 'killed by SIGTERM',
    });
  });

  it('reads a 429 with a relative reset', () => {
    const s = summarizeLines(
      opencode,
      [
        errorLine({
          name: 'APIError',
          data: { message: 'Usage limit reached. It will reset in 2 hours 5 minutes', statusCode: 429 },
        }),
      ],
      NOW,
    );
    expect(opencode.classify(s, { exitCode: 1, signal: null })).toEqual({
      class: 'usage-limited',
      resetAt: NOW + 7_500_000,
      resetResolution: 'minute',
      detail: 'APIError: Usage limit reached. It will reset in 2 hours 5 minutes',
    });
  });

  it('calls any 429 usage-limited, with an unknown reset when the text gives none', () => {
    const s = summarizeLines(
      opencode,
      [errorLine({ name: 'APIError', data: { message: 'Too Many Requests', statusCode: 429 } })],
      NOW,
    );
    expect(opencode.classify(s, ok)).toEqual({
      class: 'usage-limited',
      resetAt: null,
      detail: 'Too Many Requests',
    });
  });

  it('calls a provider auth error auth', () => {
    const s = summarizeLines(
      opencode,
      [
        errorLine({
          name: 'ProviderAuthError',
          data: { providerID: 'anthropic', message: 'API key is missing' },
        }),
      ],
      NOW,
    );
    expect(opencode.classify(s, { exitCode: 1, signal: null })).toEqual({
      class: 'auth',
      detail: 'ProviderAuthError: API key is missing',
    });
  });

  it('calls an unknown session on resume conversation-lost', () => {
    const s = summarizeLines(
      opencode,
      [errorLine({ name: 'NotFoundError', data: { message: `Resource not found: ${SES}` } })],
      NOW,
    );
    expect(opencode.classify(s, { exitCode: 1, signal: null })).toMatchObject({ class: 'conversation-lost' });
  });
  it('keeps a stray stderr error line as detail only: exit 0 without an error line is done', () => {
    const s = summarizeLines(opencode, ['Error: MCP server "docs" failed to start\r', ...SUCCESS], NOW);
    expect(s.lastError).toBe('Error: MCP server "docs" failed to start');
    expect(opencode.classify(s, ok)).toEqual({ class: 'done' });
  });

  it('renders an error line as a failed result', () => {
    const events = opencode.parseLine(errorLine({ name: 'UnknownError', data: { message: 'boom' } }), NOW);
    expect(events.map((e) => opencode.render(e)).filter((l) => l !== null)).toEqual([
      '■ failed: UnknownError: boom',
    ]);
  });
});

describe('findSessionByTitle', () => {
  const list = JSON.stringify(
    [
      {
        id: 'ses_old',
        title: 'holdfast-build-7',
        updated: 100,
        created: 50,
        projectId: 'p',
        directory: '/w',
      },
      {
        id: 'ses_other',
        title: 'something else',
        updated: 300,
        created: 60,
        projectId: 'p',
        directory: '/w',
      },
      {
        id: 'ses_new',
        title: 'holdfast-build-7',
        updated: 200,
        created: 70,
        projectId: 'p',
        directory: '/w',
      },
    ],
    null,
    2,
  );

  it('finds the newest session with the title', () => {
    expect(findSessionByTitle(list, 'holdfast-build-7')).toBe('ses_new');
  });

  it('reads the list behind a line of noise, and full session objects', () => {
    expect(findSessionByTitle(`Performing one time database migration...\n${list}`, 'holdfast-build-7')).toBe(
      'ses_new',
    );
    expect(findSessionByTitle(JSON.stringify([{ id: 'ses_x', title: 't', time: { updated: 1 } }]), 't')).toBe(
      'ses_x',
    );
  });

  it('gives null when there is no such session or no list', () => {
    expect(findSessionByTitle(list, 'holdfast-build-8')).toBeNull();
    expect(findSessionByTitle('', 'x')).toBeNull();
    expect(findSessionByTitle('{"id":"ses_x","title":"x"}', 'x')).toBeNull();
  });
});
