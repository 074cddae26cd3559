import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { HoldfastError } from '../core/errors.js';
import {
  checkpointRef,
  isGitWorkTree,
  listCheckpoints,
  resolveCheckpoint,
  type TakeCheckpointResult,
  takeCheckpoint,
} from './index.js';
import {
  isolateGit,
  makeDir,
  makeRepo,
  removeAll,
  repoAt,
  type TestRepo,
  treePaths,
  userState,
} from './test-repo.js';

beforeAll(isolateGit);
afterEach(removeAll);

const NOW = Date.parse('2025-03-04T05:06:07.000Z');
const TASK = 'refactor';
const REF = 'refs/holdfast/refactor/checkpoints';

const numbered = (count: number, edits: Record<number, string> = {}): string =>
  `${Array.from({ length: count }, (_, i) => edits[i + 1] ?? `line ${i + 1}`).join('\n')}\n`;

function take(
  cwd: string,
  extra: { run?: number; now?: number; sessionId?: string | null; reason?: string } = {},
) {
  return takeCheckpoint({
    cwd,
    task: TASK,
    run: extra.run ?? 1,
    sessionId: extra.sessionId === undefined ? 'sess-1' : extra.sessionId,
    now: extra.now ?? NOW,
    reason: extra.reason,
  });
}

function created(result: TakeCheckpointResult) {
  if (result.status !== 'created')
    throw new Error(`expected a new checkpoint, got ${JSON.stringify(result)}`);
  return result;
}

/**
 * A repository in the middle of someone's work: a stash, a partially staged file (line 2
 * staged, line 9 only in the work tree), a staged new file, a staged deletion, an untracked
 * file, ignored files, and a tracked file whose stat data no longer matches the index (a plain
 * `git status` would rewrite the index to refresh it).
 */
function busyRepo(): TestRepo {
  const repo = makeRepo();
  repo.write('.gitignore', 'build/\n*.log\n');
  repo.write('notes.txt', numbered(10));
  repo.write('gone.txt', 'to be deleted\n');
  repo.write('src/app.ts', 'export const a = 1;\n');
  repo.commitAll('initial');

  repo.write('src/app.ts', 'export const a = 2;\n');
  repo.git(['stash', 'push', '-q', '-m', 'user stash']);

  repo.write('notes.txt', numbered(10, { 2: 'line 2 staged' }));
  repo.git(['add', 'notes.txt']);
  repo.write('notes.txt', numbered(10, { 2: 'line 2 staged', 9: 'line 9 unstaged' }));
  repo.write('staged-new.txt', 'new and staged\n');
  repo.git(['add', 'staged-new.txt']);
  repo.git(['rm', '-q', 'gone.txt']);
  repo.write('untracked.txt', 'not yet added\n');
  repo.write('build/out.bin', Buffer.from([0, 1, 2, 3, 255]));
  repo.write('debug.log', 'noise\n');
  utimesSync(join(repo.dir, 'src/app.ts'), new Date(NOW), new Date(NOW));
  return repo;
}

