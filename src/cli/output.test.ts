import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HoldfastError } from '../core/errors.js';
import { TmuxMissingError, TmuxVersionError } from '../tmux/errors.js';
import { Output } from './output.js';

function capture(json: boolean) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out = new Output(json, stdout, stderr);
  const text = (s: PassThrough) => (s.read() as Buffer | null)?.toString('utf8') ?? '';
  return { out, stdout: () => text(stdout), stderr: () => text(stderr) };
}

describe('the --json envelope', () => {
  it('a result is the document itself; a failure is {"error":{code,message,hint}} on one line', () => {
    const ok = capture(true);
    ok.out.result([{ name: 'a' }], () => 'not shown');
    expect(JSON.parse(ok.stdout())).toEqual([{ name: 'a' }]);

    const failed = capture(true);
    failed.out.error(
      new HoldfastError('ENOTASK', 'no task named "x"', { hint: 'holdfast ls lists the tasks' }),
    );
    const line = failed.stdout();
    expect(line.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(line)).toEqual({
      error: { code: 'ENOTASK', message: 'no task named "x"', hint: 'holdfast ls lists the tasks' },
    });
    expect(failed.stderr()).toBe('holdfast: no task named "x"\n');
  });

  it('an error holdfast did not name is ESTATE, with a null hint', () => {
    const c = capture(true);
    c.out.error(new Error('something broke'));
    expect(JSON.parse(c.stdout())).toEqual({
      error: { code: 'ESTATE', message: 'something broke', hint: null },
    });
  });

  it("tmux's own errors reach the user as ENOTMUX and ETMUXVERSION, with their hints", () => {
    const missing = capture(false);
    missing.out.error(new TmuxMissingError('tmux'));
    expect(missing.stderr()).toBe(
      'holdfast: tmux is not installed (no "tmux" on PATH)\nhint: install it: apt-get install -y tmux (holdfast needs tmux 3.2 or newer)\n',
    );
    const old = capture(true);
    old.out.error(new TmuxVersionError([3, 1], [3, 2]));
    expect(JSON.parse(old.stdout())).toEqual({
      error: {
        code: 'ETMUXVERSION',
        message: 'tmux 3.1 is too old: holdfast needs tmux 3.2 or newer',
        hint: 'install a newer tmux (Debian 12 ships 3.3a)',
      },
    });
  });
});
