import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { currentDaemonPid, parentOf, waitForDaemon } from '../helpers/daemon.js';
import { BIN, FIXTURES, ROOT, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

// The watchdog starts the daemon without V8's optimizing compilers, for its memory (issue 14), and
// without the flags on a node that would refuse them.
const home = useHome({ daemon: true });
const WATCHDOG = join(ROOT, 'libexec', 'watchdog.sh');

function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
}

let watchdog: ChildProcess | null = null;
afterEach(() => {
  watchdog?.kill('SIGKILL');
  watchdog = null;
});

describe('the daemon node flags', () => {
  it('the daemon the watchdog starts runs with --no-turbofan --no-maglev before the CLI', async () => {
    const h = home();
    const run = await h.cli(['run', '--name', 'idle', '--', 'sleep', '600']);
    expect(run.code, run.stderr).toBe(0);
    const daemon = await waitForDaemon(h);
    expect(cmdline(daemon)).toEqual([process.execPath, '--no-turbofan', '--no-maglev', BIN, 'daemon', 'run']);
  });

  it('a node that refuses the flags still gets a daemon, started without them', async () => {
    const h = home();
    // The store first, with no daemon: the watchdog runs only while the store is there.
    const run = await h.cli(['run', '--name', 'idle', '--', 'sleep', '600'], {
      env: { HOLDFAST_NO_DAEMON: '1' },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(currentDaemonPid(h)).toBeNull();
    const fakeNode = join(FIXTURES, 'node-without-v8-flags');
    watchdog = spawn('bash', [WATCHDOG, h.dir, fakeNode, BIN], { env: h.env, stdio: 'ignore' });
    const daemon = await waitFor(
      () => currentDaemonPid(h),
      (pid) => pid !== null && parentOf(pid) === watchdog?.pid,
      { what: 'a daemon the watchdog run with the stand-in node started' },
    );
    // The stand-in ran the real node in its place (exec), with the CLI and no flags.
    expect(cmdline(daemon!)).toEqual(['node', BIN, 'daemon', 'run']);
    expect(readFileSync(join(h.dir, 'daemon.log'), 'utf8')).not.toContain('bad option');
  });
});
