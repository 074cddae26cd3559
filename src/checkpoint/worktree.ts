/**
 * A task's own git worktree (`run --worktree`): made on a new branch from the user's HEAD, checked
 * before each launch, described for `recover` and `status`, compared with its base for `holdfast
 * diff`, and removed by `rm` only when nothing in it would be lost. The user's own work tree, index
 * and branch are never touched: `git worktree add` writes only the new directory, its admin folder
 * under `<git-common-dir>/worktrees/` and the new branch.
 */
import { constants } from 'node:fs';
import { chmod, copyFile, lstat, mkdir, readlink, realpath, stat, symlink } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { HoldfastError } from '../core/errors.js';
import type { WorktreeSpec } from '../core/task.js';
import { type DiffSummary, diffTrees } from './diff-stat.js';
import { absoluteFrom, git, isGitWorkTree, revParse, runGit, stderrTail } from './git.js';
import { snapshotTree } from './snapshot.js';

/** The file at the repository's top whose gitignore-like lines name untracked files to copy in. */
export const WORKTREE_INCLUDE = '.worktreeinclude';

export interface CreateWorktreeInput {
  /** The cwd the user gave (inside their work tree). */
  cwd: string;
  task: string;
  /** The branch to make; null = `holdfast/<task>`. */
  branch: string | null;
  /** Where worktrees go (relative: to the repository's top); null = `<git-common-dir>/holdfast-worktrees`. */
  root?: string | null;
  /** The task's umask (octal, as its spec keeps it): the checkout and copies are the user's files. */
  umask: string;
}

export interface CreatedWorktree {
  worktree: WorktreeSpec;
  /** The task's cwd: the user's cwd, moved to the same place inside the worktree. */
  cwd: string;
  /** Files `.worktreeinclude` copied in (relative to the top), and those it skipped with why. */
  copied: string[];
  skipped: { path: string; why: string }[];
}

export function defaultBranch(task: string): string {
  return `holdfast/${task}`;
}

/**
 * Makes the task's worktree on a new branch from HEAD and copies `.worktreeinclude`'s files in.
 * Refuses, with nothing made, a cwd outside a git work tree, an unborn HEAD, a bad or existing
 * branch and an existing path; a failure after `git worktree add` removes what it made.
 */
export async function createWorktree(input: CreateWorktreeInput): Promise<CreatedWorktree> {
  const workTree = await isGitWorkTree(input.cwd);
  if (workTree === null) {
    throw new HoldfastError('EUSAGE', `--worktree: ${input.cwd} is not in a git work tree`, {
      hint: 'run it from inside a git repository (or pass --cwd), or leave out --worktree',
    });
  }
  const repo = workTree.top;
  const branch = input.branch ?? defaultBranch(input.task);
  const format = await runGit(['check-ref-format', '--branch', branch], { cwd: repo });
  if (format.code !== 0 || branch.startsWith('-')) {
    throw new HoldfastError('EUSAGE', `--worktree: ${JSON.stringify(branch)} is not a valid branch name`, {
      hint: 'give a branch name git accepts: git check-ref-format --branch <name>',
    });
  }
  const base = await revParse(repo, 'HEAD^{commit}');
  if (base === null) {
    throw new HoldfastError('EWORKTREE', `--worktree: ${repo} has no commit yet to branch from`, {
      hint: 'make a first commit, then run the task again',
    });
  }
  if ((await revParse(repo, `refs/heads/${branch}`)) !== null) {
    throw new HoldfastError('EWORKTREE', `--worktree: branch ${branch} already exists in ${repo}`, {
      hint: `name another branch (--worktree <branch>) or another task (--name), or delete it: git branch -D ${branch}`,
    });
  }
  const root = input.root ? resolve(repo, input.root) : join(await commonDir(repo), 'holdfast-worktrees');
  const path = resolve(root, input.task);
  if (await exists(path)) {
    throw new HoldfastError('EWORKTREE', `--worktree: ${path} already exists`, {
      hint: `remove it if nothing there is needed (git worktree remove ${path}), or name the task otherwise (--name)`,
    });
  }
  // The same place inside the worktree as the user's cwd in their tree (symlinks resolved as git does).
  const sub = relative(repo, await realpath(input.cwd));
  const worktree: WorktreeSpec = { branch, repo, path, base, sourceCwd: input.cwd };
  const dirMode = 0o777 & ~Number.parseInt(input.umask, 8);
  await makeDirs(root, dirMode);
  await git(
    `--worktree: cannot create ${path}`,
    ['worktree', 'add', '--quiet', '--no-track', '-b', branch, path, base],
    { cwd: repo, umask: input.umask },
  );
  try {
    const cwd = sub === '' ? path : join(path, sub);
    // An untracked directory of the user's is not in the checkout: the task still starts there.
    await makeDirs(cwd, dirMode);
    const { copied, skipped } = await copyIncluded(repo, path, dirMode);
    return { worktree, cwd, copied, skipped };
  } catch (error) {
    await discardWorktree(worktree);
    throw error;
  }
}

