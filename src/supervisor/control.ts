import { PERMISSION_GRANTED_PROMPT } from '../core/decide.js';
import { HoldfastError } from '../core/errors.js';
import { carryOut, launchFailure, settledAfter, submitIntent } from './intents.js';
import type { Runtime } from './runtime.js';

export { PERMISSION_GRANTED_PROMPT };

/**
 * Restarts a task now: the live run (if any) is stopped with the usual escalation, and a new run
 * starts in the same tmux session whatever the restart policy says. Spends no restart budget.
 *
 * The intent names the run the user saw: another restart (or the daemon) may end that run and
 * start the next one first, and then this restart has been done for it. Acting on the newer run
 * instead would kill it as if it had crashed.
 */
export async function restartTask(rt: Runtime, taskId: number, timeoutMs: number): Promise<void> {
  const task = rt.store.tasks.byId(taskId);
  if (!task) throw new HoldfastError('ENOTASK', `task ${taskId} is gone`);
  const { task: seen } = submitIntent(rt, taskId, { kind: 'restart', timeoutMs, runId: task.currentRunId });
  await carryOut(rt, [taskId], settledAfter(rt, taskId, seen.currentRunId), timeoutMs + 15_000);
  const failed = launchFailure(rt, taskId, seen.currentRunId);
  if (failed) throw failed;
}

export interface ResumeOptions {
  prompt: string | null;
  /** Resume a rate-limited task before its reset time. */
  now: boolean;
  /** From now on, run the agent with its bypass flag (kept in the task's agent spec). */
  unattended?: boolean;
}

/**
 * Sets a stopped, failed, crash-looping or waiting task to run again and starts it: the breaker and
 * backoff are reset, and an agent continues its conversation (optionally with a new prompt).
 * A task waiting for input after denied tools has no live run: it waits for exactly this.
 */
export async function resumeTask(rt: Runtime, taskId: number, options: ResumeOptions): Promise<void> {
  const { task } = submitIntent(rt, taskId, {
    kind: 'resume',
    prompt: options.prompt,
    now: options.now,
    unattended: Boolean(options.unattended),
  });
  await carryOut(rt, [taskId], settledAfter(rt, taskId, task.currentRunId), 20_000);
  const failed = launchFailure(rt, taskId, task.currentRunId);
  if (failed) throw failed;
}
