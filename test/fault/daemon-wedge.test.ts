import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { daemonStatus, paneOf, waitForDaemon } from '../helpers/daemon.js';
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

  it('a daemon whose loop is stuck stops beating, ends, and is replaced; a killed task is then restarted', async () => {
    const h = home();
    const faults = installTmuxFaults(h);
    try {
      expect((await h.cli(['run', '--name', 't', ...FOREVER])).code).toBe(0);
      const first = await waitForDaemon(h);
      // The daemon's next listing never returns (at most 10 s away: the safety-net listing).
      faults.arm('daemon', 'list-panes', 'hang');
      await waitFor(
        () => faults.taken('daemon', 'list-panes', 'hang'),
        (taken) => taken,
        { what: "the daemon's listing to hang", timeoutMs: 15_000 },
      );
      // Its heartbeat stops while the process lives on: `daemon status` sees the beat age grow.
      const silent = await waitFor(
        () => daemonStatus(h),
        (s) =>
          s.pid === first &&
          isAlive(first) &&
          s.heartbeatAt !== null &&
          Date.now() - Date.parse(s.heartbeatAt) >= 8000,
        { what: 'the stuck daemon to stop beating', timeoutMs: 25_000, intervalMs: 250 },
      );
      expect(silent.pid).toBe(first);
      const next = await waitForDaemon(h, first, 25_000);
      expect(next).not.toBe(first);
      expect(isAlive(first)).toBe(false);

      await killAndExpectRestart(h, 't', 10_000);
    } finally {
      faults.release();
    }
  });
});
