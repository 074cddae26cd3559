import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentDaemonPid, paneOf, waitForDaemon } from '../helpers/daemon.js';
import { type Home, isAlive, useHome } from '../helpers/home.js';
import { installTmuxFaults } from '../helpers/tmux-faults.js';
import { waitFor } from '../helpers/wait.js';

// Nothing in these tests runs a holdfast command between the kills and the checks: what comes back
// comes back by itself (the daemon, the watchdog script and tmux's hook), as it must with no
// systemd and no cron.
const home = useHome({ daemon: true });

const WATCHDOG = '=_holdfast-watchdog:';

function watchdogPane(h: Home): { pid: number; dead: boolean } | null {
  try {
    const [pid, dead] = h
      .tmux(['display-message', '-p', '-t', WATCHDOG, '#{pane_pid} #{pane_dead}'])
      .trim()
      .split(' ');
    // With no such session, display-message falls back to nothing and prints empty fields.
    return Number(pid) > 0 ? { pid: Number(pid), dead: dead === '1' } : null;
  } catch {
    return null;
  }
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

/** The child of `parent` whose command line ends with `name`. */
function childOf(parent: number, name: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent && cmdline(Number(entry)).some((a) => a.endsWith(name))) return Number(entry);
    } catch {
      // exited while we looked
    }
  }
  throw new Error(`no child ${name} of ${parent}`);
}

async function startTask(h: Home): Promise<{ task: number; daemon: number; watchdog: number }> {
  const run = await h.cli([
    'run',
    '--name',
    'work',
    '--restart',
    'always',
    '--backoff',
    '50ms..100ms',
    '--',
    'sleep',
    '600',
  ]);
  expect(run.code, run.stderr).toBe(0);
  const daemon = await waitForDaemon(h);
  const watchdog = await waitFor(
    () => watchdogPane(h),
    (p) => p !== null && !p.dead && cmdline(p.pid).some((a) => a.endsWith('watchdog.sh')),
    { what: 'the watchdog script in its pane' },
  );
  const task = await waitFor(
    () => paneOf(h, 'work'),
    (p) => p !== null && !p.dead,
    { what: 'the task running' },
  );
  return { task: task!.pid, daemon, watchdog: watchdog!.pid };
}

