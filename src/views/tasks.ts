import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TaskRecord } from '../core/task.js';
import { logSegmentIndex, logSegmentPath, type Paths } from '../paths.js';
import type { Store } from '../store/db.js';
import { toInputView } from './input.js';
import { type TaskView, toTaskView } from './task.js';

/** What a view reads: the store, where files are, and the time (a Runtime has all three). */
export interface ViewSource {
  store: Store;
  paths: Paths;
  now: () => number;
}

/** One task as `status`, `restart` and `resume` show it. */
export function viewOf(src: ViewSource, task: TaskRecord): TaskView {
  const runs = src.store.runs.forTask(task.id);
  return toTaskView(task, runs, src.now(), {
    lastOutputAt: logMtime(runs.at(-1)?.logPath),
    info: src.store.tasks.info(task.id),
    prompt: promptOf(src, task),
    inputs: openInputs(src, task),
  });
}

function openInputs(src: ViewSource, task: TaskRecord) {
  return src.store.inputs.open(task.id).map((i) => toInputView(i, task.name));
}

/** Every task, as `ls` shows them (runs read in one query). */
export function allViews(src: ViewSource): TaskView[] {
  const runsByTask = src.store.runs.allByTask();
  const now = src.now();
  return src.store.tasks.all().map((task) => {
    const runs = runsByTask.get(task.id) ?? [];
    return toTaskView(task, runs, now, {
      lastOutputAt: logMtime(runs.at(-1)?.logPath),
      info: src.store.tasks.info(task.id),
      prompt: promptOf(src, task),
      inputs: openInputs(src, task),
    });
  });
}

/** An agent task's original prompt, from the file its fresh starts read; null for a command. */
export function promptOf(src: Pick<ViewSource, 'paths'>, task: TaskRecord): string | null {
  if (!task.spec.agent) return null;
  try {
    return readFileSync(src.paths.originalPrompt(task.name), 'utf8');
  } catch {
    return null;
  }
}

/**
 * When a run's log last grew, from its newest segment (rotated logs: supervisor/log-segments.ts):
 * true whether or not a daemon watches.
 */
export function logMtime(path: string | undefined): number | null {
  const newest = path ? newestLogSegment(path) : null;
  if (newest === null) return null;
  try {
    const st = statSync(newest);
    return st.size > 0 ? st.mtimeMs : null;
  } catch {
    return null;
  }
}

/** The path of a run's newest log segment (the one tmux writes), or null when its folder is gone. */
export function newestLogSegment(path: string): string | null {
  try {
    let newest = 0;
    for (const name of readdirSync(dirname(path)))
      newest = Math.max(newest, logSegmentIndex(path, name) ?? -1);
    return logSegmentPath(path, newest);
  } catch {
    return null;
  }
}
