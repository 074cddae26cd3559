/**
 * Git snapshots of a work tree into `refs/holdfast/<task>/checkpoints`, never touching HEAD,
 * branches, the index, the stash or a working file.
 */
export {
  CHECKPOINT_ID_LENGTH,
  type Checkpoint,
  checkpointRef,
  listCheckpoints,
  resolveCheckpoint,
  type TakeCheckpointInput,
  type TakeCheckpointResult,
  takeCheckpoint,
} from './checkpoint.js';
export type { DiffEntry, DiffStat, DiffSummary } from './diff-stat.js';
export { isGitWorkTree, type WorkTree } from './git.js';
export { deleteCheckpointRefs, findCheckpointRefs, type TaskCheckpointRefs } from './remove.js';
export {
  type DiffSinceCheckpoint,
  diffSinceCheckpoint,
  type WorkTreeStatus,
  workTreeStatus,
} from './report.js';
export { type RestoreInput, type RestoreResult, restoreCheckpoint } from './restore.js';
export {
  type CreatedWorktree,
  createWorktree,
  defaultBranch,
  discardWorktree,
  type RemoveWorktreeResult,
  removeWorktree,
  WORKTREE_INCLUDE,
  type WorktreeDiff,
  type WorktreeState,
  worktreeDiff,
  worktreeProblem,
  worktreeState,
} from './worktree.js';