describe('fault: the daemon and the watchdog bring each other back', () => {
  it('the daemon and the watchdog killed together: tmux respawns the watchdog, a new daemon restarts a killed task, with no holdfast command run', async () => {
    const h = home();
    const before = await startTask(h);
    process.kill(before.daemon, 'SIGKILL');
    process.kill(before.watchdog, 'SIGKILL');
    process.kill(before.task, 'SIGKILL');

    const watchdog = await waitFor(
      () => watchdogPane(h),
      (p) => p !== null && !p.dead && p.pid !== before.watchdog,
      { what: 'a new watchdog' },
    );
    expect(cmdline(watchdog!.pid).some((a) => a.endsWith('watchdog.sh'))).toBe(true);
    const daemon = await waitFor(
      () => currentDaemonPid(h),
      (p) => p !== null && p !== before.daemon,
      { what: 'a new daemon' },
    );
    expect(isAlive(before.daemon)).toBe(false);
    const task = await waitFor(
      () => paneOf(h, 'work'),
      (p) => p !== null && !p.dead && p.pid !== before.task,
      { what: 'the killed task restarted' },
    );
    expect(task!.pid).not.toBe(before.task);
    expect(daemon).not.toBe(before.daemon);
  });

  it('the daemon and the tmux server killed together: the old watchdog starts a daemon, which starts a fresh server, watchdog and task, and then the old watchdog ends', async () => {
    const h = home();
    const before = await startTask(h);
    const server = Number(h.tmux(['display-message', '-p', '#{pid}']).trim());
    process.kill(before.daemon, 'SIGKILL');
    process.kill(server, 'SIGKILL');

    const task = await waitFor(
      () => paneOf(h, 'work'),
      (p) => p !== null && !p.dead && p.pid !== before.task,
      { what: 'the task running again in a fresh server', timeoutMs: 15_000 },
    );
    expect(task!.pid).not.toBe(before.task);
    const newServer = Number(h.tmux(['display-message', '-p', '#{pid}']).trim());
    expect(newServer).not.toBe(server);
    const daemon = currentDaemonPid(h);
    expect(daemon).not.toBeNull();
    expect(daemon).not.toBe(before.daemon);
    await waitFor(
      () => watchdogPane(h),
      (p) => p !== null && !p.dead && p.pid !== before.watchdog,
      { what: 'a watchdog in the fresh server' },
    );
    // The old one stayed only while no server answered: one watchdog is left, not two.
    await waitFor(
      () => isAlive(before.watchdog),
      (alive) => !alive,
      { what: 'the old watchdog to end' },
    );
  });

  it('the tmux server killed, and a new one answers without a watchdog: the old watchdog stays, brings back a daemon killed meanwhile, and ends once that daemon has put a watchdog there', async () => {
    const h = home();
    // Before anything starts: the daemon finds tmux on the PATH it is started with.
    const faults = installTmuxFaults(h);
    const before = await startTask(h);
    // The script itself (the pane's process is the launcher it runs under).
    const script = childOf(before.watchdog, 'watchdog.sh');
    try {
      // The daemon's fresh server with its watchdog does not come: its new-session hangs.
      faults.arm('daemon', 'new-session', 'hang');
      const server = Number(h.tmux(['display-message', '-p', '#{pid}']).trim());
      process.kill(server, 'SIGKILL');
      await waitFor(
        () => faults.taken('daemon', 'new-session', 'hang'),
        (taken) => taken,
        { what: 'the daemon to start a fresh server' },
      );
      // A server with no watchdog in it, as a task's launch starts one (new-session on an empty socket).
      h.tmux(['-f', join(h.dir, 'tmux.conf'), 'new-session', '-d', '-s', 'bare', '--', 'sleep', '600']);
      // Twice the script's poll and more: one that ended on any answering server has ended by now.
      const until = Date.now() + 1500;
      await waitFor(() => Date.now() >= until, Boolean, {
        what: 'the watchdog to have looked',
        timeoutMs: 3000,
      });
      expect(isAlive(script)).toBe(true);

      process.kill(before.daemon, 'SIGKILL');
      const daemon = await waitFor(
        () => currentDaemonPid(h),
        (p) => p !== null && p !== before.daemon,
        { what: 'a daemon started by the old watchdog', timeoutMs: 15_000 },
      );
      expect(daemon).not.toBe(before.daemon);
      await waitFor(
        () => watchdogPane(h),
        (p) => p !== null && !p.dead,
        { what: 'a watchdog in the new server', timeoutMs: 15_000 },
      );
      await waitFor(
        () => paneOf(h, 'work'),
        (p) => p !== null && !p.dead && p.pid !== before.task,
        { what: 'the task running again', timeoutMs: 15_000 },
      );
      await waitFor(
        () => isAlive(script),
        (alive) => !alive,
        { what: 'the old watchdog to end', timeoutMs: 10_000 },
      );
    } finally {
      faults.release();
    }
  });

  it('daemon stop still ends the watchdog for good: no daemon comes back', async () => {
    const h = home();
    const before = await startTask(h);
    expect((await h.cli(['daemon', 'stop'])).code).toBe(0);
    await waitFor(
      () => isAlive(before.watchdog),
      (alive) => !alive,
      { what: 'the watchdog to end' },
    );
    expect(watchdogPane(h)).toBeNull();
    // Twice the watchdog's poll and a daemon's start: a watchdog left behind would have started one.
    const until = Date.now() + 1500;
    await waitFor(() => Date.now() >= until && currentDaemonPid(h) === null, Boolean, {
      what: 'no daemon to come back',
      timeoutMs: 3000,
    });
    expect(isAlive(before.daemon)).toBe(false);
  });
});
