import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { STUCK_AFTER_MS } from '../../src/supervisor/host.js';
import { TMUX_CALL_TIMEOUT_MS } from '../../src/tmux/client.js';
import { currentDaemonPid, daemonStatus, paneOf, waitForDaemon } from '../helpers/daemon.js';
import { type Home, isAlive, useHome } from '../helpers/home.js';
import { installTmuxFaults } from '../helpers/tmux-faults.js';
import { waitFor } from '../helpers/wait.js';

// A daemon must never be alive, holding the lease and supervising nothing: each of these breaks
// one step of it and checks that a killed task is still restarted afterwards.
const home = useHome({ daemon: true });
const manual = useHome();

const FOREVER = ['--restart', 'always', '--backoff', '50ms..100ms', '--', 'sleep', '600'];

/** Kills the task's live pane and waits for the run after it. */
async function killAndExpectRestart(h: Home, name: string, timeoutMs: number): Promise<void> {
  const before = await h.status(name);
  const pane = paneOf(h, name);
  expect(pane?.dead).toBe(false);
  process.kill(pane!.pid, 'SIGKILL');
  await waitFor(
    () => h.status(name),
    (s) => s.state === 'running' && s.runs.length === before.runs.length + 1,
    { what: `${name} restarted after its kill`, timeoutMs },
  );
}

describe('fault: a daemon whose step fails or hangs is never left wedged', () => {
  it('a daemon whose first step fails (its tmux client is killed) still supervises: a killed task is restarted', async () => {
    const h = home();
    const faults = installTmuxFaults(h);
    // The daemon's first tmux listing is the one it adopts the running tasks from.
    faults.arm('daemon', 'list-panes', 'killed');
    expect((await h.cli(['run', '--name', 't', ...FOREVER])).code).toBe(0);
    await waitForDaemon(h);
    await waitFor(
      () => faults.taken('daemon', 'list-panes', 'killed'),
      (taken) => taken,
      { what: "the daemon's first listing to fail" },
    );

    await killAndExpectRestart(h, 't', 10_000);
  });

  it("a daemon whose first step meets a store locked past SQLite's busy timeout supervises once the lock is gone", async () => {
    const h = manual();
    const faults = installTmuxFaults(h);
    expect((await h.cli(['run', '--name', 't', ...FOREVER])).code).toBe(0);
    // The daemon's first listing takes a second, and the store is locked meanwhile, so its first
    // write after taking the lease finds another writer holding the store.
    faults.arm('daemon', 'list-panes', 'slow');
    const starting = h.cli(['daemon', 'start']);
    const db = new Database(join(h.dir, 'holdfast.db'));
    try {
      await waitFor(
        () => faults.taken('daemon', 'list-panes', 'slow'),
        (taken) => taken,
        { what: 'the daemon to take the lease and list tmux' },
      );
      db.exec('BEGIN IMMEDIATE');
      // Longer than SQLite's 15 s busy timeout: the daemon's first write fails outright.
      const heldUntil = Date.now() + 18_000;
      await waitFor(
        () => Date.now(),
        (now) => now >= heldUntil,
        { what: 'the lock to have been held 18 s', timeoutMs: 20_000, intervalMs: 250 },
      );
      db.exec('COMMIT');
    } finally {
      db.close();
    }
    await starting;

    await waitForDaemon(h, null, 20_000);
    await killAndExpectRestart(h, 't', 20_000);
  });

  it('a tmux call is given 5 s: long for a loaded machine, and well short of a daemon taken for stuck', () => {
    expect(TMUX_CALL_TIMEOUT_MS).toBe(5000);
    // One hung call must be a failed pass, retried, never a daemon that stops beating for it.
    expect(TMUX_CALL_TIMEOUT_MS).toBeLessThanOrEqual(STUCK_AFTER_MS / 2);
  });

  it('a tmux call that never returns fails at its timeout: the same daemon carries on and restarts a killed task', async () => {
    const h = home();
    const faults = installTmuxFaults(h);
    try {
      expect((await h.cli(['run', '--name', 't', ...FOREVER])).code).toBe(0);
      const first = await waitForDaemon(h);
      // The daemon's next listing never returns by itself (at most 10 s away: the safety-net listing).
      faults.arm('daemon', 'list-panes', 'hang');
      await waitFor(
        () => faults.taken('daemon', 'list-panes', 'hang'),
        (taken) => taken,
        { what: "the daemon's listing to hang", timeoutMs: 15_000 },
      );
      const [client] = faults.hung();
      // Killed by the daemon once TMUX_CALL_TIMEOUT_MS (5 s) has passed, long before the fault's 120 s.
      await waitFor(
        () => isAlive(client!),
        (alive) => !alive,
        { what: 'the hung tmux client to be killed at its timeout', timeoutMs: 10_000, intervalMs: 100 },
      );
      // The call failed like any failed call: the pass was retried, the daemon never stopped beating.
      const status = await waitFor(
        () => daemonStatus(h),
        (s) => s.running && s.heartbeatAt !== null && Date.now() - Date.parse(s.heartbeatAt) < 4000,
        { what: 'the daemon beating', timeoutMs: 5_000 },
      );
      expect(status.pid).toBe(first);

      await killAndExpectRestart(h, 't', 10_000);
      expect(currentDaemonPid(h)).toBe(first);
    } finally {
      faults.release();
    }
  });

  it('a daemon whose passes all fail stops beating, ends, and is replaced; a killed task is then restarted', async () => {
    const h = home();
    const faults = installTmuxFaults(h);
    try {
      expect((await h.cli(['run', '--name', 't', ...FOREVER])).code).toBe(0);
      const first = await waitForDaemon(h);
      // Every listing of the daemon's fails from now on (the safety-net listing is at most 10 s away).
      faults.break('daemon', 'list-panes');
      // Its heartbeat stops while the process lives on: `daemon status` sees the beat age grow.
      const silent = await waitFor(
        () => daemonStatus(h),
        (s) =>
          s.pid === first &&
          isAlive(first) &&
          s.heartbeatAt !== null &&
          // Over twice the 2 s beat interval: it has stopped. Not much more: the daemon ends once its
          // lease is 10 s stale, and a loaded machine's `daemon status` calls could miss a narrow window.
          Date.now() - Date.parse(s.heartbeatAt) >= 5000,
        // The first failing listing up to 10 s away, then 10 s without a pass, then 5 s of silence:
        // 25 s at least, and a loaded machine (CI on 2 cores) adds to each.
        { what: 'the stuck daemon to stop beating', timeoutMs: 60_000, intervalMs: 250 },
      );
      expect(silent.pid).toBe(first);
      await waitFor(
        () => isAlive(first),
        (alive) => !alive,
        { what: 'the stuck daemon to end', timeoutMs: 25_000, intervalMs: 250 },
      );
      faults.mend();
      const next = await waitForDaemon(h, first, 25_000);
      expect(next).not.toBe(first);

      await killAndExpectRestart(h, 't', 10_000);
    } finally {
      faults.mend();
    }
    // Its waits add up to two minutes at most on a loaded machine.
  }, 150_000);
});
