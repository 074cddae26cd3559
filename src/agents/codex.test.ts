import { describe, expect, it } from 'vitest';
import { HoldfastError } from '../core/errors.js';
import { codex } from './codex.js';
import { summarizeLines } from './summary.js';
import { jsonLine, launchInput } from './test-input.js';

const THREAD = '0199a213-81c0-7800-8aa1-bbab2a035a53';
const input = launchInput('codex');
const j = jsonLine;
const failed = { exitCode: 1, signal: null };

const SUCCESS = [
  j({ type: 'thread.started', thread_id: THREAD }),
  j({ type: 'turn.started' }),
  j({ type: 'item.completed', item: { id: 'item_0', type: 'reasoning', text: '**Running the tests**' } }),
  j({
    type: 'item.started',
    item: {
      id: 'item_1',
      type: 'command_execution',
      command: "bash -lc 'npm test'",
      aggregated_output: '',
      exit_code: null,
      status: 'in_progress',
    },
  }),
  j({
    type: 'item.completed',
    item: {
      id: 'item_1',
      type: 'command_execution',
      command: "bash -lc 'npm test'",
      aggregated_output: '3 passed\n',
      exit_code: 0,
      status: 'completed',
    },
  }),
  j({ type: 'item.completed', item: { id: 'item_2', type: 'agent_message', text: 'All tests pass.' } }),
  j({ type: 'turn.completed', usage: { input_tokens: 1200, cached_input_tokens: 0, output_tokens: 80 } }),
];

const limitLines = (text: string) => [
  j({ type: 'thread.started', thread_id: THREAD }),
  j({ type: 'turn.started' }),
  j({ type: 'error', message: text }),
  j({ type: 'turn.failed', error: { message: text } }),
];

describe('codex launch', () => {
  it('reads the prompt from stdin in a workspace-write sandbox', () => {
    expect(codex.launch(input)).toEqual({
      argv: ['codex', 'exec', '--json', '--sandbox', 'workspace-write', '-'],
      env: {},
    });
  });

  it('skips the git check outside a repository, bypasses the sandbox unattended, keeps - last', () => {
    expect(
      codex.launch({
        ...input,
        inGitRepo: false,
        unattended: true,
        model: 'gpt-5-codex',
        extraArgs: ['-c', 'a=1'],
      }).argv,
    ).toEqual([
      'codex',
      'exec',
      '--json',
      '--skip-git-repo-check',
      '-m',
      'gpt-5-codex',
      '--dangerously-bypass-approvals-and-sandbox',
      '-c',
      'a=1',
      '-',
    ]);
  });

  it('resumes the thread, with the sandbox through -c', () => {
    expect(codex.launch({ ...input, sessionId: THREAD, resume: true, inGitRepo: false }).argv).toEqual([
      'codex',
      'exec',
      'resume',
      '--json',
      '--skip-git-repo-check',
      '-c',
      'sandbox_mode="workspace-write"',
      THREAD,
      '-',
    ]);
    expect(
      codex.launch({
        ...input,
        sessionId: THREAD,
        resume: true,
        unattended: true,
        extraArgs: ['--ephemeral'],
      }).argv,
    ).toEqual([
      'codex',
      'exec',
      'resume',
      '--json',
      '--dangerously-bypass-approvals-and-sandbox',
      THREAD,
      '--ephemeral',
      '-',
    ]);
  });

  it('refuses to resume without a thread id', () => {
    expect(() => codex.launch({ ...input, resume: true })).toThrow(HoldfastError);
  });
});

describe('codex parseLine', () => {
  it('reads the thread id, the command and the answer', () => {
    expect(SUCCESS.map((l) => codex.parseLine(l, 0))).toEqual([
      [{ type: 'session', id: THREAD, newer: true }],
      [],
      [],
      [{ type: 'tool-call', name: 'shell', input: "bash -lc 'npm test'", id: 'item_1' }],
      [{ type: 'tool-result', text: '3 passed\n', isError: false, id: 'item_1' }],
      [{ type: 'assistant', text: 'All tests pass.' }],
      [{ type: 'turn' }, { type: 'result', ok: true, text: null, turns: null, costUsd: null }],
    ]);
  });

  it('reads a failed command, file changes and MCP calls', () => {
    const cmd = j({
      type: 'item.completed',
      item: {
        type: 'command_execution',
        command: 'false',
        aggregated_output: '',
        exit_code: 1,
        status: 'failed',
      },
    });
    expect(codex.parseLine(cmd, 0)).toEqual([{ type: 'tool-result', text: '', isError: true }]);
    const edit = j({
      type: 'item.completed',
      item: {
        type: 'file_change',
        changes: [
          { path: 'src/a.ts', kind: 'update' },
          { path: 'b.md', kind: 'add' },
        ],
      },
    });
    expect(codex.parseLine(edit, 0)).toEqual([{ type: 'tool-call', name: 'edit', input: 'src/a.ts, b.md' }]);
    const mcp = j({
      type: 'item.started',
      item: {
        type: 'mcp_tool_call',
        server: 'docs',
        tool: 'search',
        arguments: { query: 'tmux' },
        status: 'in_progress',
      },
    });
    expect(codex.parseLine(mcp, 0)).toEqual([{ type: 'tool-call', name: 'docs.search', input: 'tmux' }]);
  });

  it('ignores network retries without a limit in them', () => {
    expect(codex.parseLine('Reconnecting... waiting for network', 0)).toEqual([]);
    expect(codex.parseLine(j({ type: 'error', message: 'Reconnecting... 1/5' }), 0)).toEqual([
      { type: 'error', message: 'Reconnecting... 1/5' },
    ]);
  });
});

