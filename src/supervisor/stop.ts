import { FINAL_STATES, type TaskState } from '../core/task.js';
import { observeSettled } from './observe.js';
import { signalGroup } from './process.js';
import type { Runtime } from './runtime.js';
import { sleep } from './sleep.js';

export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

export interface StopRequest {
  timeoutMs: number;
  /** `stopped` for a user's stop; `failed` when a limit ends the task. */
  stopAs?: TaskState;
  reason?: string;
}

export interface StopDecision {
  /** The live run's pid to signal, if any. */
  pid: number | null;
  /** The run this stop is for: the escalation acts on it and on no later run. */
  runId: number | null;
  /** The task had already ended (succeeded, failed, stopped) before this stop: nothing changed. */
  alreadyEnded: boolean;
}

/**
 * Records that the task should stop, in one transaction with its journal entry. A task with a live
 * run goes to `stopping` (its run ends later); one waiting for a timer is stopped at once; one that
 * has already ended keeps its state (a succeeded task stays succeeded).
 */
export function requestStop(rt: Runtime, taskId: number, request: StopRequest): StopDecision {
  return rt.store.tx(() => {
    const task = rt.store.tasks.byId(taskId);
    if (!task) return { pid: null, runId: null, alreadyEnded: true };
    const now = rt.now();
    const run = task.currentRunId === null ? null : rt.store.runs.byId(task.currentRunId);
    const live = run !== null && run.endedAt === null;
    const stopAs = request.stopAs ?? 'stopped';
    const decision = { pid: live ? run.pid : null, runId: live ? run.id : null, alreadyEnded: false };
    if (!live && FINAL_STATES.has(task.state)) {
      if (task.desired !== 'stopped')
        rt.store.tasks.update(task.id, { desired: 'stopped', nextRun: null }, now);
      return { ...decision, alreadyEnded: true };
    }
    if (task.desired === 'stopped' && (!live || task.state === 'stopping')) return decision;
    rt.store.tasks.update(
      task.id,
      live
        ? {
            desired: 'stopped',
            state: 'stopping',
            stopRequestedAt: now,
            stopTimeoutMs: request.timeoutMs,
            stopAs,
            reason: request.reason ?? null,
            nextStartAt: null,
          }
        : {
            desired: 'stopped',
            state: stopAs,
            nextStartAt: null,
            reason: request.reason ?? task.reason,
            nextRun: null,
          },
      now,
    );
    rt.store.events.append({
      taskId: task.id,
      taskName: task.name,
      runId: run?.id ?? null,
      at: now,
      type: live ? 'stop-requested' : stopAs,
      data: {
        ...(request.reason ? { reason: request.reason } : {}),
        ...(live ? { timeoutMs: request.timeoutMs } : {}),
      },
    });
    return decision;
  });
}

/**
 * Signals the run's process group: SIGINT now, SIGTERM at half the timeout, SIGKILL at the timeout,
 * and returns once tmux reports the run ended (or 5 s after the SIGKILL).
 *
 * Bound to one run: `runId` when the caller's decision named it (a run started after that decision
 * is none of this stop's business, even if it is live by the time the escalation begins), else the
 * run live now.
 */
export async function escalateStop(
  rt: Runtime,
  taskId: number,
  timeoutMs: number,
  runId?: number | null,
): Promise<boolean> {
  const target =
    runId === undefined ? liveRun(rt, taskId) : runId === null ? null : rt.store.runs.byId(runId);
  if (!target || target.endedAt !== null) return true;
  const isLive = () => rt.store.runs.byId(target.id)?.endedAt === null;
  const started = Date.now();
  const steps: { at: number; signal: NodeJS.Signals }[] = [
    { at: 0, signal: 'SIGINT' },
    { at: timeoutMs / 2, signal: 'SIGTERM' },
    { at: timeoutMs, signal: 'SIGKILL' },
  ];
  let next = 0;
  const giveUpAt = started + timeoutMs + 5000;
  while (Date.now() < giveUpAt) {
    if (!isLive()) return true;
    const pid = rt.store.runs.byId(target.id)?.pid ?? null;
    // A run still being put into tmux has no pid yet: its SIGINT waits for one instead of being lost.
    while (pid !== null && next < steps.length && Date.now() - started >= steps[next]!.at) {
      signalGroup(pid, steps[next]!.signal);
      next++;
    }
    await observeSettled(rt, 200);
    if (!isLive()) return true;
    await sleep(25);
  }
  return !isLive();
}

function liveRun(rt: Runtime, taskId: number) {
  const task = rt.store.tasks.byId(taskId);
  if (!task || task.currentRunId === null) return null;
  const run = rt.store.runs.byId(task.currentRunId);
  return run && run.endedAt === null ? run : null;
}
