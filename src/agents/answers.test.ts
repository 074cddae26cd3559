import { describe, expect, it } from 'vitest';
import { approvalEvents, inputLine } from './answers.js';
import type { SignalLine } from './signals.js';

const base: SignalLine = {
  at: 1,
  agent: 'claude',
  source: 'hook',
  event: 'PermissionRequest',
  payload: { tool_name: 'Bash', tool_input: { command: 'npm test\n  -- -w' } },
};

describe('approvalEvents', () => {
  it('journals a decision by rule with the rule, and one by the user with its question id and message', () => {
    expect(
      approvalEvents({ ...base, decision: { behavior: 'allow', by: 'rule', rule: 'Bash(npm test*)' } }),
    ).toEqual([
      {
        type: 'approval-decided',
        data: {
          tool: 'Bash',
          input: 'npm test -- -w',
          behavior: 'allow',
          by: 'rule',
          rule: 'Bash(npm test*)',
          via: 'hook',
        },
      },
    ]);
    expect(
      approvalEvents({
        ...base,
        questionId: 'q1',
        decision: { behavior: 'deny', by: 'user', message: 'use pnpm' },
      }),
    ).toEqual([
      {
        type: 'approval-decided',
        data: {
          questionId: 'q1',
          tool: 'Bash',
          input: 'npm test -- -w',
          behavior: 'deny',
          by: 'user',
          message: 'use pnpm',
          via: 'hook',
        },
      },
    ]);
  });

  it('journals nothing for a question not answered yet, a request no one answered or another event', () => {
    expect(approvalEvents({ ...base, questionId: 'q1' })).toEqual([]);
    expect(approvalEvents(base)).toEqual([]);
    expect(approvalEvents({ ...base, event: 'PreToolUse', questionId: 'q1' })).toEqual([]);
  });
});

describe('inputLine', () => {
  it('shows the command, the file or the input as JSON', () => {
    expect(inputLine({ file_path: '/w/a.ts', content: 'x' })).toBe('/w/a.ts');
    expect(inputLine({ command: ['ls', '-l'] })).toBe('ls -l');
    expect(inputLine({ todos: [1] })).toBe('{"todos":[1]}');
    expect(inputLine({})).toBeNull();
    expect(inputLine('x')).toBeNull();
  });
});
