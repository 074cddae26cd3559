import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/views/task.js';
import { paneOf, parentOf, waitForDaemon } from '../helpers/daemon.js';
import { type Home, useHome } from '../helpers/home.js';
import { installTmuxFaults } from '../helpers/tmux-faults.js';
import { waitFor } from '../helpers/wait.js';

// tmux's own failures while a run is put into it (`server exited unexpectedly`, a client that dies
// halfway): a crash of that attempt, never the end of a task its policy says to keep running.
const home = useHome({ daemon: true });
const manual = useHome();

const ALWAYS = ['--restart', 'always', '--backoff', '50ms..100ms', '--', 'sleep', '600'];

async function started(h: Home): Promise<TaskView> {
  expect((await h.cli(['run', '--name', 't', ...ALWAYS])).code).toBe(0);
  await waitForDaemon(h);
  return h.status('t');
}

function killPane(h: Home): number {
  const pane = paneOf(h, 't');
  expect(pane?.dead).toBe(false);
  process.kill(pane!.pid, 'SIGKILL');
  return pane!.pid;
}

/** The run id a pane is tagged with. */
function paneRun(h: Home): string {
  return h.tmux(['display-message', '-p', '-t', '=t:', '#{@hf_run}']).trim();
}

function runId(h: Home, n: number): number {
  const db = new Database(join(h.dir, 'holdfast.db'), { readonly: true });
  try {
    return (db.prepare('SELECT id FROM runs WHERE n = ?').get(n) as { id: number }).id;
  } finally {
    db.close();
  }
}

describe('launch failures', () => {
  it('--restart always: a relaunch tmux fails is a crash of that attempt, restarted per policy instead of failed', async () => {
    const h = home();
    const faults = installTmuxFaults(h);
    await started(h);
    faults.arm('daemon', 'respawn-pane', 'fail');
    killPane(h);

    const after = await waitFor(
      () => h.status('t'),
      (s) => s.state === 'running' && s.runs.length === 3,
      { what: 'run 3 after the failed launch of run 2' },
    );
    expect(faults.taken('daemon', 'respawn-pane', 'fail')).toBe(true);
    expect(after.runs.map((r) => [r.n, r.cause, r.reason])).toEqual([
      [1, 'start', null],
      [2, 'backoff', 'launch-failed'],
      [3, 'backoff', null],
    ]);
    expect(after.runs[1]!.pid).toBeNull();
    expect(parentOf(after.pid!)).toBe(paneOf(h, 't')!.pid);
    const journal = (await h.events('t')).map((e) => `${e.type}:${String(e.data.run ?? '')}`);
    expect(journal).toContain('start-failed:2');
    expect(journal).not.toContain('failed:2');
    expect(journal.filter((e) => e.startsWith('restarted:'))).toEqual(['restarted:2', 'restarted:3']);
  });

  it("a relaunch whose tmux client reported an error, but whose pane runs tagged with the run's @hf_run, is adopted and not relaunched", async () => {
    const h = home();
    const faults = installTmuxFaults(h);
    await started(h);
    faults.arm('daemon', 'respawn-pane', 'fail-after');
    const killed = killPane(h);

    const after = await waitFor(
      () => h.status('t'),
      (s) => s.state === 'running' && s.runs.length === 2 && s.pid !== null && s.pid !== killed,
      { what: 'run 2 adopted from tmux' },
    );
    expect(faults.taken('daemon', 'respawn-pane', 'fail-after')).toBe(true);
    const pane = paneOf(h, 't')!;
    expect(pane.dead).toBe(false);
    // The task's own pid comes from its pane process's report, which the loop reads soon after.
    const shown = await waitFor(
      () => h.status('t'),
      (s) => s.pid !== null && s.pid !== pane.pid,
      { what: "the adopted run's task pid" },
    );
    expect(parentOf(shown.pid!)).toBe(pane.pid);
    expect(after.runs.map((r) => [r.n, r.endedAt === null, r.reason])).toEqual([
      [1, false, null],
      [2, true, null],
    ]);
    const types = (await h.events('t')).map((e) => e.type);
    expect(types).not.toContain('start-failed');
    expect(types.filter((t) => t === 'restarted')).toHaveLength(1);
    // The pane is run 2's own (its tag), and it was not started a second time.
    expect(paneRun(h)).toBe(String(runId(h, 2)));
    expect(paneOf(h, 't')!.pid).toBe(pane.pid);
  });

  it('holdfast run whose new-session chain errored after tmux started the pane reports the task started', async () => {
    const h = manual();
    const faults = installTmuxFaults(h);
    faults.arm('any', 'new-session', 'fail-after');

    const result = await h.cli(['run', '--name', 't', '--json', ...ALWAYS]);

    expect(faults.taken('any', 'new-session', 'fail-after')).toBe(true);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const view = JSON.parse(result.stdout) as TaskView;
    const pane = paneOf(h, 't')!;
    expect(pane.dead).toBe(false);
    // The task's own pid once its launcher reported it within the launch's wait, else the pane's.
    expect(view.pid === pane.pid || parentOf(view.pid!) === pane.pid).toBe(true);
    const status = await h.status('t');
    expect(status.state).toBe('running');
    expect(status.runs).toHaveLength(1);
  });
});
