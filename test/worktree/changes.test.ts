import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RecoveryReport } from '../../src/supervisor/recover.js';
import type { TaskView } from '../../src/views/task.js';
import { git, makeRepo, repoState } from '../helpers/git.js';
import { type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome();

const IDENTITY = 'git -c user.name=T -c user.email=t@example.com';

/** Starts a task in its own worktree of `repo` and waits for it to finish; returns the worktree's path. */
async function runIn(h: Home, repo: string, name: string, script: string): Promise<string> {
  const r = await h.cli(['run', '--name', name, '--worktree', '--', 'bash', '-c', script], { cwd: repo });
  expect(r.code, r.stderr).toBe(0);
  const view = await waitFor(
    () => h.status(name),
    (v: TaskView) => v.state === 'succeeded' || v.state === 'failed',
    { what: `${name} to finish` },
  );
  expect(view.state).toBe('succeeded');
  return view.worktree!.path;
}

interface DiffJson {
  base: string;
  files: number;
  entries: { path: string; insertions: number; deletions: number }[];
  patch?: string;
}

interface RmJson {
  removed: string[];
  worktrees: {
    task: string;
    removed: boolean;
    branchDeleted: boolean;
    ahead: number;
    unique: number;
    checkpoint: string | null;
  }[];
  checkpoints: { task: string; kept: boolean; count: number }[];
}

describe('what a worktree task changed', () => {
  it('diff: committed, uncommitted and untracked changes against the base, the worktree index left alone', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    const base = git(repo, ['rev-parse', 'HEAD']).trim();
    const path = await runIn(
      h,
      repo,
      'd1',
      `echo one > committed.txt && git add committed.txt && ${IDENTITY} commit -qm one && echo more >> README.md && echo new > untracked.txt && echo x > ignored.log`,
    );
    const indexBefore = readFileSync(join(repo, '.git', 'worktrees', 'd1', 'index'));
    const stat = await h.json<DiffJson>(['diff', 'd1', '--stat']);
    expect(stat.base).toBe(base);
    expect(stat.entries.map((e) => [e.path, e.insertions, e.deletions])).toEqual([
      ['README.md', 1, 0],
      ['committed.txt', 1, 0],
      ['untracked.txt', 1, 0],
    ]);
    expect(stat.patch).toBeUndefined();
    const full = await h.cli(['diff', 'd1']);
    expect(full.code).toBe(0);
    expect(full.stdout).toContain('+++ b/untracked.txt');
    expect(full.stdout).toContain('+more');
    expect(full.stdout).not.toContain('ignored.log');
    const human = await h.cli(['diff', 'd1', '--stat']);
    expect(human.stdout).toContain(
      `3 files changed, 3 insertions(+) since ${base.slice(0, 12)} (branch holdfast/d1)`,
    );
    expect(readFileSync(join(repo, '.git', 'worktrees', 'd1', 'index')).equals(indexBefore)).toBe(true);
    expect(git(path, ['status', '--porcelain'])).toBe(' M README.md\n?? untracked.txt\n');

    const plain = await h.cli(['run', '--name', 'plain', '--cwd', repo, '--', 'true']);
    expect(plain.code).toBe(0);
    const refused = await h.cli(['diff', 'plain']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('plain has no worktree of its own');
  });

  it('recover reports the branch, its commits ahead of base and what is uncommitted', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    await runIn(
      h,
      repo,
      'r1',
      `echo a > a.txt && git add a.txt && ${IDENTITY} commit -qm a && echo b > b.txt`,
    );
    const report = await h.json<RecoveryReport>(['recover', 'r1']);
    expect(report.worktree).toMatchObject({
      branch: 'holdfast/r1',
      present: true,
      ahead: 1,
      unique: 1,
      dirty: 1,
    });
    expect(report.workTree?.branch).toBe('holdfast/r1');
    const text = await h.cli(['recover', 'r1']);
    expect(text.stdout).toMatch(
      /worktree: .*holdfast-worktrees\/r1, branch holdfast\/r1, 1 commit ahead of [0-9a-f]{12}; 1 path uncommitted/,
    );
  });
});

