import { describe, expect, it } from 'vitest';
import { actionArgs, actionResult, shownCommand } from './cli-runner.js';

describe("the dashboard's actions as CLI commands", () => {
  it('each action is the command of the same name, with --json, every value where no option can take it', () => {
    expect(actionArgs('t', 'stop', {})).toEqual({ args: ['stop', '--json', '--', 't'] });
    expect(actionArgs('t', 'rm', {})).toEqual({ args: ['rm', '--force', '--json', '--', 't'] });
    expect(actionArgs('t', 'resume', { prompt: '--now go on' })).toEqual({
      args: ['resume', '--prompt=--now go on', '--json', '--', 't'],
    });
    expect(actionArgs('t', 'resume', { prompt: '  ' })).toEqual({ args: ['resume', '--json', '--', 't'] });
    expect(actionArgs('t', 'answer', { choice: 'no', message: '-use pnpm' })).toEqual({
      args: ['answer', '--message=-use pnpm', '--json', '--', 't', 'no'],
    });
    expect(actionArgs('t', 'send', { text: '--file=/etc/passwd' })).toEqual({
      args: ['send', '--json', '--', 't', '--file=/etc/passwd'],
    });
  });

  it('refuses an answer without a choice and a send without text', () => {
    expect(actionArgs('t', 'answer', {})).toHaveProperty('error');
    expect(actionArgs('t', 'send', { text: ' ' })).toHaveProperty('error');
  });

  it("says the CLI's error line, with its hint, when it failed", () => {
    const out = {
      code: 1,
      stdout:
        '{"error":{"code":"ENOTASK","message":"no task named \\"x\\"","hint":"holdfast ls lists the tasks"}}\n',
      stderr: 'holdfast: no task named "x"\n',
    };
    const r = actionResult(['stop', 'x', '--json'], out);
    expect(r).toMatchObject({ ok: false, exitCode: 1, command: 'holdfast stop x' });
    expect(r.error).toBe('no task named "x" (hint: holdfast ls lists the tasks)');
    expect(
      actionResult(['stop', 'x', '--json'], { code: 0, stdout: '[{"name":"x"}]', stderr: '' }),
    ).toMatchObject({
      ok: true,
      result: [{ name: 'x' }],
      error: null,
    });
  });

  it('shows the command as a user would type it, quoted where a shell needs it', () => {
    expect(shownCommand(['send', '--json', '--', 't', "it's done"])).toBe("holdfast send t 'it'\\''s done'");
  });
});
