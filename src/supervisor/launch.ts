import { HoldfastError } from '../core/errors.js';
import type { RunCause, RunRecord, TaskRecord } from '../core/task.js';
import { touchPrivateFile, verifyPrivateDir } from '../fs-safe.js';
import { TmuxError } from '../tmux/errors.js';
import { planLaunch } from './launch-plan.js';
import { LAUNCHER, type Runtime } from './runtime.js';
import { fromTmuxError } from './tmux-errors.js';

/**
 * Causes that spend restart budget (and count in `restarts`): the restarts holdfast decides on its
 * own. A restart the user asks for is not a crash and spends none.
 */
const BUDGETED: ReadonlySet<RunCause> = new Set(['backoff', 'probe', 'stall']);

export const RUN_OPTION = '@hf_run';

export interface StartExpectation {
  /** The task's current run when the caller decided on this start (null: it had none). */
  after: number | null;
}

/**
 * Starts the next run of a task, if it should start: creates the run row (the generation) in one
 * transaction, then launches it in tmux tagged with that run id. Safe to call from several
 * processes: only one of them creates the run; the others get null. With `expect`, the start is
 * for the run the caller's decision saw: if another decision has started a run since, this one has
 * been served (or overruled) and starts nothing.
 */
export async function startRun(
  rt: Runtime,
  taskId: number,
  cause: RunCause,
  expect?: StartExpectation,
): Promise<RunRecord | null> {
  const created = rt.store.tx(() => {
    const task = rt.store.tasks.byId(taskId);
    if (task?.desired !== 'running') return null;
    if (expect && task.currentRunId !== expect.after) return null;
    if (task.currentRunId !== null) {
      const current = rt.store.runs.byId(task.currentRunId);
      if (current?.endedAt === null) return null;
    }
    const now = rt.now();
    const n = rt.store.runs.lastN(task.id) + 1;
    // What this run is for moves from the task onto the run in this transaction: a run that dies
    // at once must not find a stale "restart" waiting on the task and restart itself forever.
    const effectiveCause = task.nextRun?.cause ?? cause;
    const budgeted = BUDGETED.has(effectiveCause) || task.nextRun?.budgeted === true;
    const run = rt.store.runs.insert({
      taskId: task.id,
      n,
      cause: effectiveCause,
      startedAt: now,
      logPath: rt.paths.runLog(task.name, n),
      starterPid: process.pid,
      prompt: task.nextRun?.prompt ?? null,
      fresh: task.nextRun?.fresh ?? false,
      budgeted,
    });
    rt.store.tasks.update(
      task.id,
      {
        state: 'starting',
        currentRunId: run.id,
        nextStartAt: null,
        reason: null,
        limitResetsAt: null,
        nextRun: null,
        stopRequestedAt: null,
        stopTimeoutMs: null,
        stopAs: null,
        restarts: task.restarts + (budgeted ? 1 : 0),
      },
      now,
    );
    rt.store.events.append({
      taskId: task.id,
      taskName: task.name,
      runId: run.id,
      at: now,
      type: n === 1 ? 'started' : 'restarted',
      data: { run: n, cause: effectiveCause },
    });
    return { task: rt.store.tasks.byId(task.id)!, run };
  });
  if (!created) return null;
  await launchRun(rt, created.task, created.run);
  return rt.store.runs.byId(created.run.id);
}

/**
 * Puts a created run into tmux. Idempotent for a run id: a pane already tagged with it is left alone.
 * On failure the run is ended with the reason, so nothing waits for a pane that will never come.
 */
export async function launchRun(rt: Runtime, task: TaskRecord, run: RunRecord): Promise<void> {
  try {
    // The task's own processes can write here: a folder or log swapped for a link since is refused.
    verifyPrivateDir(rt.paths.taskDir(task.name));
    const plan = await planLaunch(rt, task, run);
    // Created here with 0600 so the log is private whoever's umask the tmux server has; a relaunch
    // of the same run finds its own file.
    touchPrivateFile(run.logPath);
    const argv = [
      'bash',
      LAUNCHER,
      task.spec.cwd,
      rt.paths.envFile(task.name),
      plan.stdinFile ?? '-',
      task.spec.umask,
      `HOLDFAST_TASK=${task.name}`,
      `HOLDFAST_RUN=${run.n}`,
      `HOLDFAST_HOME=${rt.paths.home}`,
      ...plan.env,
      '--',
      ...plan.argv,
    ];
    const launch = {
      target: task.name,
      cwd: task.spec.cwd,
      argv,
      options: { [RUN_OPTION]: String(run.id) },
      logFile: run.logPath,
    };
    const pid = await launchPane(rt, launch, run.n);
    rt.store.tx(() => {
      const now = rt.now();
      rt.store.runs.setPid(run.id, pid);
      const current = rt.store.tasks.byId(task.id);
      // A run that already died (very short commands) has been recorded by an observer: leave it be.
      if (current && current.currentRunId === run.id && current.state === 'starting') {
        rt.store.tasks.update(task.id, { state: 'running' }, now);
      }
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    rt.store.tx(() => {
      const now = rt.now();
      if (!rt.store.runs.end(run.id, { endedAt: now, exitCode: null, signal: null, reason: 'launch-failed' }))
        return;
      rt.store.tasks.update(
        task.id,
        { state: 'failed', desired: 'stopped', reason: `launch failed: ${message}` },
        now,
      );
      rt.store.events.append({
        taskId: task.id,
        taskName: task.name,
        runId: run.id,
        at: now,
        type: 'start-failed',
        data: { run: run.n, error: message },
      });
    });
    const known = fromTmuxError(error);
    throw known instanceof HoldfastError
      ? known
      : new HoldfastError('ETMUX', `could not start ${task.name}: ${message}`, { cause: error });
  }
}

async function launchPane(
  rt: Runtime,
  launch: Parameters<Runtime['tmux']['newSession']>[0],
  n: number,
): Promise<number> {
  const missing = (e: unknown) =>
    e instanceof TmuxError && /can't find|no server running|error connecting/i.test(e.stderr);
  const duplicate = (e: unknown) => e instanceof TmuxError && /duplicate session/i.test(e.stderr);
  if (n === 1) {
    try {
      return await rt.tmux.newSession(launch);
    } catch (error) {
      if (!duplicate(error)) throw error;
      return rt.tmux.respawnPane({ ...launch, target: `=${launch.target}:` });
    }
  }
  try {
    return await rt.tmux.respawnPane({ ...launch, target: `=${launch.target}:` });
  } catch (error) {
    if (!missing(error)) throw error;
    return rt.tmux.newSession(launch);
  }
}
