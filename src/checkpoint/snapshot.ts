import { copyFile, mkdtemp, rm, stat, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HoldfastError } from '../core/errors.js';
import { absoluteFrom, git, revParse } from './git.js';

/**
 * Writes the whole work tree at `top` (tracked changes and untracked files that are not ignored)
 * as a tree object and returns its id, without touching the user's index, HEAD or any file.
 *
 * The snapshot is built in a temporary index (`GIT_INDEX_FILE`): a copy of the user's index, so
 * `git add -A` only hashes files whose stat data changed and sparse-checkout entries stay as
 * they are, or `HEAD`'s tree when there is no index yet, or nothing on an unborn branch. Then
 * `git add -A` applies ignore rules exactly as for a commit, and `write-tree` stores the tree.
 */
export async function snapshotTree(top: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'holdfast-index-'));
  const index = join(dir, 'index');
  const env = { GIT_INDEX_FILE: index };
  try {
    const realIndex = absoluteFrom(
      top,
      (await git('cannot locate the index', ['rev-parse', '--git-path', 'index'], { cwd: top })).trim(),
    );
    if (!(await copyIndex(realIndex, index)) && (await revParse(top, 'HEAD^{tree}')) !== null) {
      await git('cannot read HEAD into a temporary index', ['read-tree', 'HEAD'], { cwd: top, env });
    }
    await git('cannot add the work tree to a temporary index', ['add', '-A'], { cwd: top, env });
    return (await git('cannot write the snapshot tree', ['write-tree'], { cwd: top, env })).trim();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Copies the user's index to `to`, dated a second before the original: git re-reads an entry
 * whose file is not older than the index itself ("racily clean"), and a copy dated now would
 * let a file changed in the same second as the last index write pass as unchanged.
 * False when the repository has no index file.
 */
async function copyIndex(from: string, to: string): Promise<boolean> {
  try {
    const original = await stat(from);
    await copyFile(from, to);
    await utimes(to, original.atime, new Date(Math.floor(original.mtimeMs) - 1000));
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw new HoldfastError('EGIT', `cannot copy the index ${from}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** The id of the empty tree in this repository's hash. */
export async function emptyTree(top: string): Promise<string> {
  return (
    await git('cannot write the empty tree', ['hash-object', '-t', 'tree', '-w', '--stdin'], {
      cwd: top,
      input: '',
    })
  ).trim();
}

/** The tree of HEAD, or the empty tree on an unborn branch. */
export async function headTreeOrEmpty(top: string): Promise<string> {
  return (await revParse(top, 'HEAD^{tree}')) ?? (await emptyTree(top));
}