/** Removes a worktree this process just made, and its branch: used when creating the task fails. */
export async function discardWorktree(worktree: WorktreeSpec): Promise<void> {
  await runGit(['worktree', 'remove', '--force', '--force', worktree.path], { cwd: worktree.repo });
  await runGit(['worktree', 'prune'], { cwd: worktree.repo });
  const tip = await revParse(worktree.repo, `refs/heads/${worktree.branch}`);
  // Only a branch still at its base: one that moved holds someone's commits.
  if (tip === worktree.base) {
    await runGit(['update-ref', '-d', `refs/heads/${worktree.branch}`, worktree.base], {
      cwd: worktree.repo,
    });
  }
}

async function commonDir(repo: string): Promise<string> {
  const out = await git('cannot locate the git directory', ['rev-parse', '--git-common-dir'], { cwd: repo });
  return absoluteFrom(repo, out.trim());
}

/**
 * Copies into the worktree the untracked files (ignored ones included, as `.env` is) that match
 * `.worktreeinclude`'s lines, read with gitignore's rules by git itself. A link is copied as a link
 * only when it points inside the repository; one pointing out of it, a file whose place in the
 * worktree is taken, and anything that is not a regular file are skipped.
 */
async function copyIncluded(
  repo: string,
  path: string,
  dirMode: number,
): Promise<{ copied: string[]; skipped: { path: string; why: string }[] }> {
  const copied: string[] = [];
  const skipped: { path: string; why: string }[] = [];
  const list = join(repo, WORKTREE_INCLUDE);
  const info = await lstat(list).catch(() => null);
  if (info === null) return { copied, skipped };
  if (!info.isFile()) {
    skipped.push({ path: WORKTREE_INCLUDE, why: 'not a regular file' });
    return { copied, skipped };
  }
  const out = await git(
    `cannot read ${list}`,
    ['ls-files', '-z', '--others', '--ignored', `--exclude-from=${list}`],
    { cwd: repo },
  );
  const realRepo = await realpath(repo);
  for (const file of out.split('\0')) {
    // A nested repository is listed as its directory: not copied.
    if (file === '' || file.endsWith('/')) continue;
    const from = join(repo, file);
    const to = join(path, file);
    const why = await copyOne(from, to, realRepo, dirMode);
    if (why === null) copied.push(file);
    else skipped.push({ path: file, why });
  }
  return { copied, skipped };
}

/** Copies one file or link; returns why it was skipped, or null once copied. */
async function copyOne(from: string, to: string, realRepo: string, dirMode: number): Promise<string | null> {
  const info = await lstat(from).catch(() => null);
  if (info === null) return 'gone';
  if (await exists(to)) return 'already in the worktree';
  await makeDirs(dirname(to), dirMode);
  if (info.isSymbolicLink()) {
    const target = await realpath(from).catch(() => null);
    if (target === null) return 'a dangling link';
    if (!inside(realRepo, target)) return 'a link out of the repository';
    await symlink(await readlink(from), to);
    return null;
  }
  if (!info.isFile()) return 'not a regular file';
  await copyFile(from, to, constants.COPYFILE_EXCL);
  await chmod(to, info.mode & 0o7777);
  return null;
}

/** `mkdir -p`, each directory it made given `mode` (holdfast's own umask, 077, would narrow it). */
async function makeDirs(dir: string, mode: number): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  for (let made = dir; ; made = dirname(made)) {
    await chmod(made, mode);
    if (made === first || made === dirname(made)) break;
  }
}

function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

async function exists(path: string): Promise<boolean> {
  return (await lstat(path).catch(() => null)) !== null;
}

/**
 * Why the task cannot be launched in its worktree, or null when it can: the directory is there and
 * is still that repository's worktree (not moved, not removed, not replaced by something else).
 */
export async function worktreeProblem(worktree: WorktreeSpec, cwd: string): Promise<string | null> {
  const info = await stat(worktree.path).catch(() => null);
  if (info === null || !info.isDirectory()) {
    return `its worktree ${worktree.path} is missing (moved or removed?)`;
  }
  const here = await runGit(['rev-parse', '--show-toplevel', '--git-common-dir'], { cwd: worktree.path });
  const [top, common] = here.stdout.split('\n');
  const expected = await realpath(worktree.path);
  if (here.code !== 0 || top === undefined || (await realpath(top).catch(() => '')) !== expected) {
    return `${worktree.path} is no longer a git worktree (${here.code !== 0 ? stderrTail(here.stderr) : `its top is ${top}`})`;
  }
  const ours = await realpath(await commonDir(worktree.repo)).catch(() => null);
  const theirs = await realpath(absoluteFrom(worktree.path, common ?? '')).catch(() => null);
  if (ours === null || ours !== theirs) {
    return `${worktree.path} is no longer a worktree of ${worktree.repo}`;
  }
  if ((await stat(cwd).catch(() => null))?.isDirectory() !== true) {
    return `its directory ${cwd} is missing from the worktree ${worktree.path}`;
  }
  return null;
}

