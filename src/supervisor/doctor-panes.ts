/**
 * Panes and tasks that have lost each other: a pane holdfast stamped (`@hf_run`) whose task or run
 * is gone (removed by `--fix`), a pane holdfast did not stamp (reported, never touched), and a task
 * that should be running whose pane is gone.
 */
import Database from 'better-sqlite3';
import { LIVE_STATES, type TaskState } from '../core/task.js';
import type { TmuxClient } from '../tmux/client.js';
import type { PaneInfo } from '../tmux/panes.js';
import { type Check, check } from './doctor-check.js';
import { WATCHDOG_SESSION } from './runtime.js';

interface Known {
  tasks: { id: number; name: string; state: TaskState; currentRunId: number | null }[];
  /** Run id → task id. */
  runs: Map<number, number>;
}

/** The tasks and runs, read on a read-only connection (the store check passed). */
export function readKnown(store: string): Known {
  const db = new Database(store, { readonly: true, fileMustExist: true });
  try {
    const tasks = (
      db.prepare('SELECT id, name, state, current_run_id FROM tasks').all() as {
        id: number;
        name: string;
        state: TaskState;
        current_run_id: number | null;
      }[]
    ).map((t) => ({ id: t.id, name: t.name, state: t.state, currentRunId: t.current_run_id }));
    const runs = new Map(
      (db.prepare('SELECT id, task_id FROM runs').all() as { id: number; task_id: number }[]).map(
        (r) => [r.id, r.task_id] as const,
      ),
    );
    return { tasks, runs };
  } finally {
    db.close();
  }
}

/** A stamped pane whose session is no task's, or whose run is not its task's. */
export function orphanPanes(panes: readonly PaneInfo[], known: Known): PaneInfo[] {
  const byName = new Map(known.tasks.map((t) => [t.name, t]));
  return panes.filter((p) => {
    if (p.runId === null) return false;
    const task = byName.get(p.session);
    return !task || known.runs.get(p.runId) !== task.id;
  });
}

export async function checkPanes(tmux: TmuxClient, known: Known | null, fix: boolean): Promise<Check[]> {
  let panes: PaneInfo[] | null;
  try {
    panes = await tmux.listPanes();
  } catch (error) {
    return [check('panes', 'warn', `cannot list the panes: ${(error as Error).message}`)];
  }
  const should = (known?.tasks ?? []).filter((t) => LIVE_STATES.has(t.state));
  if (panes === null)
    return [
      should.length === 0
        ? check('panes', 'ok', 'no tmux server runs, and no task needs one')
        : check(
            'panes',
            'warn',
            `no tmux server runs, but ${should.map((t) => t.name).join(', ')} should be running`,
            'holdfast daemon start (it starts the server and the tasks again)',
          ),
    ];
  const checks: Check[] = [];
  const orphans = known ? orphanPanes(panes, known) : [];
  if (orphans.length > 0) {
    const list = orphans.map((p) => `${p.paneId} (session ${p.session}, run ${p.runId})`).join(', ');
    const c = check(
      'orphan panes',
      'warn',
      `stamped by holdfast, no task's: ${list}`,
      'holdfast doctor --fix removes them',
    );
    if (fix) {
      const removed: string[] = [];
      for (const p of orphans) {
        try {
          await tmux.exec(['kill-pane', '-t', p.paneId]);
          removed.push(p.paneId);
        } catch {
          // gone meanwhile
        }
      }
      c.status = 'ok';
      c.fixed = `removed ${removed.join(', ')}`;
      delete c.hint;
    }
    checks.push(c);
  } else checks.push(check('orphan panes', 'ok', `${panes.length} pane(s), each a task's`));
  const foreign = panes.filter((p) => p.runId === null && p.session !== WATCHDOG_SESSION);
  if (foreign.length > 0)
    checks.push(
      check(
        'unstamped panes',
        'warn',
        `not holdfast's (no @hf_run), left alone: ${foreign.map((p) => `${p.paneId} (session ${p.session})`).join(', ')}`,
        "something else made them on holdfast's server; tmux -S <home>/tmux.sock kill-pane -t <id> if unwanted",
      ),
    );
  const live = new Set(panes.filter((p) => !p.dead).map((p) => p.runId));
  const lost = should.filter(
    (t) => t.currentRunId !== null && !live.has(t.currentRunId) && t.state !== 'starting',
  );
  checks.push(
    lost.length === 0
      ? check('task panes', 'ok', `${should.length} task(s) that should run, each with its pane`)
      : check(
          'task panes',
          'warn',
          `no live pane for ${lost.map((t) => t.name).join(', ')}`,
          'the daemon restarts them by their policy; holdfast ls shows their state',
        ),
  );
  return checks;
}