describe('codex classify', () => {
  it('calls turn.completed with exit 0 done', () => {
    const s = summarizeLines(codex, SUCCESS, 0);
    expect(s).toMatchObject({
      sessionId: THREAD,
      lastAssistant: 'All tests pass.',
      turns: 1,
      result: 'success',
    });
    expect(codex.classify(s, { exitCode: 0, signal: null })).toEqual({ class: 'done' });
  });

  it('calls exit 0 without turn.completed a crash', () => {
    const s = summarizeLines(codex, SUCCESS.slice(0, 6), 0);
    expect(codex.classify(s, { exitCode: 0, signal: null })).toEqual({
      class: 'crash',
      detail: 'exited without a result',
    });
  });

  it('calls turn.failed a crash with its message', () => {
    const s = summarizeLines(
      codex,
      [SUCCESS[0]!, j({ type: 'turn.failed', error: { message: 'stream disconnected' } })],
      0,
    );
    expect(codex.classify(s, failed)).toEqual({ class: 'crash', detail: 'stream disconnected' });
  });

  it('reads the usage limit in the machine’s local time, tomorrow once it has passed (U+2019)', () => {
    const text =
      'You’ve hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again at 12:31 PM.';
    // 09:00 in New York: 12:31 today.
    const morning = summarizeLines(codex, limitLines(text), Date.UTC(2026, 0, 15, 14, 0), 'America/New_York');
    expect(codex.classify(morning, failed)).toEqual({
      class: 'usage-limited',
      resetAt: Date.UTC(2026, 0, 15, 17, 31),
      resetResolution: 'minute',
      detail: text,
    });
    // 15:00 in New York: 12:31 tomorrow.
    const afternoon = summarizeLines(
      codex,
      limitLines(text),
      Date.UTC(2026, 0, 15, 20, 0),
      'America/New_York',
    );
    expect(codex.classify(afternoon, failed)).toMatchObject({
      class: 'usage-limited',
      resetAt: Date.UTC(2026, 0, 16, 17, 31),
    });
  });

  it('accepts the ASCII apostrophe and the dated form', () => {
    const text = "You've hit your usage limit. Try again at Nov 21, 2026 12:31 PM.";
    const s = summarizeLines(codex, limitLines(text), Date.UTC(2026, 10, 19, 0, 0), 'UTC');
    expect(codex.classify(s, failed)).toEqual({
      class: 'usage-limited',
      resetAt: Date.UTC(2026, 10, 21, 12, 31),
      resetResolution: 'minute',
      detail: text,
    });
    const suffixed = summarizeLines(
      codex,
      limitLines('You’ve hit your usage limit. Try again at Nov 21st, 2026 12:31 PM.'),
      Date.UTC(2026, 10, 19, 0, 0),
      'Europe/Paris',
    );
    expect(codex.classify(suffixed, failed)).toMatchObject({ resetAt: Date.UTC(2026, 10, 21, 11, 31) });
  });

  it('calls a plain 429 that exhausted the retries usage-limited with an unknown reset', () => {
    const s = summarizeLines(
      codex,
      limitLines('exceeded retry limit, last status: 429 Too Many Requests'),
      0,
      'UTC',
    );
    expect(codex.classify(s, failed)).toEqual({
      class: 'usage-limited',
      resetAt: null,
      detail: 'exceeded retry limit, last status: 429 Too Many Requests',
    });
  });

  it('calls an expired login auth', () => {
    const text =
      'Your access token could not be refreshed because your refresh token has expired. Please log out and sign in again.';
    const s = summarizeLines(codex, [j({ type: 'error', message: text })], 0);
    expect(codex.classify(s, failed)).toEqual({ class: 'auth', detail: text });
  });

  it('calls a refused resume conversation-lost', () => {
    const text = `Error: thread/resume failed: no rollout found for thread id ${THREAD}`;
    const s = summarizeLines(codex, [`${text}\r`], 0);
    expect(codex.classify(s, failed)).toEqual({ class: 'conversation-lost', detail: text });
  });
});