export interface WorktreeState {
  branch: string;
  path: string;
  base: string;
  /** Whether the worktree directory is there and still a worktree. */
  present: boolean;
  /** The branch's commit, or null when the branch is gone. */
  head: string | null;
  /** Commits on the branch since `base`. */
  ahead: number;
  /** Of those, commits no other branch, tag or remote ref holds (lost if the branch went). */
  unique: number;
  /** Changed paths in the worktree not committed (staged, modified, untracked), 0 when absent. */
  dirty: number;
}

/** What the task's branch and worktree hold now. Reads only. */
export async function worktreeState(worktree: WorktreeSpec): Promise<WorktreeState> {
  const present = (await worktreeProblem(worktree, worktree.path)) === null;
  const head = await revParse(worktree.repo, `refs/heads/${worktree.branch}`);
  let ahead = 0;
  let unique = 0;
  if (head !== null) {
    ahead = await countCommits(worktree.repo, [`${worktree.base}..${head}`]);
    unique =
      ahead === 0
        ? 0
        : await countCommits(worktree.repo, [
            head,
            `^${worktree.base}`,
            '--not',
            // Relative to refs/heads/, as --branches matches; it applies to --branches only.
            `--exclude=${worktree.branch}`,
            '--branches',
            '--tags',
            '--remotes',
          ]);
  }
  let dirty = 0;
  if (present) {
    const out = await git(
      `cannot read the status of ${worktree.path}`,
      ['status', '--porcelain=v1', '--untracked-files=normal'],
      { cwd: worktree.path },
    );
    dirty = out.split('\n').filter((line) => line !== '').length;
  }
  return {
    branch: worktree.branch,
    path: worktree.path,
    base: worktree.base,
    present,
    head,
    ahead,
    unique,
    dirty,
  };
}

async function countCommits(repo: string, args: string[]): Promise<number> {
  const out = await git('cannot count commits', ['rev-list', '--count', ...args, '--'], { cwd: repo });
  return Number(out.trim());
}

export interface WorktreeDiff extends DiffSummary {
  base: string;
  /** The tree compared with `base`: the worktree as it is now, untracked files included. */
  tree: string;
  /** The unified diff (`git diff <base> <tree>`); empty when only the stat was asked for. */
  patch: string;
}

/**
 * What the task changed against the commit it started from: its commits and what is not committed,
 * untracked files included (ignored ones not). Read through a temporary index, so the worktree's
 * own index is left as it is.
 */
export async function worktreeDiff(
  worktree: WorktreeSpec,
  options: { patch: boolean },
): Promise<WorktreeDiff> {
  const problem = await worktreeProblem(worktree, worktree.path);
  if (problem !== null) throw new HoldfastError('EWORKTREE', `cannot diff: ${problem}`);
  const tree = await snapshotTree(worktree.path);
  const stat = await diffTrees(worktree.path, `${worktree.base}^{tree}`, tree);
  const patch = options.patch
    ? await git(
        'cannot diff the worktree',
        ['diff', '--no-color', '--no-ext-diff', '--no-renames', worktree.base, tree, '--'],
        { cwd: worktree.path },
      )
    : '';
  return { base: worktree.base, tree, patch, ...stat };
}

export interface RemoveWorktreeResult {
  /** The directory was removed (or was already gone). */
  removed: boolean;
  /** The branch was deleted (it held nothing beyond its base). */
  branchDeleted: boolean;
  /** Commits on the kept branch beyond base, and how many of them no other ref holds. */
  ahead: number;
  unique: number;
}

/**
 * Removes the task's worktree directory, which the caller has made safe to lose (a checkpoint holds
 * what was not committed), and its branch only when the branch has no commits beyond `base` and
 * the caller does not keep it (`keepBranch`: it marks where a checkpoint's work began).
 */
export async function removeWorktree(
  worktree: WorktreeSpec,
  options: { keepBranch: boolean },
): Promise<RemoveWorktreeResult> {
  const state = await worktreeState(worktree);
  if (state.present) {
    await git(
      `cannot remove the worktree ${worktree.path}`,
      ['worktree', 'remove', '--force', worktree.path],
      { cwd: worktree.repo },
    );
  }
  // A directory the user removed by hand leaves git's record of it: dropped too.
  await runGit(['worktree', 'prune'], { cwd: worktree.repo });
  let branchDeleted = false;
  if (state.head !== null && state.ahead === 0 && !options.keepBranch) {
    const deleted = await runGit(['update-ref', '-d', `refs/heads/${worktree.branch}`, state.head], {
      cwd: worktree.repo,
    });
    branchDeleted = deleted.code === 0;
  }
  return { removed: true, branchDeleted, ahead: state.ahead, unique: state.unique };
}