describe('takeCheckpoint', () => {
  test('leaves the index bytes, HEAD, branch, stash, staged and unstaged diffs and working files exactly as they were', async () => {
    const repo = busyRepo();
    const before = userState(repo);
    expect(before.staged).toContain('+line 2 staged');
    expect(before.staged).not.toContain('line 9 unstaged');
    expect(before.stash).toContain('user stash');

    const result = created(await take(repo.dir));

    expect(userState(repo)).toEqual(before);
    // The setup is meaningful: an ordinary `git status` does rewrite this index.
    execFileSync('git', ['status', '--porcelain'], {
      cwd: repo.dir,
      env: { ...process.env, GIT_OPTIONAL_LOCKS: '1' },
    });
    expect(userState(repo).index).not.toBe(before.index);
    expect(result.commit).toMatch(/^[0-9a-f]{40}$/);
  });

  test('snapshots the work tree as it is: unstaged edits and untracked files in, ignored files and deletions out', async () => {
    const repo = busyRepo();
    const { commit } = created(await take(repo.dir));

    expect(treePaths(repo, commit)).toEqual([
      '.gitignore',
      'notes.txt',
      'src/app.ts',
      'staged-new.txt',
      'untracked.txt',
    ]);
    expect(repo.git(['show', `${commit}:notes.txt`])).toBe(repo.read('notes.txt').replace(/\n$/, ''));
    expect(repo.git(['show', `${commit}:notes.txt`])).toContain('line 9 unstaged');
    expect(repo.git(['show', `${commit}:untracked.txt`])).toBe('not yet added');
    expect(repo.git(['rev-parse', REF])).toBe(commit);
  });

  test('writes a commit by holdfast, dated `now`, without signing and without running hooks', async () => {
    const repo = makeRepo();
    repo.write('a.txt', 'a\n');
    repo.commitAll('initial');
    repo.git(['config', 'commit.gpgSign', 'true']);
    repo.git(['config', 'gpg.program', '/bin/false']);
    const marker = join(repo.dir, 'hook-ran');
    mkdirSync(join(repo.dir, '.git', 'hooks'), { recursive: true });
    for (const hook of ['reference-transaction', 'pre-commit', 'post-commit', 'post-index-change']) {
      const path = join(repo.dir, '.git', 'hooks', hook);
      execFileSync('sh', [
        '-c',
        `printf '#!/bin/sh\\necho ${hook} >> "%s"\\n' "$1" > "$2"`,
        'sh',
        marker,
        path,
      ]);
      chmodSync(path, 0o755);
    }
    repo.write('a.txt', 'b\n');

    const { commit } = created(await take(repo.dir, { run: 3, sessionId: 'abc-123', reason: 'interval' }));

    expect(existsSync(marker)).toBe(false);
    expect(repo.git(['log', '-1', '--format=%an <%ae>|%cn <%ce>|%cI', commit])).toBe(
      'holdfast <holdfast@localhost>|holdfast <holdfast@localhost>|2025-03-04T05:06:07+00:00',
    );
    const message = repo.git(['log', '-1', '--format=%B', commit]);
    expect(message).toContain('Holdfast-Task: refactor');
    expect(message).toContain('Holdfast-Run: 3');
    expect(message).toContain('Holdfast-Session: abc-123');
    expect(message).toContain('Holdfast-Time: 2025-03-04T05:06:07.000Z');
    expect(message).toContain('Holdfast-Reason: interval');
  });

  test('skips a checkpoint when the work tree equals the latest one', async () => {
    const repo = makeRepo();
    repo.write('a.txt', 'a\n');
    repo.commitAll('initial');
    repo.write('b.txt', 'untracked\n');
    const first = created(await take(repo.dir));

    const second = await take(repo.dir, { run: 2, now: NOW + 60_000 });

    expect(second).toEqual({ status: 'unchanged', id: first.commit.slice(0, 12), commit: first.commit });
    expect(repo.git(['rev-parse', REF])).toBe(first.commit);
    expect(await listCheckpoints(repo.dir, TASK)).toHaveLength(1);
  });

  test('with skipClean, writes no first checkpoint of a tree equal to HEAD (or of an empty unborn one)', async () => {
    const repo = makeRepo();
    const opts = { cwd: repo.dir, task: TASK, run: 1, now: NOW, skipClean: true };
    expect(await takeCheckpoint(opts)).toEqual({ status: 'clean', head: null });
    repo.write('a.txt', 'a\n');
    repo.commitAll('initial');
    const head = repo.git(['rev-parse', 'HEAD']);

    expect(await takeCheckpoint(opts)).toEqual({ status: 'clean', head });
    expect(repo.tryGit(['rev-parse', '-q', '--verify', REF]).code).not.toBe(0);

    repo.write('a.txt', 'changed\n');
    const first = created(await takeCheckpoint(opts));
    expect([first.parent, first.files]).toEqual([null, 1]);
    // Back to HEAD's tree after a checkpoint: a change against it, so a checkpoint.
    repo.write('a.txt', 'a\n');
    expect(created(await takeCheckpoint(opts)).parent).toBe(first.commit);
  });

  test('chains checkpoints: each one is the parent of the next, with the diff stat against it', async () => {
    const repo = makeRepo();
    repo.write('a.txt', numbered(5));
    repo.commitAll('initial');
    repo.write('a.txt', numbered(5, { 1: 'one' }));
    const first = created(await take(repo.dir, { run: 1 }));
    // Against HEAD for the first: one line replaced.
    expect([first.parent, first.files, first.insertions, first.deletions]).toEqual([null, 1, 1, 1]);

    repo.write('a.txt', numbered(5, { 1: 'one', 2: 'two' }));
    repo.write('new.txt', 'x\ny\nz\n');
    repo.write('image.bin', Buffer.from([0, 159, 146, 150, 0, 1]));
    const second = created(await take(repo.dir, { run: 2, now: NOW + 1000, sessionId: null }));

    expect(second.parent).toBe(first.commit);
    expect(repo.git(['rev-parse', `${second.commit}^`])).toBe(first.commit);
    // a.txt 1+/1-, new.txt 3+, the binary file counts as a file with 0/0.
    expect([second.files, second.insertions, second.deletions]).toEqual([3, 4, 1]);
    expect(repo.git(['rev-parse', REF])).toBe(second.commit);
  });

  test('two checkpointers racing on one tree land exactly one commit', async () => {
    const repo = makeRepo();
    repo.write('a.txt', 'a\n');
    repo.commitAll('initial');
    repo.write('a.txt', 'changed\n');

    const results = await Promise.all([1, 2, 3, 4].map((run) => take(repo.dir, { run })));

    const made = results.filter((result) => result.status === 'created');
    expect(made).toHaveLength(1);
    expect(results.filter((result) => result.status === 'unchanged')).toHaveLength(3);
    expect((await listCheckpoints(repo.dir, TASK)).map((checkpoint) => checkpoint.commit)).toEqual([
      made[0]!.commit,
    ]);
  });

  test('outside a git work tree it says so instead of throwing', async () => {
    const dir = makeDir();
    expect(await isGitWorkTree(dir)).toBeNull();
    expect(await take(dir)).toEqual({ status: 'not-a-repo' });
    expect(await listCheckpoints(dir, TASK)).toEqual([]);
    expect(await isGitWorkTree(join(dir, 'missing'))).toBeNull();

    const repo = makeRepo();
    expect(await isGitWorkTree(join(repo.dir, '.git'))).toBeNull();
  });

  test('on an unborn branch it snapshots against the empty tree and leaves HEAD unborn', async () => {
    const repo = makeRepo();
    repo.write('staged.txt', 'one\ntwo\n');
    repo.git(['add', 'staged.txt']);
    repo.write('loose.txt', 'three\n');
    const before = userState(repo);
    expect(before.head).toBeNull();

    const result = created(await take(repo.dir));

    expect(userState(repo)).toEqual(before);
    expect(repo.tryGit(['rev-parse', '-q', '--verify', 'HEAD']).code).not.toBe(0);
    expect(repo.git(['symbolic-ref', 'HEAD'])).toBe('refs/heads/main');
    expect(treePaths(repo, result.commit)).toEqual(['loose.txt', 'staged.txt']);
    expect([result.parent, result.files, result.insertions, result.deletions]).toEqual([null, 2, 3, 0]);
  });

  test('an empty unborn repository without an index gets an empty snapshot', async () => {
    const repo = makeRepo();
    const result = created(await take(repo.dir));
    expect(treePaths(repo, result.commit)).toEqual([]);
    expect(existsSync(join(repo.dir, '.git', 'index'))).toBe(false);
  });

  test('from a subdirectory it snapshots the whole work tree', async () => {
    const repo = makeRepo();
    repo.write('top.txt', 'top\n');
    repo.write('deep/er/inner.txt', 'inner\n');
    repo.commitAll('initial');
    repo.write('top.txt', 'top changed\n');
    repo.write('other/untracked.txt', 'u\n');

    const result = created(await take(join(repo.dir, 'deep', 'er')));

    expect(treePaths(repo, result.commit)).toEqual(['deep/er/inner.txt', 'other/untracked.txt', 'top.txt']);
    expect(repo.git(['show', `${result.commit}:top.txt`])).toBe('top changed');
    expect((await isGitWorkTree(join(repo.dir, 'deep')))?.top).toBe(repo.dir);
  });

  test('keeps paths with spaces and unicode', async () => {
    const repo = makeRepo();
    repo.write('plain.txt', 'p\n');
    repo.commitAll('initial');
    const odd = 'dir with space/ünïcødé file ✓ 日本.txt';
    repo.write(odd, 'odd\n');
    repo.write('tab\tand "quote".txt', 'q\n');
    const before = userState(repo);

    const result = created(await take(join(repo.dir, 'dir with space')));

    expect(userState(repo)).toEqual(before);
    expect(treePaths(repo, result.commit)).toEqual([odd, 'plain.txt', 'tab\tand "quote".txt']);
    expect(repo.git(['show', `${result.commit}:${odd}`])).toBe('odd');
    expect(result.files).toBe(2);
  });

  test('records a submodule and an embedded repository as gitlinks at their current commits', async () => {
    const inner = makeRepo();
    inner.write('lib.txt', 'v1\n');
    inner.commitAll('lib v1');
    const repo = makeRepo();
    repo.write('main.txt', 'm\n');
    repo.commitAll('initial');
    repo.git(['-c', 'protocol.file.allow=always', 'submodule', 'add', '-q', inner.dir, 'vendor/lib']);
    repo.commitAll('add submodule');
    const sub = repoAt(join(repo.dir, 'vendor/lib'));
    sub.write('lib.txt', 'v2\n');
    const subHead = sub.commitAll('lib v2');
    mkdirSync(join(repo.dir, 'nested'));
    const nested = makeRepo(join(repo.dir, 'nested'));
    nested.write('n.txt', 'n\n');
    const nestedHead = nested.commitAll('nested');
    const before = userState(repo);

    const result = created(await take(repo.dir));

    expect(userState(repo)).toEqual(before);
    expect(repo.git(['ls-tree', result.commit, 'vendor/lib'])).toBe(`160000 commit ${subHead}\tvendor/lib`);
    expect(repo.git(['ls-tree', result.commit, 'nested'])).toBe(`160000 commit ${nestedHead}\tnested`);
  });

  test('refuses a task name that is not a valid name', async () => {
    await expect(
      takeCheckpoint({ cwd: makeDir(), task: '../x', run: 1, sessionId: null, now: NOW }),
    ).rejects.toMatchObject({ code: 'EBADNAME' });
    expect(checkpointRef('my-task')).toBe('refs/holdfast/my-task/checkpoints');
  });
});

