import { describe, expect, it } from 'vitest';
import { actionArgs, actionResult, shownCommand } from './cli-runner.js';

describe("the dashboard's actions as CLI commands", () => {
  it('each action is the command of the same name, with --json', () => {
    expect(actionArgs('t', 'stop', {})).toEqual({ args: ['stop', 't', '--json'] });
    expect(actionArgs('t', 'rm', {})).toEqual({ args: ['rm', 't', '--force', '--json'] });
    expect(actionArgs('t', 'resume', { prompt: 'go on' })).toEqual({
      args: ['resume', 't', '--prompt', 'go on', '--json'],
    });
    expect(actionArgs('t', 'resume', { prompt: '  ' })).toEqual({ args: ['resume', 't', '--json'] });
    expect(actionArgs('t', 'answer', { choice: 'no', message: 'use pnpm' })).toEqual({
      args: ['answer', 't', 'no', '--message', 'use pnpm', '--json'],
    });
    expect(actionArgs('t', 'send', { text: '--help' })).toEqual({ args: ['send', 't', '--help', '--json'] });
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
    expect(shownCommand(['send', 't', "it's done", '--json'])).toBe("holdfast send t 'it'\\''s done'");
  });
});
