/**
 * What becomes of a `--worktree` task's worktree when the task is removed (`rm`, and any other
 * remover such as `down --rm`): nothing in it may be lost. What is not committed goes into a
 * checkpoint first, whose ref and the branch are then kept; the branch goes only when it holds
 * nothing beyond its base.
 */
import { removeWorktree, takeCheckpoint, worktreeState } from '../checkpoint/index.js';
import { HoldfastError } from '../core/errors.js';
import type { TaskRecord } from '../core/task.js';
import type { Runtime } from './runtime.js';

export interface RetiredWorktree {
  task: string;
  path: string;
  repo: string;
  branch: string;
  base: string;
  /** The directory is gone (removed now, or before by hand). */
  removed: boolean;
  branchDeleted: boolean;
  /** Commits on the branch beyond base, and of those the ones no other branch, tag or remote holds. */
  ahead: number;
  unique: number;
  /**
   * The checkpoint that holds what was not committed, or null when nothing was: the caller must
   * keep the task's checkpoint refs when it is set.
   */
  checkpoint: string | null;
}

/**
 * Checkpoints the worktree's uncommitted work (if any), then removes the worktree. Called before
 * the task itself goes, so a git failure leaves the task (and its worktree) there to retry.
 */
export async function retireWorktree(rt: Runtime, task: TaskRecord): Promise<RetiredWorktree | null> {
  const worktree = task.spec.worktree;
  if (!worktree) return null;
  const state = await worktreeState(worktree);
  let checkpoint: string | null = null;
  if (state.present && state.dirty > 0) {
    const taken = await takeCheckpoint({
      cwd: worktree.path,
      task: task.name,
      run: rt.store.runs.forTask(task.id).at(-1)?.n ?? 0,
      sessionId: task.sessionId,
      now: rt.now(),
      reason: 'removed',
    });
    if (taken.status !== 'created' && taken.status !== 'unchanged') {
      throw new HoldfastError(
        'EGIT',
        `${task.name} not removed: its worktree ${worktree.path} could not be checkpointed`,
        {
          hint: `commit or copy what is there, then: holdfast rm ${task.name}`,
        },
      );
    }
    checkpoint = taken.commit;
  }
  const removed = await removeWorktree(worktree, { keepBranch: checkpoint !== null });
  return {
    task: task.name,
    path: worktree.path,
    repo: worktree.repo,
    branch: worktree.branch,
    base: worktree.base,
    ...removed,
    checkpoint,
  };
}
