/**
 * A full disk: the daemon's log, the store and the tasks' logs all live on it. The daemon must
 * outlive it, a stop must still stop, and errors must say the disk is full and where.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { daemonStatus } from '../helpers/daemon.js';
import { BIN, type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome();

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.on('exit', (code) => resolve(code));
  });
}

/** Whether a pid names a running process (not a zombie). */
function running(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * The home on a tmpfs of its own (root only, as in CI), so it can be filled. A WAL that never
 * reaches SQLite's 1000-page checkpoint on 4 MB grows with every write: once full, every write fails.
 */
function onSmallDisk(h: Home): () => void {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', h.dir]);
  return () => {
    try {
      h.tmux(['kill-server']);
    } catch {
      // no server
    }
    execFileSync('umount', ['-l', h.dir]);
  };
}

/** Writes a file until the disk refuses (ENOSPC). */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 120);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    closeSync(fd);
  }
}

describe('fault: a full disk', () => {
  it('stop of a task on a full disk signals it first; the error says disk full and names the store', async () => {
    const h = home();
    const unmount = onSmallDisk(h);
    let held: Database.Database | null = null;
    try {
      await h.cli(['run', '--name', 'hog', '--', 'bash', '-c', 'echo child=$$; while :; do sleep 0.1; done']);
      const log = await waitFor(
        () => h.cli(['log', 'hog']),
        (r) => /child=\d+/.test(r.stdout),
      );
      const child = Number(/child=(\d+)/.exec(log.stdout)![1]);
      // Held open, as a running daemon holds it: its WAL and shared memory stay, so the store opens
      // (reads work) and only writes fail.
      held = new Database(join(h.dir, 'holdfast.db'));
      held.prepare('SELECT count(*) FROM tasks').get();
      fill(join(h.dir, 'filler'));
      const stop = await h.cli(['stop', 'hog', '--timeout', '2s']);
      expect(running(child)).toBe(false);
      expect(stop.code).toBe(1);
      expect(stop.stderr).toContain(
        `holdfast: disk full: cannot write ${join(h.dir, 'holdfast.db')}: the stop of hog is not recorded; its processes were ended`,
      );
      expect(stop.stderr).toContain(`hint: free space on the filesystem of ${h.dir}`);

      const run = await h.cli(['run', '--name', 'more', '--', 'true']);
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`holdfast: disk full: cannot write ${h.dir}`);
      rmSync(join(h.dir, 'filler'));
    } finally {
      held?.close();
      unmount();
    }
  });

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
