import { HoldfastError } from '../core/errors.js';
import { validateTaskName } from '../core/names.js';
import { diffTrees } from './diff-stat.js';
import { git, HOLDFAST_IDENTITY, isGitWorkTree, revParse, runGit, stderrTail } from './git.js';
import { formatCheckpointMessage, parseCheckpointMessage } from './message.js';
import { headTreeOrEmpty, snapshotTree } from './snapshot.js';

/** Length of the ids `listCheckpoints` prints and `resolveCheckpoint` accepts. */
export const CHECKPOINT_ID_LENGTH = 12;

/** A racing checkpointer moved the ref this many times in a row: give up. */
const MAX_ATTEMPTS = 5;

/** The ref holding a task's checkpoint chain. It is outside refs/heads, so no branch ever shows it. */
export function checkpointRef(task: string): string {
  return `refs/holdfast/${validateTaskName(task)}/checkpoints`;
}

export interface Checkpoint {
  /** The commit id shortened to 12 characters, as listings show it. */
  id: string;
  commit: string;
  tree: string;
  /** The previous checkpoint, or null for the first. */
  parent: string | null;
  task: string;
  run: number | null;
  sessionId: string | null;
  reason: string | null;
  /** When it was taken (ISO 8601). */
  at: string;
  /** Change against the previous checkpoint (the first: against HEAD when it was taken). */
  files: number;
  insertions: number;
  deletions: number;
  message: string;
}

export interface TakeCheckpointInput {
  /** Any directory inside the work tree; the whole tree is snapshotted from its top. */
  cwd: string;
  task: string;
  run: number;
  sessionId?: string | null;
  now: Date | number;
  reason?: string;
  /**
   * With no checkpoint yet, a tree equal to HEAD's holds nothing HEAD does not: write none
   * (status `clean`). Off by default, for callers that need a base commit to diff against.
   */
  skipClean?: boolean;
}

export type TakeCheckpointResult =
  | {
      status: 'created';
      id: string;
      commit: string;
      tree: string;
      parent: string | null;
      files: number;
      insertions: number;
      deletions: number;
    }
  /** The work tree equals the latest checkpoint: no commit written; `commit` is that checkpoint. */
  | { status: 'unchanged'; id: string; commit: string }
  /** `skipClean` and the tree equals HEAD's (`head`: null on an unborn branch): no commit written. */
  | { status: 'clean'; head: string | null }
  | { status: 'not-a-repo' };

/**
 * Snapshots the whole work tree as a commit on `refs/holdfast/<task>/checkpoints`, whose parent
 * is the previous checkpoint. HEAD, branches, the index, the stash and working files are left
 * exactly as they were. The ref moves by compare-and-swap, so two racing checkpointers each
 * land a commit (the later one on top of the other) or find nothing changed.
 */
