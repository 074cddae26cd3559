import { DEFAULT_STOP_TIMEOUT_MS, stopSchedule } from '../core/decide.js';
import { HoldfastError } from '../core/errors.js';
import { FINAL_STATES, type TaskState } from '../core/task.js';
import { isDiskFull } from '../store/disk-full.js';
import { carryOut, submitIntent } from './intents.js';
import { runProcesses, signalRun } from './process-tree.js';
import type { Runtime } from './runtime.js';
import { sleep } from './sleep.js';

export { DEFAULT_STOP_TIMEOUT_MS };

export interface StopRequest {
  timeoutMs: number;
  /** `stopped` for a user's stop; `failed` when a limit ends the task. */
  stopAs?: TaskState;
  reason?: string;
}

export interface StopDecision {
  /** The live run's pid to signal, if any. */
  pid: number | null;
  /** The run this stop is for: the wait acts on it and on no later run. */
  runId: number | null;
  /** The task had already ended (succeeded, failed, stopped) before this stop: it keeps its state. */
  alreadyEnded: boolean;
}

/**
 * Records that the task should stop. The decider carries it out: a live run gets SIGINT, then
 * SIGTERM at half the timeout, SIGKILL at the timeout; a task waiting for a timer is stopped at
 * once; one that has already ended keeps its state (a succeeded task stays succeeded).
 */
export function requestStop(rt: Runtime, taskId: number, request: StopRequest): StopDecision {
  const task = rt.store.tasks.byId(taskId);
  if (!task) return { pid: null, runId: null, alreadyEnded: true };
  const { run } = submitIntent(rt, taskId, {
    kind: 'stop',
    timeoutMs: request.timeoutMs,
    stopAs: request.stopAs === 'failed' ? 'failed' : 'stopped',
    reason: request.reason ?? null,
  });
  const live = run !== null && run.endedAt === null;
  return {
    pid: live ? run.pid : null,
    runId: live ? run.id : null,
    alreadyEnded: !live && FINAL_STATES.has(task.state),
  };
}

/**
 * A stop the store cannot take (a full disk, perhaps filled by this very task): the run is
 * signalled first, by this process, on the stop's own schedule, while recording the stop is tried
 * again every 100 ms. Once it is recorded (naming the SIGINT already sent) the decider takes over;
 * if it never is, the run's processes are still ended, and the error says the stop is not recorded.
 */
export async function stopBeforeRecording(
  rt: Runtime,
  taskId: number,
  request: StopRequest,
  cause: unknown,
): Promise<StopDecision> {
  const task = rt.store.tasks.byId(taskId);
  const run = task?.currentRunId == null ? null : rt.store.runs.byId(task.currentRunId);
  if (!task || !run || run.endedAt !== null || run.pid === null) throw cause;
  const cookie = { home: rt.paths.home, task: task.name, n: run.n };
  const at = rt.now();
  const schedule = stopSchedule(request.timeoutMs);
  let sent = 0;
  const deadline = at + request.timeoutMs + 5000;
  let goneAt: number | null = null;
  for (;;) {
    while (sent < schedule.length && rt.now() >= at + schedule[sent]!.at) {
      signalRun(run.pid, cookie, schedule[sent]!.signal);
      sent++;
    }
    try {
      submitIntent(rt, taskId, {
        kind: 'stop',
        timeoutMs: request.timeoutMs,
        stopAs: request.stopAs === 'failed' ? 'failed' : 'stopped',
        reason: request.reason ?? null,
        signalled: { runId: run.id, at },
      });
      return { pid: run.pid, runId: run.id, alreadyEnded: false };
    } catch (error) {
      if (!isDiskFull(error, rt.paths.store)) throw error;
    }
    const alive = runProcesses(run.pid, cookie).length > 0;
    if (!alive) goneAt ??= rt.now();
    // Gone, and a second more of trying: the disk is not coming back by itself.
    if ((goneAt !== null && rt.now() >= goneAt + 1000) || rt.now() >= deadline) {
      throw new HoldfastError(
        'EDISKFULL',
        `disk full: cannot write ${rt.paths.store}: the stop of ${task.name} is not recorded; ${
          alive ? 'it is still running after SIGKILL' : 'its processes were ended'
        }`,
        {
          hint: `free space on the filesystem of ${rt.paths.home}, then run \`holdfast stop ${task.name}\` again, or holdfast may restart it`,
          cause,
        },
      );
    }
    await sleep(100);
  }
}

/**
 * Waits until the stop is carried out: the run it was for has ended (SIGKILL came at the timeout;
 * this gives up 5 s after it) and the task is decided. Bound to one run: `runId` when the caller's
 * decision named it (a run started after that is none of this stop's business), else the live one.
 */
export async function escalateStop(
  rt: Runtime,
  taskId: number,
  timeoutMs: number,
  runId?: number | null,
): Promise<boolean> {
  const current = () => {
    const task = rt.store.tasks.byId(taskId);
    return task?.currentRunId == null ? null : rt.store.runs.byId(task.currentRunId);
  };
  const live = current();
  const target = runId === undefined ? (live?.endedAt === null ? live.id : null) : runId;
  const ended = () => target === null || rt.store.runs.byId(target)?.endedAt !== null;
  const done = () => ended() && rt.store.intents.forTask(taskId).length === 0;
  await carryOut(rt, [taskId], done, timeoutMs + 5000);
  return ended();
}

/** How long a stop waits, after the run ended, for the processes it left behind to be ended. */
const LEFTOVER_WAIT_MS = 4000;

export interface Leftovers {
  /** Processes of the run that were still running after it ended, which the stop then ended. */
  ended: number[];
  /** Processes of the run still running now. */
  running: number[];
}

/**
 * After a stopped run has ended: which of its processes outlived it. Whoever carried out the stop
 * (this process or the daemon) ends them and journals them (`stop-survivors`); this waits for that
 * and reads the journal, so the answer is the same whoever did it.
 */
export async function stopLeftovers(rt: Runtime, taskId: number, runId: number): Promise<Leftovers> {
  const task = rt.store.tasks.byId(taskId);
  const run = rt.store.runs.byId(runId);
  if (!task || !run) return { ended: [], running: [] };
  const cookie = { home: rt.paths.home, task: task.name, n: run.n };
  const deadline = Date.now() + LEFTOVER_WAIT_MS;
  let running = runProcesses(null, cookie);
  while (running.length > 0 && Date.now() < deadline) {
    await sleep(25);
    running = runProcesses(null, cookie);
  }
  const ended = new Set<number>();
  for (const e of rt.store.events.forTask(taskId)) {
    if (e.runId !== runId || e.type !== 'stop-survivors' || e.data.afterKill) continue;
    for (const pid of e.data.pids as number[]) ended.add(pid);
  }
  const stillThere = running.map((p) => p.pid);
  return {
    ended: [...ended].filter((pid) => !stillThere.includes(pid)).sort((a, b) => a - b),
    running: stillThere,
  };
}
