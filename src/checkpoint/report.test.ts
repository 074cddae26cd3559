import { utimesSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { diffSinceCheckpoint, takeCheckpoint, workTreeStatus } from './index.js';
import { isolateGit, makeDir, makeRepo, removeAll, userState } from './test-repo.js';

beforeAll(isolateGit);
afterEach(removeAll);

describe('workTreeStatus', () => {
  test('counts staged, modified, untracked and conflicted paths without rewriting the index', async () => {
    const repo = makeRepo();
    repo.write('.gitignore', '*.log\n');
    repo.write('both.txt', 'base\n');
    repo.write('staged.txt', 's\n');
    repo.write('modified.txt', 'm\n');
    repo.write('stat-only.txt', 'same\n');
    repo.commitAll('initial');
    repo.git(['checkout', '-q', '-b', 'other']);
    repo.write('both.txt', 'theirs\n');
    repo.commitAll('theirs');
    repo.git(['checkout', '-q', 'main']);
    repo.write('both.txt', 'ours\n');
    repo.commitAll('ours');
    expect(repo.tryGit(['merge', '-q', 'other']).code).not.toBe(0);
    repo.write('staged.txt', 's2\n');
    repo.git(['add', 'staged.txt']);
    repo.write('modified.txt', 'm2\n');
    repo.write('new/a.txt', 'a\n');
    repo.write('new/b.txt', 'b\n');
    repo.write('loose.txt', 'l\n');
    repo.write('ignored.log', 'i\n');
    utimesSync(join(repo.dir, 'stat-only.txt'), new Date(0), new Date(0));
    const before = userState(repo);

    const status = await workTreeStatus(join(repo.dir, 'new'));

    expect(userState(repo)).toEqual(before);
    expect(status).toMatchObject({
      top: repo.dir,
      branch: 'main',
      head: repo.git(['rev-parse', 'HEAD']),
      staged: 1,
      modified: 1,
      untracked: 2,
      conflicted: 1,
      total: 5,
    });
    expect(status?.lines).toEqual([
      'UU both.txt',
      ' M modified.txt',
      'M  staged.txt',
      '?? loose.txt',
      '?? new/',
    ]);
  });

  test('reports a detached HEAD, an unborn branch, and null outside a repository', async () => {
    const repo = makeRepo();
    expect(await workTreeStatus(repo.dir)).toMatchObject({ branch: 'main', head: null, total: 0, lines: [] });
    repo.write('a.txt', 'a\n');
    const head = repo.commitAll('initial');
    repo.git(['checkout', '-q', '--detach']);
    expect(await workTreeStatus(repo.dir)).toMatchObject({ branch: null, head, total: 0 });
    expect(await workTreeStatus(makeDir())).toBeNull();
  });

  test('keeps only the first 20 lines but counts them all', async () => {
    const repo = makeRepo();
    for (let i = 0; i < 25; i++) repo.write(`f${String(i).padStart(2, '0')}.txt`, `${i}\n`);
    const status = await workTreeStatus(repo.dir);
    expect(status?.untracked).toBe(25);
    expect(status?.total).toBe(25);
    expect(status?.lines).toHaveLength(20);
    expect(status?.lines[0]).toBe('?? f00.txt');
  });
});

describe('diffSinceCheckpoint', () => {
  test('compares the checkpoint with the whole work tree, untracked files in, ignored out', async () => {
    const repo = makeRepo();
    repo.write('.gitignore', 'out/\n');
    repo.write('kept.txt', 'one\ntwo\nthree\n');
    repo.write('removed.txt', 'bye\n');
    repo.commitAll('initial');
    const taken = await takeCheckpoint({ cwd: repo.dir, task: 't', run: 1, sessionId: null, now: 0 });
    if (taken.status !== 'created') throw new Error('no checkpoint');
    repo.write('kept.txt', 'one\n2\nthree\nfour\n');
    repo.rm('removed.txt');
    repo.write('fresh file ✓.txt', 'new\n');
    repo.write('out/build.bin', 'ignored\n');
    const before = userState(repo);

    const diff = await diffSinceCheckpoint(repo.dir, taken.id);

    expect(userState(repo)).toEqual(before);
    expect(diff).toMatchObject({ commit: taken.commit, files: 3, insertions: 3, deletions: 2 });
    expect(diff?.summary).toBe('3 files changed, 3 insertions(+), 2 deletions(-)');
    expect(diff?.entries).toEqual([
      { path: 'fresh file ✓.txt', insertions: 1, deletions: 0, binary: false },
      { path: 'kept.txt', insertions: 2, deletions: 1, binary: false },
      { path: 'removed.txt', insertions: 0, deletions: 1, binary: false },
    ]);
  });

  test('reports no changes right after a checkpoint, null outside a repository, and refuses an unknown commit', async () => {
    const repo = makeRepo();
    repo.write('a.txt', 'a\n');
    const taken = await takeCheckpoint({ cwd: repo.dir, task: 't', run: 1, sessionId: null, now: 0 });
    if (taken.status !== 'created') throw new Error('no checkpoint');

    expect(await diffSinceCheckpoint(repo.dir, taken.commit)).toMatchObject({
      files: 0,
      summary: 'no changes',
    });
    expect(await diffSinceCheckpoint(makeDir(), taken.commit)).toBeNull();
    await expect(diffSinceCheckpoint(repo.dir, 'f'.repeat(40))).rejects.toMatchObject({ code: 'EGIT' });
    await expect(diffSinceCheckpoint(repo.dir, '--output=x')).rejects.toMatchObject({ code: 'EGIT' });
  });
});