describe('listCheckpoints and resolveCheckpoint', () => {
  async function threeCheckpoints() {
    const repo = makeRepo();
    repo.write('a.txt', '0\n');
    repo.commitAll('initial');
    const commits: string[] = [];
    for (const run of [1, 2, 3]) {
      repo.write('a.txt', `${run}\n`);
      commits.push(
        created(await take(repo.dir, { run, now: NOW + run * 1000, sessionId: `s${run}` })).commit,
      );
    }
    return { repo, commits: commits.reverse() };
  }

  test('lists newest first with the metadata written into each commit', async () => {
    const { repo, commits } = await threeCheckpoints();
    repo.write('b.txt', 'b\n');
    await take(repo.dir, { run: 4, now: NOW + 4000, sessionId: null, reason: 'before\nrestart' });

    const list = await listCheckpoints(join(repo.dir), TASK);

    expect(list.map((checkpoint) => checkpoint.commit).slice(1)).toEqual(commits);
    expect(list[0]).toMatchObject({
      run: 4,
      sessionId: null,
      reason: 'before restart',
      files: 1,
      insertions: 1,
      deletions: 0,
    });
    expect(list[1]).toMatchObject({
      id: commits[0]!.slice(0, 12),
      commit: commits[0],
      parent: commits[1],
      task: TASK,
      run: 3,
      sessionId: 's3',
      reason: null,
      at: new Date(NOW + 3000).toISOString(),
      files: 1,
      insertions: 1,
      deletions: 1,
    });
    expect(list[1]!.message).toMatch(/^holdfast checkpoint: refactor run 3\n/);
    expect(list[3]!.parent).toBeNull();
    expect(await listCheckpoints(repo.dir, TASK, { limit: 2 })).toHaveLength(2);
    expect(await listCheckpoints(repo.dir, 'other-task')).toEqual([]);
  });

  test('resolves latest, ~N, list positions and id prefixes within the task', async () => {
    const { repo, commits } = await threeCheckpoints();
    const resolve = async (ref: string) => (await resolveCheckpoint(repo.dir, TASK, ref)).commit;

    expect(await resolve('latest')).toBe(commits[0]);
    expect(await resolve('~0')).toBe(commits[0]);
    expect(await resolve('~1')).toBe(commits[1]);
    expect(await resolve('latest~2')).toBe(commits[2]);
    expect(await resolve('1')).toBe(commits[0]);
    expect(await resolve('3')).toBe(commits[2]);
    expect(await resolve(commits[1]!.slice(0, 12))).toBe(commits[1]);
    expect(await resolve(commits[2]!.toUpperCase())).toBe(commits[2]);
    expect(await resolve(commits[2]!.slice(0, 7))).toBe(commits[2]);
  });

  test('refuses references it cannot resolve to exactly one checkpoint of the task', async () => {
    const { repo } = await threeCheckpoints();
    const head = repo.git(['rev-parse', 'HEAD']);
    const resolve = (ref: string) => resolveCheckpoint(repo.dir, TASK, ref);

    for (const ref of ['~3', '4', '0', 'HEAD', 'main', '-x', 'abc', head.slice(0, 12), 'ffffffffffff']) {
      await expect(resolve(ref), ref).rejects.toMatchObject({ code: 'EUSAGE' });
    }
    await expect(resolveCheckpoint(repo.dir, 'other-task', 'latest')).rejects.toBeInstanceOf(HoldfastError);
    await expect(resolveCheckpoint(makeDir(), TASK, 'latest')).rejects.toMatchObject({ code: 'EGIT' });
  });
});

test('checkpoints never show up as branches, tags or in the stash', async () => {
  const repo = makeRepo();
  repo.write('a.txt', 'a\n');
  repo.commitAll('initial');
  repo.write('a.txt', 'b\n');
  await take(repo.dir);
  expect(repo.git(['branch', '--list'])).toBe('* main');
  expect(repo.git(['tag', '--list'])).toBe('');
  expect(repo.git(['stash', 'list'])).toBe('');
  expect(readFileSync(join(repo.dir, '.git', 'HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
});
