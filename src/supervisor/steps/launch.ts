/**
 * The pane step of a run: puts a created run into tmux (a new session for run 1, the same pane
 * respawned for the next), tagged `@hf_run=<run id>`, with `pipe-pane` appending its output to the
 * run's own log. The run row is the promise to do this; the pid it records is the proof.
 */
import { HoldfastError } from '../../core/errors.js';
import type { RunRecord, TaskRecord } from '../../core/task.js';
import { touchPrivateFile, verifyPrivateDir } from '../../fs-safe.js';
import { TmuxError } from '../../tmux/errors.js';
import { LAUNCHER, type Runtime } from '../runtime.js';
import { fromTmuxError } from '../tmux-errors.js';
import { planLaunch } from './plan.js';

export const RUN_OPTION = '@hf_run';

export type LaunchResult =
  | { ok: true; pid: number }
  /** `message`: what went wrong, for the task's reason; `error`: what a CLI reports. */
  | { ok: false; message: string; error: HoldfastError };

/**
 * Puts a created run into tmux and records its pid. A failure is returned for the decider, which
 * ends the run with it: nothing waits for a pane that will never come.
 */
export async function launchRun(rt: Runtime, task: TaskRecord, run: RunRecord): Promise<LaunchResult> {
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
    rt.store.tx(() => rt.store.runs.setPid(run.id, pid));
    return { ok: true, pid };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const known = fromTmuxError(error);
    return {
      ok: false,
      message,
      error:
        known instanceof HoldfastError
          ? known
          : new HoldfastError('ETMUX', `could not start ${task.name}: ${message}`, { cause: error }),
    };
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
