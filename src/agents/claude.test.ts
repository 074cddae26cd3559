import { describe, expect, it } from 'vitest';
import { HoldfastError } from '../core/errors.js';
import { claude } from './claude.js';
import { summarizeLines } from './summary.js';
import { jsonLine, launchInput } from './test-input.js';

const ID = '0b0e5a8e-5d2c-4f53-9a3e-2f1c8d9b7a61';
const NOW = Date.UTC(2026, 0, 15, 10, 0);
const RESET = Date.UTC(2026, 0, 15, 12, 31);
const input = launchInput('claude', { sessionId: ID });
const j = jsonLine;
const read = (lines: string[]) => summarizeLines(claude, lines, NOW, 'UTC');

const SUCCESS = [
  j({
    type: 'system',
    subtype: 'init',
    cwd: '/work',
    session_id: ID,
    tools: ['Bash'],
    model: 'claude-sonnet-4-5',
  }),
  j({
    type: 'assistant',
    message: {
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [
        { type: 'text', text: 'I will run the tests.' },
        {
          type: 'tool_use',
          id: 'toolu_1',
          name: 'Bash',
          input: { command: 'npm test', description: 'Run tests' },
        },
      ],
    },
    session_id: ID,
  }),
  j({
    type: 'user',
    message: {
      role: 'user',
      content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '3 passed', is_error: false }],
    },
    session_id: ID,
  }),
  j({
    type: 'assistant',
    message: {
      role: 'assistant',
      model: 'claude-sonnet-4-5',
      content: [{ type: 'text', text: 'All 3 tests pass.' }],
    },
    session_id: ID,
  }),
  j({
    type: 'result',
    subtype: 'success',
    is_error: false,
    duration_ms: 4200,
    num_turns: 3,
    result: 'All 3 tests pass.',
    session_id: ID,
    total_cost_usd: 0.1234,
  }),
];

const LIMIT_TEXT = 'You’ve hit your 5-hour limit · resets 12:31pm (UTC)';

describe('claude launch', () => {
  it('pre-assigns the session id on a fresh start', () => {
    expect(claude.launch(input)).toEqual({
      argv: ['claude', '-p', '--output-format', 'stream-json', '--verbose', '--session-id', ID],
      env: {},
    });
  });

  it('resumes with --resume, never --session-id', () => {
    expect(claude.launch({ ...input, resume: true }).argv).toEqual([
      'claude',
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      '--resume',
      ID,
    ]);
  });

  it('adds the model, unattended mode with IS_SANDBOX, and extra arguments last', () => {
    expect(
      claude.launch({
        ...input,
        program: '/fixtures/fake-claude',
        model: 'opus',
        unattended: true,
        extraArgs: ['--max-turns', '40'],
      }),
    ).toEqual({
      argv: [
        '/fixtures/fake-claude',
        '-p',
        '--output-format',
        'stream-json',
        '--verbose',
        '--session-id',
        ID,
        '--model',
        'opus',
        '--dangerously-skip-permissions',
        '--max-turns',
        '40',
      ],
      env: { IS_SANDBOX: '1' },
    });
  });

  it('lets claude choose the id when none is given, and refuses to resume without one', () => {
    expect(claude.launch({ ...input, sessionId: null }).argv).toEqual([
      'claude',
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
    ]);
    expect(() => claude.launch({ ...input, sessionId: null, resume: true })).toThrow(HoldfastError);
  });

  it('turns the self-updater off', () => {
    expect(claude.quietEnv).toEqual({ DISABLE_AUTOUPDATER: '1' });
  });
});

