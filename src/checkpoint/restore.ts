import { readdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { HoldfastError } from '../core/errors.js';
import { type Checkpoint, resolveCheckpoint } from './checkpoint.js';
import { git, isGitWorkTree, revParse, runGit } from './git.js';

export interface RestoreInput {
  cwd: string;
  task: string;
  /** Anything `resolveCheckpoint` accepts: `latest`, `~N`, `N`, an id. */
  checkpoint: string;
  /** A branch to create at the checkpoint; it must not exist yet. */
  branch?: string;
  /** A directory (relative to `cwd`) for a new worktree; it must not exist or be empty. */
  worktree?: string;
}

export type RestoreResult =
  | { kind: 'branch'; branch: string; commit: string; checkpoint: Checkpoint }
  | { kind: 'worktree'; path: string; branch: string | null; commit: string; checkpoint: Checkpoint };

/**
 * Makes a checkpoint reachable as something new, never by changing what exists: with `branch`,
 * a new branch at the checkpoint; with `worktree`, a new worktree checked out there (detached,
 * or on the new `branch` when both are given). The user's HEAD, branch, index and files stay
 * as they are; an existing branch or a non-empty directory is refused (`EDUPLICATE`).
 */
export async function restoreCheckpoint(input: RestoreInput): Promise<RestoreResult> {
  if (input.branch === undefined && input.worktree === undefined) {
    throw new HoldfastError(
      'EUSAGE',
      'restoring a checkpoint needs a new branch name or a worktree directory',
    );
  }
  const workTree = await isGitWorkTree(input.cwd);
  if (workTree === null) throw new HoldfastError('EGIT', `${input.cwd} is not inside a git work tree`);
  const { top } = workTree;
  const checkpoint = await resolveCheckpoint(top, input.task, input.checkpoint);
  const { commit } = checkpoint;
  if (input.branch !== undefined) await checkNewBranch(top, input.branch);

  if (input.worktree === undefined) {
    const branch = input.branch!;
    await git(`cannot create branch ${branch}`, ['branch', '--no-track', branch, commit], { cwd: top });
    return { kind: 'branch', branch, commit, checkpoint };
  }
  const path = resolve(input.cwd, input.worktree);
  await checkFreeDirectory(path);
  const target = input.branch === undefined ? ['--detach'] : ['--no-track', '-b', input.branch];
  await git(`cannot add a worktree at ${path}`, ['worktree', 'add', ...target, path, commit], { cwd: top });
  return { kind: 'worktree', path, branch: input.branch ?? null, commit, checkpoint };
}

async function checkNewBranch(top: string, branch: string): Promise<void> {
  const valid =
    !branch.startsWith('-') &&
    (await runGit(['check-ref-format', `refs/heads/${branch}`], { cwd: top })).code === 0;
  if (!valid) throw new HoldfastError('EUSAGE', `not a valid branch name: ${JSON.stringify(branch)}`);
  if ((await revParse(top, `refs/heads/${branch}`)) !== null) {
    throw new HoldfastError('EDUPLICATE', `branch ${branch} already exists`, {
      hint: 'choose a new branch name: a restore never moves an existing branch',
    });
  }
}

async function checkFreeDirectory(path: string): Promise<void> {
  const existing = await stat(path).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (existing === null) return;
  if (!existing.isDirectory() || (await readdir(path)).length > 0) {
    throw new HoldfastError('EDUPLICATE', `${path} already exists and is not an empty directory`, {
      hint: 'choose a new directory: a restore never writes over existing files',
    });
  }
}
