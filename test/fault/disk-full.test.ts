/**
 * A full disk: the daemon's log, the store and the tasks' logs all live on it. The daemon must
 * outlive it, a stop must still stop, and errors must say the disk is full and where.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { daemonStatus } from '../helpers/daemon.js';
import { BIN, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome();

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });
}

describe('fault: a full disk', () => {
  it('the daemon outlives ENOSPC on its own log (stdout on /dev/full) and keeps its heartbeat', async () => {
    const h = home();
    await h.cli(['ls']);
    const full = openSync('/dev/full', 'w');
    const daemon = spawn(process.execPath, [BIN, 'daemon', 'run', '--no-watchdog'], {
      env: { ...h.env, HOLDFAST_NO_DAEMON: undefined },
      stdio: ['ignore', full, full],
    });
    closeSync(full);
    const gone = exited(daemon);
    try {
      const first = await waitFor(
        () => daemonStatus(h),
        (s) => s.running && s.pid === daemon.pid && s.heartbeatAt !== null,
        { what: 'the daemon to hold the lease' },
      );
      // Two more heartbeats (every 2 s), each after log lines that could not be written.
      await waitFor(
        () => daemonStatus(h),
        (s) =>
          s.running &&
          s.heartbeatAt !== null &&
          Date.parse(s.heartbeatAt) >= Date.parse(first.heartbeatAt!) + 4000,
        { what: 'two more heartbeats', timeoutMs: 15_000 },
      );
      expect(daemon.exitCode).toBe(null);
    } finally {
      daemon.kill('SIGTERM');
    }
    expect(await gone).toBe(0);
  });
});
