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
  /** From now on, run the agent with its bypass flag (kept in the task's agent spec). */
  unattended?: boolean;
}

/** The prompt of a resume that grants the tools a run was denied, when the user gave none. */
export const PERMISSION_GRANTED_PROMPT =
  'You may now use the tools you were denied. Retry what was refused and continue the task from where you left off.';

/**
 * Sets a stopped, failed, crash-looping or waiting task to run again and starts it: the breaker and
 * backoff are reset, and an agent continues its conversation (optionally with a new prompt).
 * A task waiting for input after denied tools has no live run: it waits for exactly this.
 */
export async function resumeTask(rt: Runtime, taskId: number, options: ResumeOptions): Promise<void> {
  const seenRunId = rt.store.tx(() => {
    const task = mustGet(rt, taskId);
    if (options.unattended && !task.spec.agent) {
      throw new HoldfastError('EUSAGE', `--unattended: ${task.name} is not an agent task`);
    }
    if (LIVE_STATES.has(task.state) && task.state !== 'stalled' && !waitsForUser(rt, task)) {
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
    const grant = Boolean(options.unattended);
    const denied = task.state === 'waiting-input' && (task.reason ?? '').startsWith('permission-denied');
    const prompt = options.prompt ?? (grant && denied ? PERMISSION_GRANTED_PROMPT : null);
    rt.store.tasks.update(
      task.id,
      {
        desired: 'running',
        state: 'backoff',
        nextStartAt: now,
        reason: null,
        supervision: { ...INITIAL_SUPERVISION, healthyRunId: task.supervision.healthyRunId },
        nextRun: { cause: 'resume', prompt, fresh: false },
        ...(grant ? { spec: { ...task.spec, agent: { ...task.spec.agent!, unattended: true } } } : {}),
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
      data: {
        from: task.state,
        ...(options.prompt ? { withPrompt: true } : {}),
        ...(grant ? { unattended: true } : {}),
      },
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

/** A task that waits for input with no live run (its agent exited): only `resume` moves it on. */
function waitsForUser(rt: Runtime, task: TaskRecord): boolean {
  if (task.state !== 'waiting-input') return false;
  const run = task.currentRunId === null ? null : rt.store.runs.byId(task.currentRunId);
  return run === null || run.endedAt !== null;
}

function mustGet(rt: Runtime, taskId: number): TaskRecord {
  const task = rt.store.tasks.byId(taskId);
  if (!task) throw new HoldfastError('ENOTASK', `task ${taskId} is gone`);
  return task;
}