describe('claude parseLine', () => {
  it('reads the init line as this run’s session', () => {
    expect(claude.parseLine(SUCCESS[0]!, NOW)).toEqual([{ type: 'session', id: ID, newer: true }]);
  });

  it('reads text and tool calls of an assistant message', () => {
    expect(claude.parseLine(SUCCESS[1]!, NOW)).toEqual([
      { type: 'assistant', text: 'I will run the tests.' },
      { type: 'tool-call', name: 'Bash', input: 'npm test', id: 'toolu_1' },
    ]);
  });

  it('reads tool results, including failed ones with content parts', () => {
    expect(claude.parseLine(SUCCESS[2]!, NOW)).toEqual([
      { type: 'tool-result', text: '3 passed', isError: false, id: 'toolu_1' },
    ]);
    const failed = j({
      type: 'user',
      message: {
        content: [{ type: 'tool_result', content: [{ type: 'text', text: 'exit 1' }], is_error: true }],
      },
    });
    expect(claude.parseLine(failed, NOW)).toEqual([{ type: 'tool-result', text: 'exit 1', isError: true }]);
  });

  it('reads the result line', () => {
    expect(claude.parseLine(SUCCESS[4]!, NOW)).toEqual([
      { type: 'result', ok: true, text: 'All 3 tests pass.', turns: 3, costUsd: 0.1234 },
    ]);
  });

  it('reads a rejected rate_limit_event as a usage limit with its exact reset', () => {
    const line = j({
      type: 'rate_limit_event',
      rate_limit_info: {
        status: 'rejected',
        resetsAt: RESET / 1000,
        rateLimitType: 'five_hour',
        isUsingOverage: false,
      },
      session_id: ID,
    });
    expect(claude.parseLine(line, NOW)).toEqual([
      { type: 'usage-limit', resetAt: RESET, detail: 'five_hour limit' },
    ]);
  });

  it('ignores rate_limit_events that allow the request or run on overage', () => {
    for (const info of [
      { status: 'allowed', resetsAt: 1 },
      { status: 'allowed_warning', resetsAt: 1 },
      { status: 'rejected', resetsAt: 1, isUsingOverage: true },
    ]) {
      expect(claude.parseLine(j({ type: 'rate_limit_event', rate_limit_info: info }), NOW)).toEqual([]);
    }
  });

  it('does not take the model’s own words for a limit or a login problem', () => {
    const line = j({
      type: 'assistant',
      message: {
        model: 'claude-sonnet-4-5',
        content: [{ type: 'text', text: `${LIMIT_TEXT}. Please run /login.` }],
      },
    });
    expect(claude.parseLine(line, NOW).map((e) => e.type)).toEqual(['assistant']);
  });

  it('reads limit text in a failed result and in a plain line, once (not in the synthetic message before it)', () => {
    const synthetic = j({
      type: 'assistant',
      message: { model: '<synthetic>', content: [{ type: 'text', text: LIMIT_TEXT }] },
      error: 'rate_limit',
    });
    expect(claude.parseLine(synthetic, NOW, 'UTC')).toEqual([{ type: 'assistant', text: LIMIT_TEXT }]);
    const result = j({
      type: 'result',
      subtype: 'success',
      is_error: true,
      num_turns: 1,
      result: LIMIT_TEXT,
    });
    expect(claude.parseLine(result, NOW, 'UTC')).toEqual([
      { type: 'usage-limit', resetAt: RESET, resolution: 'minute', detail: LIMIT_TEXT },
      { type: 'result', ok: false, text: LIMIT_TEXT, turns: 1, costUsd: null },
    ]);
    expect(claude.parseLine(`${LIMIT_TEXT}\r`, NOW, 'UTC')).toEqual([
      { type: 'usage-limit', resetAt: RESET, resolution: 'minute', detail: LIMIT_TEXT },
    ]);
  });

  it('reads the legacy limit text with an epoch', () => {
    expect(claude.parseLine('Claude AI usage limit reached|1768480260', NOW)).toEqual([
      { type: 'usage-limit', resetAt: 1768480260000, detail: 'Claude AI usage limit reached' },
    ]);
  });

  it('ignores what it does not know', () => {
    expect(claude.parseLine(j({ type: 'system', subtype: 'api_retry', attempt: 1 }), NOW)).toEqual([]);
    expect(claude.parseLine('', NOW)).toEqual([]);
    expect(claude.parseLine('{"type":"assistant","message":', NOW)).toEqual([]);
  });
});

