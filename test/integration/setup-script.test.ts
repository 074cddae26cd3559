import { execFile } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, useHome } from '../helpers/home.js';

const home = useHome();
const CHECKOUT = realpathSync(ROOT);

/**
 * scripts/setup.sh with a stand-in `npm` first on PATH: `ci` and `run build` do nothing (this
 * checkout is installed and built already), `prefix -g` names a temporary global prefix, and `link`
 * does what npm link does there (a package symlink and a bin symlink). Every call is logged.
 */
function setup(dir: string, prefix: string): Promise<{ code: number; stdout: string; npm: string[] }> {
  const bin = join(dir, 'fake-npm-bin');
  const log = join(dir, 'npm-calls');
  mkdirSync(bin, { recursive: true });
  writeFileSync(
    join(bin, 'npm'),
    [
      '#!/bin/sh',
      'echo "$*" >> "$FAKE_NPM_LOG"',
      'case "$1" in',
      '  prefix) echo "$FAKE_NPM_PREFIX" ;;',
      '  link)',
      '    mkdir -p "$FAKE_NPM_PREFIX/lib/node_modules" "$FAKE_NPM_PREFIX/bin"',
      '    ln -sfn "$PWD" "$FAKE_NPM_PREFIX/lib/node_modules/holdfast"',
      '    ln -sfn ../lib/node_modules/holdfast/bin/holdfast.js "$FAKE_NPM_PREFIX/bin/holdfast" ;;',
      'esac',
      '',
    ].join('\n'),
  );
  chmodSync(join(bin, 'npm'), 0o755);
  const h = home();
  return new Promise((resolve) => {
    execFile(
      'bash',
      [join(ROOT, 'scripts', 'setup.sh')],
      {
        env: {
          ...h.env,
          PATH: `${bin}:${join(prefix, 'bin')}:${process.env.PATH}`,
          FAKE_NPM_LOG: log,
          FAKE_NPM_PREFIX: prefix,
        },
      },
      (error, stdout) =>
        resolve({
          code: error ? Number(error.code ?? 1) : 0,
          stdout,
          npm: existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [],
        }),
    );
  });
}

describe('scripts/setup.sh and the global holdfast', () => {
  it('links a global holdfast when there is none and says so; a second run finds it and leaves it', async () => {
    const h = home();
    const prefix = join(h.dir, 'global');
    const first = await setup(h.dir, prefix);
    expect(first.code, first.stdout).toBe(0);
    expect(first.stdout).toContain(
      `== npm link: the global holdfast now points at this checkout (${CHECKOUT})`,
    );
    expect(realpathSync(join(prefix, 'lib', 'node_modules', 'holdfast'))).toBe(CHECKOUT);
    expect(first.stdout).toContain('  holdfast ls ');
    // The quick start ends with doctor's checks; on this machine nothing fails.
    expect(first.stdout).toMatch(/== holdfast doctor\nok +tmux .*\n[\s\S]*\ndoctor: nothing failed[^\n]*\n$/);
    const second = await setup(h.dir, prefix);
    expect(second.stdout).toContain(`== the global holdfast already points at this checkout (${CHECKOUT})`);
    expect(second.npm.filter((c) => c.startsWith('link'))).toHaveLength(1);
  });

  it('leaves a global holdfast that points at another checkout as it is, and says which', async () => {
    const h = home();
    const prefix = join(h.dir, 'global');
    const other = realpathSync(mkdtempSync(join(h.dir, 'other-checkout-')));
    mkdirSync(join(prefix, 'lib', 'node_modules'), { recursive: true });
    symlinkSync(other, join(prefix, 'lib', 'node_modules', 'holdfast'));
    // As `npm link` in the other checkout left it: its bin first on PATH, so the test does not
    // depend on whatever holdfast this machine has on PATH.
    mkdirSync(join(other, 'bin'));
    writeFileSync(join(other, 'bin', 'holdfast.js'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    mkdirSync(join(prefix, 'bin'));
    symlinkSync(join(other, 'bin', 'holdfast.js'), join(prefix, 'bin', 'holdfast'));
    const r = await setup(h.dir, prefix);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain(`== the global holdfast points at ${other}, not this checkout: left as it is`);
    expect(r.stdout).toContain(`to point it here instead: (cd ${CHECKOUT} && npm link)`);
    expect(readlinkSync(join(prefix, 'lib', 'node_modules', 'holdfast'))).toBe(other);
    expect(r.npm.some((c) => c.startsWith('link'))).toBe(false);
    // The next steps name this checkout's own binary, not the other one.
    expect(r.stdout).toContain(`  ${CHECKOUT}/bin/holdfast.js ls `);
  });
});
