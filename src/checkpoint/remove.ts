import { validateTaskName } from '../core/names.js';
import { git, isGitWorkTree } from './git.js';

/** What a task keeps in a repository: every ref under `refs/holdfast/<task>/`. */
export interface TaskCheckpointRefs {
  /** The work tree's top directory. */
  top: string;
  /** `refs/holdfast/<task>/`: the namespace the refs live in. */
  prefix: string;
  refs: { name: string; commit: string }[];
  /** Checkpoint commits reachable from those refs. */
  checkpoints: number;
}

/** The task's refs in the repository of `cwd`; null outside a git work tree or when it has none. */
export async function findCheckpointRefs(cwd: string, task: string): Promise<TaskCheckpointRefs | null> {
  const workTree = await isGitWorkTree(cwd);
  if (workTree === null) return null;
  const { top } = workTree;
  const prefix = `refs/holdfast/${validateTaskName(task)}/`;
  const out = await git(
    `cannot list the checkpoint refs of ${task}`,
    ['for-each-ref', '--format=%(refname)%00%(objectname)', prefix],
    { cwd: top },
  );
  const refs = out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [name = '', commit = ''] = line.split('\0');
      return { name, commit };
    });
  if (refs.length === 0) return null;
  const count = await git(
    `cannot count the checkpoints of ${task}`,
    ['rev-list', '--count', ...refs.map((r) => r.commit), '--'],
    { cwd: top },
  );
  return { top, prefix, refs, checkpoints: Number(count.trim()) };
}

/**
 * Deletes the refs `findCheckpointRefs` found, all or none (one `update-ref --stdin` transaction,
 * each checked against the commit it was found at). The commits become unreachable and go with
 * git's next garbage collection.
 */
export async function deleteCheckpointRefs(found: TaskCheckpointRefs): Promise<void> {
  await git(`cannot delete ${found.prefix}… in ${found.top}`, ['update-ref', '--stdin', '-z'], {
    cwd: found.top,
    input: found.refs.map((r) => `delete ${r.name}\0${r.commit}\0`).join(''),
  });
}