describe('claude classify', () => {
  it('calls a success transcript with exit 0 done', () => {
    const s = read(SUCCESS);
    expect(s).toMatchObject({
      sessionId: ID,
      lastAssistant: 'All 3 tests pass.',
      turns: 3,
      costUsd: 0.1234,
      result: 'success',
    });
    expect(claude.classify(s, { exitCode: 0, signal: null })).toEqual({ class: 'done' });
  });

  it('judges by is_error, not subtype', () => {
    const s = read([
      SUCCESS[0]!,
      j({
        type: 'result',
        subtype: 'success',
        is_error: true,
        num_turns: 1,
        result:
          'API Error: 500 {"type":"error","error":{"type":"api_error","message":"Internal server error"}}',
        session_id: ID,
      }),
    ]);
    expect(claude.classify(s, { exitCode: 1, signal: null })).toEqual({
      class: 'crash',
      detail:
        'API Error: 500 {"type":"error","error":{"type":"api_error","message":"Internal server error"}}',
    });
  });

  it('calls a subscription limit usage-limited at the structured reset time', () => {
    const s = read([
      SUCCESS[0]!,
      j({
        type: 'rate_limit_event',
        rate_limit_info: { status: 'rejected', resetsAt: RESET / 1000 + 42, rateLimitType: 'five_hour' },
      }),
      j({
        type: 'assistant',
        message: { model: '<synthetic>', content: [{ type: 'text', text: LIMIT_TEXT }] },
      }),
      j({
        type: 'result',
        subtype: 'success',
        is_error: true,
        num_turns: 1,
        result: LIMIT_TEXT,
        total_cost_usd: 0,
      }),
    ]);
    expect(claude.classify(s, { exitCode: 1, signal: null })).toEqual({
      class: 'usage-limited',
      resetAt: RESET + 42_000,
      detail: 'five_hour limit',
    });
  });

  it('falls back to the limit text, next day once the time has passed', () => {
    const lines = [
      j({ type: 'result', subtype: 'success', is_error: true, num_turns: 1, result: LIMIT_TEXT }),
    ];
    expect(claude.classify(read(lines), { exitCode: 1, signal: null })).toEqual({
      class: 'usage-limited',
      resetAt: RESET,
      resetResolution: 'minute',
      detail: LIMIT_TEXT,
    });
    const later = summarizeLines(claude, lines, Date.UTC(2026, 0, 15, 13, 0), 'UTC');
    expect(claude.classify(later, { exitCode: 1, signal: null })).toMatchObject({
      resetAt: Date.UTC(2026, 0, 16, 12, 31),
    });
  });

  it('calls a missing conversation on resume conversation-lost', () => {
    const s = read([`No conversation found with session ID: ${ID}\r`]);
    expect(claude.classify(s, { exitCode: 1, signal: null })).toEqual({
      class: 'conversation-lost',
      detail: `No conversation found with session ID: ${ID}`,
    });
  });

  it.each([
    'Invalid API key · Please run /login',
    'Not logged in · Please run /login',
    'OAuth token has expired. Please obtain a new token or refresh your existing token.',
  ])('calls %j auth', (text) => {
    const s = read([j({ type: 'result', subtype: 'success', is_error: true, num_turns: 0, result: text })]);
    expect(claude.classify(s, { exitCode: 1, signal: null })).toEqual({ class: 'auth', detail: text });
  });

  it('calls a kill in the middle a crash', () => {
    expect(claude.classify(read(SUCCESS.slice(0, 3)), { exitCode: null, signal: 'SIGKILL' })).toEqual({
      class: 'crash',
      detail: 'killed by SIGKILL',
    });
  });
});

