/**
 * A stop or restart ends every process the run started, also those that left its process group
 * (`setsid`) and those re-parented to init by a double fork, and says which ones outlived the run.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome();

/** Whether a pid names a running process (a zombie nobody has reaped yet is not running). */
function running(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

function killIfRunning(pid: number): void {
  try {
    if (running(pid)) process.kill(pid, 'SIGKILL');
  } catch {
    // gone already
  }
}

async function childPid(h: Home, name: string): Promise<number> {
  const log = await waitFor(
    () => h.cli(['log', name]),
    (r) => /child=\d+/.test(r.stdout),
    { what: `${name} to print its child's pid` },
  );
  return Number(/child=(\d+)/.exec(log.stdout)![1]);
}

describe('stop and restart end what a run left outside its process group', () => {
  it('stop ends a setsid child (its own session) and reports it by pid, in the output and the journal', async () => {
    const h = home();
    await h.cli([
      'run',
      '--name',
      'escape',
      '--',
      'bash',
      '-c',
      'setsid sleep 1001 & echo child=$!; sleep 1000',
    ]);
    const child = await childPid(h, 'escape');
    try {
      expect(running(child)).toBe(true);
      const stop = await h.cli(['stop', 'escape', '--timeout', '2s']);
      expect(stop.stderr).toBe('');
      expect(stop.code).toBe(0);
      expect(stop.stdout.trim()).toBe(
        `escape: stopped; ended processes it left outside its process group: pid ${child}`,
      );
      expect(running(child)).toBe(false);
      const survivors = (await h.events('escape')).filter((e) => e.type === 'stop-survivors');
      expect(survivors.map((e) => e.data)).toEqual([{ run: 1, pids: [child] }]);
    } finally {
      killIfRunning(child);
    }
  });

  it('stop ends a double-forked child re-parented to init, found by the run variables it inherited', async () => {
    const h = home();
    // The subshell exits at once: the sleep's parent is init long before the stop.
    await h.cli([
      'run',
      '--name',
      'orphan',
      '--',
      'bash',
      '-c',
      `(setsid sh -c 'echo child=$$; exec sleep 1002' &); sleep 1000`,
    ]);
    const child = await childPid(h, 'orphan');
    try {
      expect(running(child)).toBe(true);
      const stop = await h.json<
        { name: string; state: string; survivors: number[]; stillRunning: number[] }[]
      >(['stop', 'orphan', '--timeout', '2s']);
      expect(stop).toMatchObject([
        { name: 'orphan', state: 'stopped', survivors: [child], stillRunning: [] },
      ]);
      expect(running(child)).toBe(false);
    } finally {
      killIfRunning(child);
    }
  });

  it('restart ends the old run’s setsid child too', async () => {
    const h = home();
    await h.cli([
      'run',
      '--name',
      'again',
      '--',
      'bash',
      '-c',
      'setsid sleep 1003 & echo child=$!; sleep 1000',
    ]);
    const child = await childPid(h, 'again');
    try {
      const restart = await h.cli(['restart', 'again', '--timeout', '2s']);
      expect(restart.code).toBe(0);
      expect(running(child)).toBe(false);
      const events = await h.events('again');
      const survivors = events.filter((e) => e.type === 'stop-survivors');
      expect(survivors.map((e) => e.data)).toEqual([{ run: 1, pids: [child] }]);
      expect((await h.status('again')).state).toBe('running');
    } finally {
      killIfRunning(child);
      // Run 2 has a setsid child of its own, which the test's teardown (killing the server) would leave.
      await h.cli(['stop', 'again', '--timeout', '2s']);
    }
  });

  it('a child outside the group gets each of the stop’s signals while the run still lives', async () => {
    const h = home();
    // The main process ignores INT and TERM (it lives until the SIGKILL at 3 s); its setsid child
    // ignores INT (a background job) but not TERM, so it ends at the SIGTERM at half the timeout.
    await h.cli([
      'run',
      '--name',
      'deaf',
      '--',
      'bash',
      '-c',
      "setsid sleep 1004 & echo child=$!; trap '' INT TERM; while :; do sleep 0.1; done",
    ]);
    const child = await childPid(h, 'deaf');
    try {
      const stop = await h.cli(['stop', 'deaf', '--timeout', '3s']);
      expect(stop.stdout.trim()).toBe('deaf: stopped');
      expect(running(child)).toBe(false);
      const events = await h.events('deaf');
      expect(events.map((e) => e.type)).not.toContain('stop-survivors');
      expect((await h.status('deaf')).signal).toBe('SIGKILL');
    } finally {
      killIfRunning(child);
    }
  });

  it('a stop with nothing left behind journals no survivors', async () => {
    const h = home();
    await h.cli(['run', '--name', 'plain', '--', 'bash', '-c', 'echo child=$$; sleep 1000']);
    await childPid(h, 'plain');
    const stop = await h.cli(['stop', 'plain', '--timeout', '2s']);
    expect(stop.stdout.trim()).toBe('plain: stopped');
    expect((await h.events('plain')).map((e) => e.type)).not.toContain('stop-survivors');
  });
});