describe('rm of a worktree task', () => {
  it('uncommitted work: checkpointed first, the checkpoint ref and the branch kept, the worktree removed, and it says where the work is', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    const before = repoState(repo);
    const path = await runIn(h, repo, 'u1', 'echo draft > draft.txt && echo edit >> README.md');
    const r = await h.json<RmJson>(['rm', 'u1']);
    expect(r.removed).toEqual(['u1']);
    expect(r.worktrees).toHaveLength(1);
    const w = r.worktrees[0]!;
    expect(w).toMatchObject({ task: 'u1', removed: true, branchDeleted: false, ahead: 0 });
    expect(w.checkpoint).toMatch(/^[0-9a-f]{40}$/);
    expect(r.checkpoints).toMatchObject([{ task: 'u1', kept: true, count: 1 }]);
    expect(existsSync(path)).toBe(false);
    // The work is reachable from the user's repository.
    expect(git(repo, ['rev-parse', 'refs/holdfast/u1/checkpoints']).trim()).toBe(w.checkpoint);
    expect(git(repo, ['show', `${w.checkpoint}:draft.txt`])).toBe('draft\n');
    expect(git(repo, ['show', `${w.checkpoint}:README.md`])).toBe('hello\nedit\n');
    expect(git(repo, ['branch', '--list', 'holdfast/u1']).trim()).toBe('holdfast/u1');
    expect(git(repo, ['worktree', 'list', '--porcelain']).match(/^worktree /gm)).toHaveLength(1);
    expect(repoState(repo)).toEqual(before);
  });

  it('says where the work is in its human output', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    await runIn(
      h,
      repo,
      'u2',
      `echo c > c.txt && git add c.txt && ${IDENTITY} commit -qm c && echo d > d.txt`,
    );
    const r = await h.cli(['rm', 'u2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('kept branch holdfast/u2: 1 commit beyond');
    expect(r.stdout).toContain('1 of them on no other branch, tag or remote');
    expect(r.stdout).toMatch(
      /uncommitted work saved in checkpoint [0-9a-f]{12} \(refs\/holdfast\/u2\/checkpoints\)/,
    );
    expect(r.stdout).toContain(`git -C ${repo} worktree add <dir>`);
  });

  it('committed work only: the worktree goes, the branch with its commits stays, no checkpoint is kept', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    const path = await runIn(h, repo, 'c1', `echo c > c.txt && git add c.txt && ${IDENTITY} commit -qm c`);
    const tip = git(repo, ['rev-parse', 'holdfast/c1']).trim();
    const r = await h.json<RmJson>(['rm', 'c1']);
    expect(r.worktrees).toMatchObject([
      { task: 'c1', branchDeleted: false, ahead: 1, unique: 1, checkpoint: null },
    ]);
    expect(existsSync(path)).toBe(false);
    expect(git(repo, ['rev-parse', 'holdfast/c1']).trim()).toBe(tip);
  });

  it('nothing done: the worktree and its branch both go', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    const path = await runIn(h, repo, 'e1', 'true');
    const r = await h.json<RmJson>(['rm', 'e1']);
    expect(r.worktrees).toMatchObject([{ task: 'e1', branchDeleted: true, ahead: 0, checkpoint: null }]);
    expect(existsSync(path)).toBe(false);
    expect(git(repo, ['branch', '--list', 'holdfast/*']).trim()).toBe('');
    expect(git(repo, ['for-each-ref', 'refs/holdfast/']).trim()).toBe('');
  });

  it('rm --force of a live task: stopped, its uncommitted work checkpointed and kept with the branch', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    const r = await h.cli(
      ['run', '--name', 'live', '--worktree', '--', 'bash', '-c', 'echo w > w.txt; sleep 60'],
      {
        cwd: repo,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const path = join(repo, '.git', 'holdfast-worktrees', 'live');
    await waitFor(() => existsSync(join(path, 'w.txt')), Boolean, { what: 'the task to write w.txt' });
    const refused = await h.cli(['rm', 'live']);
    expect(refused.code).toBe(1);
    expect(existsSync(path)).toBe(true);
    const out = await h.json<RmJson>(['rm', '--force', 'live']);
    expect(out.removed).toEqual(['live']);
    const w = out.worktrees[0]!;
    expect(w).toMatchObject({ removed: true, branchDeleted: false });
    expect(git(repo, ['show', `${w.checkpoint}:w.txt`])).toBe('w\n');
    expect(existsSync(path)).toBe(false);
    expect(git(repo, ['branch', '--list', '--format=%(refname:short)', 'holdfast/live']).trim()).toBe(
      'holdfast/live',
    );
  });

  it('a worktree removed by hand: rm still forgets the task and keeps a branch that has commits', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    const path = await runIn(h, repo, 'h1', `echo c > c.txt && git add c.txt && ${IDENTITY} commit -qm c`);
    git(repo, ['worktree', 'remove', '--force', path]);
    const r = await h.json<RmJson>(['rm', 'h1']);
    expect(r.removed).toEqual(['h1']);
    expect(r.worktrees).toMatchObject([{ task: 'h1', branchDeleted: false, ahead: 1 }]);
    expect(git(repo, ['branch', '--list', 'holdfast/h1']).trim()).toBe('holdfast/h1');
  });
});
