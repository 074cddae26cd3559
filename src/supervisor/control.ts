import { HoldfastError } from '../core/errors.js';
import { INITIAL_SUPERVISION, LIVE_STATES, type TaskRecord } from '../core/task.js';
import { startRun } from './launch.js';
import { signalGroup } from './process.js';
import type { Runtime } from './runtime.js';
import { escalateStop } from './stop.js';

/**
 * Restarts a task now: the live run (if any) is stopped with the usual escalation, and a new run
 * starts in the same tmux session whatever the restart policy says. Spends no restart budget.
 *
 * Everything after the decision is bound to the run the decision saw: another restart (or the
 * daemon) may end that run and start the next one first, and then this restart has been done for
 * it. Acting on the newer run instead would kill it as if it had crashed.
 */
export async function restartTask(rt: Runtime, taskId: number, timeoutMs: number): Promise<void> {
  const seen = rt.store.tx(() => {
    const task = mustGet(rt, taskId);
    const now = rt.now();
    const run = task.currentRunId === null ? null : rt.store.runs.byId(task.currentRunId);
    const isLive = run !== null && run.endedAt === null;
    rt.store.tasks.update(
      task.id,
      {
        desired: 'running',
        nextRun: { cause: 'restart', prompt: null, fresh: false },
        ...(isLive
          ? { state: 'stopping', stopRequestedAt: now, stopTimeoutMs: timeoutMs, stopAs: null }
          : { state: 'backoff', nextStartAt: now }),
      },
      now,
    );
    rt.store.events.append({
      taskId: task.id,
      taskName: task.name,
      at: now,
      type: 'restart-requested',
      data: {},
    });
    return { runId: task.currentRunId, live: isLive };
  });
  if (seen.live) await escalateStop(rt, taskId, timeoutMs, seen.runId);
  await startRun(rt, taskId, 'restart', { after: seen.runId });
}

export interface ResumeOptions {
  prompt: string | null;
  /** Resume a rate-limited task before its reset time. */
  now: boolean;
}

/**
 * Sets a stopped, failed, crash-looping or waiting task to run again and starts it: the breaker and
 * backoff are reset, and an agent continues its conversation (optionally with a new prompt).
 */
export async function resumeTask(rt: Runtime, taskId: number, options: ResumeOptions): Promise<void> {
  const seenRunId = rt.store.tx(() => {
    const task = mustGet(rt, taskId);
    if (LIVE_STATES.has(task.state) && task.state !== 'stalled') {
      throw new HoldfastError('ESTATE', `${task.name} is ${task.state}: there is nothing to resume`, {
        hint: `holdfast restart ${task.name} starts it again`,
      });
    }
    if (task.state === 'rate-limited' && !options.now) {
      const at = task.limitResetsAt === null ? 'its reset time' : new Date(task.limitResetsAt).toISOString();
      throw new HoldfastError(
        'ESTATE',
        `${task.name} is rate-limited until ${at}; holdfast resumes it then`,
        {
          hint: `pass --now to resume it before the reset`,
        },
      );
    }
    const now = rt.now();
    rt.store.tasks.update(
      task.id,
      {
        desired: 'running',
        state: 'backoff',
        nextStartAt: now,
        reason: null,
        supervision: { ...INITIAL_SUPERVISION, healthyRunId: task.supervision.healthyRunId },
        nextRun: { cause: 'resume', prompt: options.prompt, fresh: false },
        stopRequestedAt: null,
        stopTimeoutMs: null,
        stopAs: null,
      },
      now,
    );
    rt.store.events.append({
      taskId: task.id,
      taskName: task.name,
      at: now,
      type: 'resume-requested',
      data: { from: task.state, ...(options.prompt ? { withPrompt: true } : {}) },
    });
    return task.currentRunId;
  });
  // A stalled run in notify mode is still alive: end it so the resume can take its place.
  const run = seenRunId === null ? null : rt.store.runs.byId(seenRunId);
  if (run && run.endedAt === null && run.pid !== null) {
    signalGroup(run.pid, 'SIGTERM');
    await escalateStop(rt, taskId, 5000, run.id);
  }
  await startRun(rt, taskId, 'resume', { after: seenRunId });
}

function mustGet(rt: Runtime, taskId: number): TaskRecord {
  const task = rt.store.tasks.byId(taskId);
  if (!task) throw new HoldfastError('ENOTASK', `task ${taskId} is gone`);
  return task;
}
