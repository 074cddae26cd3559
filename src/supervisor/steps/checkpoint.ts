import { type TakeCheckpointResult, takeCheckpoint } from '../../checkpoint/index.js';
import { event, type JournalDraft } from '../../core/events.js';
import type { Runtime } from '../runtime.js';

/** What the task info keeps about checkpoints, so the daemon knows when the next one is due. */
export interface CheckpointInfo {
  lastAt: number | null;
  lastCommit: string | null;
  /** The cwd is not in a git work tree: journaled once, none taken. */
  off: boolean;
  /** The tree equals HEAD and there is no checkpoint yet: journaled once (`checkpoint-skipped`). */
  clean: boolean;
}

export function checkpointInfo(info: Record<string, unknown>): CheckpointInfo {
  const c = (info.checkpoint ?? {}) as Partial<CheckpointInfo>;
  return {
    lastAt: c.lastAt ?? null,
    lastCommit: c.lastCommit ?? null,
    off: c.off ?? false,
    clean: c.clean ?? false,
  };
}

/**
 * Snapshots the task's work tree into `refs/holdfast/<task>/checkpoints` and records it: a
 * `checkpoint` journal entry when one was written; a single `checkpoint-skipped` entry while the
 * tree still equals HEAD (a snapshot of it would restore nothing HEAD does not); a single
 * `checkpoints-off` entry the first time the cwd turns out not to be a git work tree.
 */
export async function checkpointTask(
  rt: Runtime,
  taskId: number,
  reason: string,
): Promise<TakeCheckpointResult | null> {
  const task = rt.store.tasks.byId(taskId);
  if (!task) return null;
  const run = task.currentRunId === null ? null : rt.store.runs.byId(task.currentRunId);
  const result = await takeCheckpoint({
    cwd: task.spec.cwd,
    task: task.name,
    run: run?.n ?? 0,
    sessionId: task.sessionId,
    now: rt.now(),
    reason,
    skipClean: true,
  });
  rt.store.tx(() => {
    const now = rt.now();
    const before = checkpointInfo(rt.store.tasks.info(task.id));
    const journal = (entry: JournalDraft) =>
      rt.store.events.record(
        { taskId: task.id, taskName: task.name, runId: run?.id ?? null, at: now },
        entry,
      );
    if (result.status === 'not-a-repo') {
      if (!before.off)
        journal(event('checkpoints-off', { reason: `${task.spec.cwd} is not in a git work tree` }));
      rt.store.tasks.mergeInfo(task.id, { checkpoint: { ...before, lastAt: now, off: true } });
      return;
    }
    if (result.status === 'clean') {
      if (!before.clean) journal(event('checkpoint-skipped', { head: result.head, reason }));
      rt.store.tasks.mergeInfo(task.id, { checkpoint: { ...before, lastAt: now, off: false, clean: true } });
      return;
    }
    if (result.status === 'created') {
      journal(
        event('checkpoint', {
          commit: result.commit,
          id: result.id,
          files: result.files,
          insertions: result.insertions,
          deletions: result.deletions,
          reason,
        }),
      );
    }
    rt.store.tasks.mergeInfo(task.id, {
      checkpoint: { lastAt: now, lastCommit: result.commit, off: false, clean: false },
    });
  });
  return result;
}