export async function takeCheckpoint(input: TakeCheckpointInput): Promise<TakeCheckpointResult> {
  const ref = checkpointRef(input.task);
  const workTree = await isGitWorkTree(input.cwd);
  if (workTree === null) return { status: 'not-a-repo' };
  const { top } = workTree;
  const tree = await snapshotTree(top);
  const epochMs = input.now instanceof Date ? input.now.getTime() : input.now;
  const date = `@${Math.floor(epochMs / 1000)} +0000`;

  for (let attempt = 1; ; attempt++) {
    const parent = await revParse(top, `${ref}^{commit}`);
    const parentTree = parent === null ? null : await revParse(top, `${parent}^{tree}`);
    if (parent !== null && parentTree === tree) {
      return { status: 'unchanged', id: shortId(parent), commit: parent };
    }
    const baseTree = parentTree ?? (await headTreeOrEmpty(top));
    if (parent === null && input.skipClean && baseTree === tree) {
      return { status: 'clean', head: await revParse(top, 'HEAD^{commit}') };
    }
    const stat = await diffTrees(top, baseTree, tree);
    const message = formatCheckpointMessage({
      task: input.task,
      run: input.run,
      sessionId: input.sessionId ?? null,
      at: new Date(epochMs).toISOString(),
      reason: input.reason ?? null,
      files: stat.files,
      insertions: stat.insertions,
      deletions: stat.deletions,
    });
    const commit = (
      await git(
        'cannot write the checkpoint commit',
        ['commit-tree', '--no-gpg-sign', tree, ...(parent === null ? [] : ['-p', parent]), '-F', '-'],
        {
          cwd: top,
          input: message,
          env: { ...HOLDFAST_IDENTITY, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
        },
      )
    ).trim();
    // An empty old value means "must not exist yet".
    const update = await runGit(
      ['update-ref', '-m', `holdfast checkpoint ${input.task}`, ref, commit, parent ?? ''],
      { cwd: top },
    );
    if (update.code === 0) {
      return { status: 'created', id: shortId(commit), commit, tree, parent, ...pickStat(stat) };
    }
    const now = await revParse(top, `${ref}^{commit}`);
    if (now === parent || attempt >= MAX_ATTEMPTS) {
      throw new HoldfastError(
        'EGIT',
        `cannot move ${ref} to the new checkpoint: ${stderrTail(update.stderr)}`,
      );
    }
  }
}

/** The task's checkpoints, newest first; empty outside a git work tree or before the first. */
export async function listCheckpoints(
  cwd: string,
  task: string,
  options: { limit?: number } = {},
): Promise<Checkpoint[]> {
  const ref = checkpointRef(task);
  const workTree = await isGitWorkTree(cwd);
  if (workTree === null) return [];
  const head = await revParse(workTree.top, `${ref}^{commit}`);
  if (head === null) return [];
  const out = await git(
    `cannot read the checkpoints of ${task}`,
    [
      'log',
      '--first-parent',
      '--no-color',
      '--encoding=UTF-8',
      '--format=%x1e%H%x1f%T%x1f%P%x1f%cI%x1f%B',
      ...(options.limit === undefined ? [] : [`--max-count=${Math.max(0, Math.floor(options.limit))}`]),
      head,
      '--',
    ],
    { cwd: workTree.top },
  );
  return out
    .split('\x1e')
    .filter((record) => record.trim() !== '')
    .map((record) => parseLogRecord(record, task));
}

function parseLogRecord(record: string, task: string): Checkpoint {
  const [commit = '', tree = '', parents = '', committed = '', ...rest] = record.split('\x1f');
  const message = rest.join('\x1f').replace(/\n+$/, '');
  const meta = parseCheckpointMessage(message, { task, at: new Date(committed).toISOString() });
  return {
    id: shortId(commit),
    commit,
    tree,
    parent: parents.trim().split(' ')[0] || null,
    task: meta.task,
    run: meta.run,
    sessionId: meta.sessionId,
    reason: meta.reason,
    at: meta.at,
    files: meta.files,
    insertions: meta.insertions,
    deletions: meta.deletions,
    message,
  };
}

/**
 * Finds one of the task's checkpoints by what a user types:
 * - `latest`: the newest;
 * - `~N` or `latest~N`: N steps back from the newest (`~0` is the newest, `~1` the one before);
 * - `N` with one to three digits: the N-th in the listing, counting from 1 (`1` is the newest);
 * - four or more hex digits: the checkpoint whose commit id starts with them (the 12-character
 *   ids `listCheckpoints` gives, or a full id). Only this task's chain is searched.
 * An unknown, ambiguous or malformed reference is `HoldfastError('EUSAGE')`.
 */
export async function resolveCheckpoint(cwd: string, task: string, ref: string): Promise<Checkpoint> {
  const workTree = await isGitWorkTree(cwd);
  if (workTree === null) throw new HoldfastError('EGIT', `${cwd} is not inside a git work tree`);
  const all = await listCheckpoints(workTree.top, task);
  const wanted = ref.trim().toLowerCase();
  const hint = `use latest, ~N, or an id from the task's checkpoint list`;
  if (all.length === 0) {
    throw new HoldfastError('EUSAGE', `task ${task} has no checkpoints in ${workTree.top}`);
  }
  const back = /^(?:latest)?~(\d+)$/.exec(wanted);
  const position = /^\d{1,3}$/.test(wanted) ? Number(wanted) - 1 : null;
  const index = wanted === 'latest' ? 0 : back ? Number(back[1]) : position;
  if (index !== null) {
    const found = index >= 0 ? all[index] : undefined;
    if (!found) {
      throw new HoldfastError(
        'EUSAGE',
        `task ${task} has ${all.length} checkpoint${all.length === 1 ? '' : 's'}: ${ref} is out of range`,
        { hint },
      );
    }
    return found;
  }
  if (!/^[0-9a-f]{4,64}$/.test(wanted)) {
    throw new HoldfastError('EUSAGE', `not a checkpoint reference: ${JSON.stringify(ref)}`, { hint });
  }
  const matches = all.filter((checkpoint) => checkpoint.commit.startsWith(wanted));
  if (matches.length === 1) return matches[0]!;
  throw new HoldfastError(
    'EUSAGE',
    matches.length === 0
      ? `task ${task} has no checkpoint ${ref}`
      : `${ref} matches ${matches.length} checkpoints of task ${task}: give more digits`,
    { hint },
  );
}

function shortId(commit: string): string {
  return commit.slice(0, CHECKPOINT_ID_LENGTH);
}

function pickStat(stat: { files: number; insertions: number; deletions: number }) {
  return { files: stat.files, insertions: stat.insertions, deletions: stat.deletions };
}