// A print-mode run without --dangerously-skip-permissions that asked for Bash: the tool is refused,
// the model says so, and the result is a "success" that lists the denial (issue 8).
const DENIED = [
  SUCCESS[0]!,
  j({
    type: 'assistant',
    message: {
      role: 'assistant',
      content: [{ type: 'tool_use', id: 'toolu_9', name: 'Bash', input: { command: 'touch x' } }],
    },
    session_id: ID,
  }),
  j({
    type: 'user',
    message: {
      role: 'user',
      content: [
        {
          type: 'tool_result',
          tool_use_id: 'toolu_9',
          content: "Claude requested permissions to use Bash, but you haven't granted it yet.",
          is_error: true,
        },
      ],
    },
    session_id: ID,
  }),
  j({
    type: 'assistant',
    message: { role: 'assistant', content: [{ type: 'text', text: 'I need permission to run touch.' }] },
    session_id: ID,
  }),
  j({
    type: 'result',
    subtype: 'success',
    is_error: false,
    num_turns: 2,
    result: 'I need permission to run touch.',
    session_id: ID,
    total_cost_usd: 0.02,
    permission_denials: [
      { tool_name: 'Bash', tool_use_id: 'toolu_9', tool_input: { command: 'touch x' } },
      { tool_name: 'Write', tool_use_id: 'toolu_10', tool_input: { file_path: '/work/a.txt', content: 'a' } },
    ],
  }),
];

describe('claude permission denials', () => {
  it('reads the result’s permission_denials, each tool with its input', () => {
    expect(claude.parseLine(DENIED.at(-1)!, NOW).filter((e) => e.type === 'permission-denied')).toEqual([
      { type: 'permission-denied', tool: 'Bash', input: 'touch x' },
      { type: 'permission-denied', tool: 'Write', input: '/work/a.txt' },
    ]);
    expect(claude.parseLine(SUCCESS.at(-1)!, NOW).some((e) => e.type === 'permission-denied')).toBe(false);
  });

  it('calls a success result with denials needs-input, not done', () => {
    expect(claude.classify(read(DENIED), { exitCode: 0, signal: null })).toEqual({
      class: 'needs-input',
      detail: 'permission-denied: Bash, Write',
    });
  });

  it('renders each denial as a ⚠ line', () => {
    const lines = DENIED.flatMap((l) => claude.parseLine(l, NOW))
      .map((e) => claude.render(e))
      .filter((l) => l !== null);
    expect(lines.slice(-3)).toEqual([
      '⚠ denied: Bash — touch x',
      '⚠ denied: Write — /work/a.txt',
      '■ done (2 turns, $0.02)',
    ]);
  });
});

describe('claude render', () => {
  it('renders a transcript as readable lines', () => {
    const lines = SUCCESS.flatMap((l) => claude.parseLine(l, NOW))
      .map((e) => claude.render(e))
      .filter((l) => l !== null);
    expect(lines).toEqual([
      'I will run the tests.',
      '→ Bash: npm test',
      '← ok: 3 passed',
      'All 3 tests pass.',
      '■ done (3 turns, $0.12)',
    ]);
  });
});

describe('claude interactive settings file', () => {
  const input = (hasRules: boolean) => ({
    hook: ['node', '/hf/hook.js', '/home', 't', '1', 'claude'],
    cwd: '/work',
    trust: false,
    hasRules,
    userHome: '/u/.claude',
    readUserFile: () => null,
  });
  const settings = (hasRules: boolean) =>
    JSON.parse(claude.interactive!.files(input(hasRules))['settings.json']!) as Record<string, unknown>;

  it('starts a task with approval rules in the default permission mode, so its rules are asked (the real TUI defaults to auto)', () => {
    expect(settings(true).permissions).toEqual({ defaultMode: 'default' });
    expect(settings(false).permissions).toBeUndefined();
  });

  it('gives a PermissionRequest hook a day to wait for an answer, SessionEnd 3 s (codex clamps it), the others 60 s', () => {
    const hooks = settings(false).hooks as Record<string, { hooks: { timeout: number }[] }[]>;
    expect(hooks.PermissionRequest![0]!.hooks[0]!.timeout).toBe(86_400);
    expect(hooks.SessionEnd![0]!.hooks[0]!.timeout).toBe(3);
    expect(hooks.PreToolUse![0]!.hooks[0]!.timeout).toBe(60);
  });
});
