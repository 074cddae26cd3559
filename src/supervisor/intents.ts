/**
 * How a CLI (or the mission runner) asks for something: the intent is recorded, checked against
 * the task in the same transaction, the daemon is woken, and the caller runs passes of the same
 * loop for that task until what it asked for is in the store. Whichever process applies the
 * decision first carries it out; a daemon and a CLI doing this at once each find it done.
 */
import { checkIntent, type Intent } from '../core/decide.js';
import { HoldfastError } from '../core/errors.js';
import type { RunRecord, TaskRecord } from '../core/task.js';
import { launchErrors } from './execute.js';
import { currentLease } from './lease.js';
import { Loop } from './loop.js';
import { kickDaemon } from './pane-events.js';
import type { Runtime } from './runtime.js';
import { sleep } from './sleep.js';

/** Records an intent (inside the caller's transaction, or its own); refuses what cannot be done. */
export function submitIntent(
  rt: Runtime,
  taskId: number,
  intent: Intent,
): { task: TaskRecord; run: RunRecord | null } {
  return rt.store.tx(() => {
    const task = rt.store.tasks.byId(taskId);
    if (!task) throw new HoldfastError('ENOTASK', `task ${taskId} is gone`);
    const run = task.currentRunId === null ? null : rt.store.runs.byId(task.currentRunId);
    checkIntent(task, run, intent);
    rt.store.intents.add(task.id, intent, rt.now());
    return { task, run };
  });
}

/**
 * Runs the loop for these tasks until `done`, or the deadline. Inside the daemon (the mission
 * runner), the daemon's own loop does the work: this only waits for it.
 */
export async function carryOut(
  rt: Runtime,
  taskIds: readonly number[],
  done: () => boolean,
  deadlineMs: number,
): Promise<boolean> {
  if (rt.supervisor) {
    for (const id of taskIds) rt.supervisor.markDirty(id);
    const deadline = Date.now() + deadlineMs;
    while (!done()) {
      if (Date.now() >= deadline) return false;
      await sleep(25);
    }
    return true;
  }
  const daemon = currentLease(rt).live;
  const wake = (id: number) => {
    if (daemon) kickDaemon(rt, id);
  };
  for (const id of taskIds) wake(id);
  const loop = new Loop(rt, { scope: new Set(taskIds), listMs: 100, onApplied: wake });
  return loop.until(done, deadlineMs);
}

/**
 * The error of a run started after `seenRunId` that could not be put into tmux, for the CLI to
 * report as its own failure (the task is left to its restart policy, with the reason).
 */
export function launchFailure(rt: Runtime, taskId: number, seenRunId: number | null): HoldfastError | null {
  const task = rt.store.tasks.byId(taskId);
  if (!task || task.currentRunId === null || task.currentRunId === seenRunId) return null;
  const run = rt.store.runs.byId(task.currentRunId);
  if (run?.endReason !== 'launch-failed') return null;
  return (
    launchErrors.get(run.id) ??
    new HoldfastError('ETMUX', `could not start ${task.name}: ${task.reason ?? 'launch failed'}`)
  );
}

/** After an intent about `seenRunId`: it has been carried out and any run it started is in tmux. */
export function settledAfter(rt: Runtime, taskId: number, seenRunId: number | null): () => boolean {
  return () => {
    const t = rt.store.tasks.byId(taskId);
    if (!t) return true;
    if (rt.store.intents.forTask(t.id).length > 0) return false;
    if (t.currentRunId !== seenRunId && t.currentRunId !== null) {
      const run = rt.store.runs.byId(t.currentRunId);
      return run === null || run.endedAt !== null || (run.pid !== null && t.state !== 'starting');
    }
    if (t.state === 'stopping') return false;
    return !(t.desired === 'running' && t.nextStartAt !== null && t.nextStartAt <= rt.now());
  };
}
