/**
 * The pane step of a run: puts a created run into tmux (a new session for run 1, the same pane
 * respawned for the next), tagged `@hf_run=<run id>`, with `pipe-pane` appending its output to the
 * run's own log. The run row is the promise to do this; the pid it records is the proof.
 */
import { worktreeProblem } from '../../checkpoint/index.js';
import { HoldfastError } from '../../core/errors.js';
import { type RunRecord, retentionOf, type TaskRecord, type TaskSpec } from '../../core/task.js';
import { touchPrivateFile, verifyPrivateDir } from '../../fs-safe.js';
import type { LogRotation, PaneLaunch } from '../../tmux/client.js';
import { TmuxError } from '../../tmux/errors.js';
import { fileSize } from '../file-range.js';
import { LOG_SEGMENTS } from '../log-segments.js';
import { findTaskPid, taskPidsSince } from '../pane-events.js';
import { isAlive } from '../process.js';
import { LOG_WRITER, launcherArgv, type Runtime } from '../runtime.js';
import { sleep } from '../sleep.js';
import { fromTmuxError } from '../tmux-errors.js';
import { planLaunch } from './plan.js';

export const RUN_OPTION = '@hf_run';
/**
 * How long a launch waits for the task's pid: a few milliseconds as a rule. A launch never waits
 * longer (the daemon launches one run after another); a line that comes later (a loaded machine)
 * is recorded by the loop, one that never comes (a full disk) leaves the pane's pid shown.
 */
const TASK_PID_WAIT_MS = 300;

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
    const launch = await prepareLaunch(rt, task, run);
    // The launcher reports the task's pid there, and appends to it only if it exists.
    touchPrivateFile(rt.paths.eventsFile);
    const from = fileSize(rt.paths.eventsFile);
    const pid = await launchPane(rt, launch, run.n);
    // Both at once: whoever sees the run's pid (a CLI waiting to print it) sees the task's too.
    const taskPid = await launchedTaskPid(rt, from, task.name, run.n, pid);
    rt.store.tx(() => {
      rt.store.runs.setPid(run.id, pid);
      if (taskPid !== null) rt.store.runs.setTaskPid(run.id, taskPid);
    });
    return { ok: true, pid };
  } catch (error) {
    return launchFailed(task, error);
  }
}

/**
 * Puts many first runs into tmux at once (`holdfast up` of many tasks): their sessions in a few
 * chained tmux invocations instead of one each, their task pids from one read of the events file
 * per look, and all pids recorded in one transaction. A launch tmux refused is tried again alone,
 * as `launchRun` does it (a session that exists already is respawned).
 */
export async function launchFirstRuns(
  rt: Runtime,
  items: readonly { task: TaskRecord; run: RunRecord }[],
): Promise<LaunchResult[]> {
  const results: LaunchResult[] = new Array(items.length);
  const prepared: { i: number; launch: PaneLaunch }[] = [];
  for (const [i, { task, run }] of items.entries()) {
    try {
      prepared.push({ i, launch: await prepareLaunch(rt, task, run) });
    } catch (error) {
      results[i] = launchFailed(task, error);
    }
  }
  let from = 0;
  let pids: (number | Error)[];
  try {
    touchPrivateFile(rt.paths.eventsFile);
    from = fileSize(rt.paths.eventsFile);
    pids = await rt.tmux.newSessions(prepared.map((p) => p.launch));
  } catch (error) {
    pids = prepared.map(() => (error instanceof Error ? error : new Error(String(error))));
  }
  const started: { i: number; pid: number }[] = [];
  for (const [k, { i, launch }] of prepared.entries()) {
    const got = pids[k];
    if (typeof got === 'number') {
      started.push({ i, pid: got });
      continue;
    }
    try {
      started.push({ i, pid: await launchPane(rt, launch, 1) });
    } catch (error) {
      results[i] = launchFailed(items[i]!.task, error);
    }
  }
  const taskPids = await launchedTaskPids(
    rt,
    from,
    started.map(({ i }) => `${items[i]!.task.name}|${items[i]!.run.n}`),
  );
  try {
    rt.store.tx(() => {
      for (const { i, pid } of started) {
        const { task, run } = items[i]!;
        rt.store.runs.setPid(run.id, pid);
        const taskPid = taskPids.get(`${task.name}|${run.n}`);
        if (taskPid !== undefined) rt.store.runs.setTaskPid(run.id, taskPid);
      }
    });
    for (const { i, pid } of started) results[i] = { ok: true, pid };
  } catch (error) {
    // As `launchRun` says of one (a full disk): each is a failed launch; its pane is found by its tag.
    for (const { i } of started) results[i] = launchFailed(items[i]!.task, error);
  }
  return results;
}

/** The pane a run is started in: its argv through the launcher, its log, its run id. */
async function prepareLaunch(rt: Runtime, task: TaskRecord, run: RunRecord): Promise<PaneLaunch> {
  // The task's own processes can write here: a folder or log swapped for a link since is refused.
  verifyPrivateDir(rt.paths.taskDir(task.name));
  // Never the main tree instead: a task made to work apart must not start in the user's files.
  if (task.spec.worktree) {
    const problem = await worktreeProblem(task.spec.worktree, task.spec.cwd);
    if (problem !== null) {
      throw new HoldfastError('EWORKTREE', `cannot start ${task.name}: ${problem}`, {
        hint: `restore it (git -C ${task.spec.worktree.repo} worktree repair, or move it back), or remove the task: holdfast rm ${task.name}`,
      });
    }
  }
  const plan = await planLaunch(rt, task, run);
  // Created here with 0600 so the log is private whoever's umask the tmux server has; a relaunch
  // of the same run finds its own file.
  touchPrivateFile(run.logPath);
  const argv = [
    ...launcherArgv(),
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
  return {
    target: task.name,
    cwd: task.spec.cwd,
    argv,
    options: { [RUN_OPTION]: String(run.id) },
    logFile: run.logPath,
    logRotation: logRotationOf(task.spec),
  };
}

function launchFailed(task: TaskRecord, error: unknown): LaunchResult {
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

/** How the pipe of a task's runs writes its log: in segments of `--log-max` (log-segments.ts). */
export function logRotationOf(spec: TaskSpec): LogRotation {
  return { writer: LOG_WRITER, maxBytes: retentionOf(spec).logMaxBytes, keep: LOG_SEGMENTS };
}

/**
 * The task's pid, which its launcher (the pane's process) reports as soon as it has started it: a
 * few milliseconds. Null if the launcher ends first (it could not enter the directory) or takes
 * longer than a loaded machine plausibly needs.
 */
async function launchedTaskPid(
  rt: Runtime,
  from: number,
  task: string,
  n: number,
  launcher: number,
): Promise<number | null> {
  const deadline = Date.now() + TASK_PID_WAIT_MS;
  for (;;) {
    const pid = findTaskPid(rt, from, task, n);
    if (pid !== null) return pid;
    if (Date.now() >= deadline || !isAlive(launcher)) return findTaskPid(rt, from, task, n);
    await sleep(2);
  }
}

/** The task pids of many launches (keys `task|n`), as `launchedTaskPid` waits for one, from one read per look. */
async function launchedTaskPids(
  rt: Runtime,
  from: number,
  keys: readonly string[],
): Promise<Map<string, number>> {
  const deadline = Date.now() + TASK_PID_WAIT_MS;
  for (;;) {
    const found = taskPidsSince(rt, from);
    if (keys.every((k) => found.has(k)) || Date.now() >= deadline) return found;
    await sleep(5);
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
