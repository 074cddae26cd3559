import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { restoreCheckpoint, takeCheckpoint } from './index.js';
import { isolateGit, makeDir, makeRepo, removeAll, repoAt, treePaths, userState } from './test-repo.js';

beforeAll(isolateGit);
afterEach(removeAll);

const TASK = 'build';

/** A repository with one checkpoint (a tracked edit and an untracked file), then more work on top. */
async function repoWithCheckpoint() {
  const repo = makeRepo();
  repo.write('app.txt', 'v1\n');
  repo.commitAll('initial');
  repo.write('app.txt', 'v2 at checkpoint\n');
  repo.write('dir with space/ü.txt', 'untracked at checkpoint\n');
  const result = await takeCheckpoint({ cwd: repo.dir, task: TASK, run: 1, sessionId: 's', now: Date.now() });
  if (result.status !== 'created') throw new Error('no checkpoint');
  // Work continues after the checkpoint, partly staged.
  repo.write('app.txt', 'v3 staged\n');
  repo.git(['add', 'app.txt']);
  repo.write('app.txt', 'v4 in the work tree\n');
  return { repo, checkpoint: result };
}

describe('restoreCheckpoint', () => {
  test('to a new branch: the branch holds the snapshot, the user keeps their branch, index and files', async () => {
    const { repo, checkpoint } = await repoWithCheckpoint();
    const before = userState(repo);

    const restored = await restoreCheckpoint({
      cwd: repo.dir,
      task: TASK,
      checkpoint: 'latest',
      branch: 'rescued',
    });

    expect(restored).toMatchObject({ kind: 'branch', branch: 'rescued', commit: checkpoint.commit });
    expect(repo.git(['rev-parse', 'refs/heads/rescued'])).toBe(checkpoint.commit);
    expect(repo.git(['rev-parse', 'rescued^{tree}'])).toBe(checkpoint.tree);
    expect(repo.git(['show', 'rescued:app.txt'])).toBe('v2 at checkpoint');
    expect(repo.git(['show', 'rescued:dir with space/ü.txt'])).toBe('untracked at checkpoint');
    const after = userState(repo);
    expect({ ...after, refs: before.refs }).toEqual(before);
    expect(after.refs).toEqual([...before.refs, `refs/heads/rescued ${checkpoint.commit}`].sort());
    expect(repo.git(['symbolic-ref', '--short', 'HEAD'])).toBe('main');
  });

  test('refuses a branch that exists, and leaves it where it was', async () => {
    const { repo } = await repoWithCheckpoint();
    const main = repo.git(['rev-parse', 'main']);
    repo.git(['branch', 'taken']);

    for (const branch of ['main', 'taken']) {
      await expect(
        restoreCheckpoint({ cwd: repo.dir, task: TASK, checkpoint: 'latest', branch }),
      ).rejects.toMatchObject({
        code: 'EDUPLICATE',
      });
    }
    expect(repo.git(['rev-parse', 'main'])).toBe(main);
    expect(repo.git(['rev-parse', 'taken'])).toBe(main);
  });

  test('refuses a malformed branch name and a call that asks for neither branch nor worktree', async () => {
    const { repo } = await repoWithCheckpoint();
    for (const branch of ['-f', 'a..b', 'with space', 'x.lock', '@{-1}']) {
      await expect(
        restoreCheckpoint({ cwd: repo.dir, task: TASK, checkpoint: 'latest', branch }),
      ).rejects.toMatchObject({
        code: 'EUSAGE',
      });
    }
    await expect(
      restoreCheckpoint({ cwd: repo.dir, task: TASK, checkpoint: 'latest' }),
    ).rejects.toMatchObject({
      code: 'EUSAGE',
    });
    expect(repo.git(['branch', '--list', '--format=%(refname:short)'])).toBe('main');
  });

  test('to a new worktree: detached at the snapshot, with its files, the user untouched', async () => {
    const { repo, checkpoint } = await repoWithCheckpoint();
    const before = userState(repo);
    const place = makeDir();

    const restored = await restoreCheckpoint({
      cwd: repo.dir,
      task: TASK,
      checkpoint: checkpoint.id,
      worktree: join(place, 'restored copy'),
    });

    const path = join(place, 'restored copy');
    expect(restored).toMatchObject({ kind: 'worktree', path, branch: null, commit: checkpoint.commit });
    expect(readFileSync(join(path, 'app.txt'), 'utf8')).toBe('v2 at checkpoint\n');
    expect(readFileSync(join(path, 'dir with space', 'ü.txt'), 'utf8')).toBe('untracked at checkpoint\n');
    const copy = repoAt(path);
    expect(copy.git(['rev-parse', 'HEAD'])).toBe(checkpoint.commit);
    expect(copy.tryGit(['symbolic-ref', '-q', 'HEAD']).code).not.toBe(0);
    expect(copy.git(['status', '--porcelain'])).toBe('');
    expect(userState(repo)).toEqual(before);
  });

  test('to a new worktree on a new branch, given relative to cwd, into an existing empty directory', async () => {
    const { repo, checkpoint } = await repoWithCheckpoint();
    const place = makeDir();
    mkdirSync(join(place, 'empty'));

    const restored = await restoreCheckpoint({
      cwd: repo.dir,
      task: TASK,
      checkpoint: '1',
      worktree: relative(repo.dir, join(place, 'empty')),
      branch: 'again',
    });

    expect(restored).toMatchObject({ kind: 'worktree', path: join(place, 'empty'), branch: 'again' });
    expect(repo.git(['rev-parse', 'again'])).toBe(checkpoint.commit);
    expect(repoAt(join(place, 'empty')).git(['symbolic-ref', '--short', 'HEAD'])).toBe('again');
    expect(readFileSync(join(place, 'empty', 'app.txt'), 'utf8')).toBe('v2 at checkpoint\n');
    expect(repo.git(['symbolic-ref', '--short', 'HEAD'])).toBe('main');
  });

  test('refuses a worktree directory that has files in it, or is a file', async () => {
    const { repo } = await repoWithCheckpoint();
    const place = makeDir();
    mkdirSync(join(place, 'full'));
    writeFileSync(join(place, 'full', 'keep.txt'), 'mine\n');
    writeFileSync(join(place, 'file'), 'mine\n');

    for (const worktree of [join(place, 'full'), join(place, 'file')]) {
      await expect(
        restoreCheckpoint({ cwd: repo.dir, task: TASK, checkpoint: 'latest', worktree }),
      ).rejects.toMatchObject({
        code: 'EDUPLICATE',
      });
    }
    expect(readdirSync(join(place, 'full'))).toEqual(['keep.txt']);
    expect(readFileSync(join(place, 'file'), 'utf8')).toBe('mine\n');
    expect(repo.git(['worktree', 'list', '--porcelain']).match(/^worktree /gm)).toHaveLength(1);
  });

  test('restores an older checkpoint by its id and refuses an unknown one', async () => {
    const { repo, checkpoint } = await repoWithCheckpoint();
    await takeCheckpoint({ cwd: repo.dir, task: TASK, run: 2, sessionId: null, now: Date.now() });

    await restoreCheckpoint({ cwd: repo.dir, task: TASK, checkpoint: checkpoint.id, branch: 'older' });
    expect(treePaths(repo, 'older')).toEqual(['app.txt', 'dir with space/ü.txt']);
    expect(repo.git(['show', 'older:app.txt'])).toBe('v2 at checkpoint');
    await expect(
      restoreCheckpoint({ cwd: repo.dir, task: TASK, checkpoint: 'deadbeef', branch: 'nope' }),
    ).rejects.toMatchObject({ code: 'EUSAGE' });
    expect(repo.tryGit(['rev-parse', '-q', '--verify', 'refs/heads/nope']).code).not.toBe(0);
  });
});
