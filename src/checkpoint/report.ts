import { HoldfastError } from '../core/errors.js';
import { type DiffSummary, diffTrees } from './diff-stat.js';
import { git, isGitWorkTree, revParse, runGit } from './git.js';
import { snapshotTree } from './snapshot.js';

/** How many status lines a report keeps. */
const STATUS_LINES = 20;

export interface WorkTreeStatus {
  top: string;
  /** The checked-out branch (also on an unborn branch), or null when HEAD is detached. */
  branch: string | null;
  /** The commit HEAD points at, or null on an unborn branch. */
  head: string | null;
  /** Paths with changes in the index. */
  staged: number;
  /** Tracked paths whose working file differs from the index. */
  modified: number;
  /** Untracked paths that are not ignored (a new directory counts once). */
  untracked: number;
  /** Paths with merge conflicts. */
  conflicted: number;
  /** The first lines of `git status --porcelain=v1`. */
  lines: string[];
  /** How many lines `git status --porcelain=v1` printed in all. */
  total: number;
}

const CONFLICT_CODES = new Set(['DD', 'AU', 'UD', 'UA', 'DU', 'AA', 'UU']);

/**
 * A summary of `git status` for a recovery report, or null outside a git work tree. Reads only:
 * the index's stat data is not refreshed on disk (`GIT_OPTIONAL_LOCKS=0`).
 */
export async function workTreeStatus(cwd: string): Promise<WorkTreeStatus | null> {
  const workTree = await isGitWorkTree(cwd);
  if (workTree === null) return null;
  const { top } = workTree;
  const out = await git(
    'cannot read the work tree status',
    ['status', '--porcelain=v1', '--untracked-files=normal'],
    { cwd: top },
  );
  const all = out.split('\n').filter((line) => line !== '');
  const counts = { staged: 0, modified: 0, untracked: 0, conflicted: 0 };
  for (const line of all) {
    const code = line.slice(0, 2);
    if (code === '??') counts.untracked++;
    else if (CONFLICT_CODES.has(code)) counts.conflicted++;
    else {
      if (code[0] !== ' ') counts.staged++;
      if (code[1] !== ' ') counts.modified++;
    }
  }
  const symbolic = await runGit(['symbolic-ref', '-q', '--short', 'HEAD'], { cwd: top });
  return {
    top,
    branch: symbolic.code === 0 ? symbolic.stdout.trim() : null,
    head: await revParse(top, 'HEAD^{commit}'),
    ...counts,
    lines: all.slice(0, STATUS_LINES),
    total: all.length,
  };
}

export interface DiffSinceCheckpoint extends DiffSummary {
  /** The checkpoint commit compared against. */
  commit: string;
}

/**
 * What changed in the whole work tree (untracked files included, ignored ones not) since the
 * checkpoint `commit` was taken; null outside a git work tree. Nothing of the user's is touched.
 */
export async function diffSinceCheckpoint(cwd: string, commit: string): Promise<DiffSinceCheckpoint | null> {
  const workTree = await isGitWorkTree(cwd);
  if (workTree === null) return null;
  const { top } = workTree;
  const resolved = await revParse(top, `${commit}^{commit}`);
  if (resolved === null) throw new HoldfastError('EGIT', `no commit ${JSON.stringify(commit)} in ${top}`);
  const current = await snapshotTree(top);
  return { commit: resolved, ...(await diffTrees(top, `${resolved}^{tree}`, current)) };
}
