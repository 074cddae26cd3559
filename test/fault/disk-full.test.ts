/**
 * A full disk: the daemon's log, the store and the tasks' logs all live on it. The daemon must
 * outlive it, a stop must still stop, and errors must say the disk is full and where.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
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

  // Found by the chaos suite: a UserPromptSubmit line lost to a full disk left the delivery
  // unconfirmed, so the input failed ("not confirmed 10 s after Enter") though the agent had it.
  it("an agent's hook on a full disk waits for space and then appends its signal line, whole", async () => {
    const h = home();
    const unmount = onSmallDisk(h);
    try {
      const signals = join(h.dir, 'tasks', 'c', 'signals.jsonl');
      mkdirSync(join(h.dir, 'tasks', 'c'), { recursive: true, mode: 0o700 });
      writeFileSync(signals, '', { mode: 0o600 });
      fill(join(h.dir, 'filler'));
      const hook = spawn(
        process.execPath,
        [resolve(BIN, '..', '..', 'dist', 'hook', 'main.js'), h.dir, 'c', '1', 'claude'],
        { stdio: ['pipe', 'ignore', 'ignore'] },
      );
      const gone = exited(hook);
      hook.stdin!.end(
        JSON.stringify({ hook_event_name: 'UserPromptSubmit', prompt: 'on a full disk', session_id: 's' }),
      );
      // Space again only after the hook has met the full disk.
      await new Promise((r) => setTimeout(r, 700));
      rmSync(join(h.dir, 'filler'));
      expect(await gone).toBe(0);
      const lines = readFileSync(signals, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as { event: string; payload: { prompt: string } });
      expect(lines.map((l) => [l.event, l.payload.prompt])).toEqual([['UserPromptSubmit', 'on a full disk']]);
    } finally {
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
