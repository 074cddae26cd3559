import type { TaskState } from '../core/task.js';
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

/**
 * Records that the task should stop, in one transaction with its journal entry. A task with a live
 * run goes to `stopping` (its run ends later); one waiting for a timer is stopped at once.
 * Returns the live run's pid to signal, if any.
 */
export function requestStop(rt: Runtime, taskId: number, request: StopRequest): { pid: number | null } {
  return rt.store.tx(() => {
    const task = rt.store.tasks.byId(taskId);
    if (!task) return { pid: null };
    const now = rt.now();
    const run = task.currentRunId === null ? null : rt.store.runs.byId(task.currentRunId);
    const live = run !== null && run.endedAt === null;
    const stopAs = request.stopAs ?? 'stopped';
    if (task.desired === 'stopped' && (!live || task.state === 'stopping'))
      return { pid: live ? run.pid : null };
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
    return { pid: live ? run.pid : null };
  });
}

/**
 * Signals the run's process group: SIGINT now, SIGTERM at half the timeout, SIGKILL at the timeout,
 * and returns once tmux reports the run ended (or `graceMs` after the SIGKILL).
 */
export async function escalateStop(rt: Runtime, taskId: number, timeoutMs: number): Promise<boolean> {
  // Bound to the run live now: once it ends, a run started after it is none of this stop's business.
  const target = liveRun(rt, taskId);
  if (!target) return true;
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
    while (next < steps.length && Date.now() - started >= steps[next]!.at) {
      if (pid !== null) signalGroup(pid, steps[next]!.signal);
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
