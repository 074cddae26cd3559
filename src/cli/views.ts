import { readFileSync } from 'node:fs';
import type { TaskRecord } from '../core/task.js';
import { type TaskView, toTaskView } from '../core/view.js';
import { originalPromptFile } from '../supervisor/agent-run.js';
import type { Context } from './context.js';
import { logMtime } from './format.js';

export function viewOf(ctx: Context, task: TaskRecord): TaskView {
  const runs = ctx.rt.store.runs.forTask(task.id);
  return toTaskView(task, runs, ctx.rt.now(), {
    lastOutputAt: logMtime(runs.at(-1)?.logPath),
    info: ctx.rt.store.tasks.info(task.id),
    prompt: promptOf(ctx, task),
  });
}

export function allViews(ctx: Context): TaskView[] {
  const runsByTask = ctx.rt.store.runs.allByTask();
  const now = ctx.rt.now();
  return ctx.rt.store.tasks.all().map((task) => {
    const runs = runsByTask.get(task.id) ?? [];
    return toTaskView(task, runs, now, {
      lastOutputAt: logMtime(runs.at(-1)?.logPath),
      info: ctx.rt.store.tasks.info(task.id),
      prompt: promptOf(ctx, task),
    });
  });
}

/** An agent task's original prompt, from the file its fresh starts read; null for a command. */
export function promptOf(ctx: Context, task: TaskRecord): string | null {
  if (!task.spec.agent) return null;
  try {
    return readFileSync(originalPromptFile(ctx.rt.paths, task.name), 'utf8');
  } catch {
    return null;
  }
}
