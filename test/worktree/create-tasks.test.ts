/**
 * `createTasks` with worktree requests, as `holdfast up` calls it: several tasks in one call, each
 * worktree made before the transaction under the name the task then gets, and every worktree and
 * branch the call made removed again when any part of it fails.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTask, createTasks, type NewTask } from '../../src/supervisor/create.js';
import { openRuntime, type Runtime } from '../../src/supervisor/runtime.js';
import { git, makeRepo, repoState } from '../helpers/git.js';
import { type Home, makeHome } from '../helpers/home.js';
import { commandSpec } from '../helpers/spec.js';

const opened: { home: Home; rt: Runtime }[] = [];
afterEach(() => {
  for (const { home, rt } of opened.splice(0)) {
    rt.store.close();
    home.cleanup();
  }
});

function setup(): { home: Home; rt: Runtime; repo: string } {
  const home = makeHome();
  const rt = openRuntime(home.dir);
  opened.push({ home, rt });
  return { home, rt, repo: makeRepo(join(home.dir, 'repo')) };
}

const worktreeCount = (repo: string) =>
  git(repo, ['worktree', 'list', '--porcelain']).match(/^worktree /gm)?.length ?? 0;

describe('createTasks with worktrees', () => {
  it('derived names are fixed before the worktrees are made: each task gets the worktree and branch of its own name', async () => {
    const { rt, repo } = setup();
    const head = git(repo, ['rev-parse', 'HEAD']).trim();
    const input: NewTask = { nameBase: 'job', spec: commandSpec(repo), env: {}, worktree: { branch: null } };
    const created = await createTasks(rt, [input, input, { ...input, name: 'job-2' }]);
    expect(created.map((t) => t.name)).toEqual(['job', 'job-3', 'job-2']);
    for (const task of created) {
      const stored = rt.store.tasks.byId(task.id)!;
      expect(stored.spec.worktree).toEqual({
        branch: `holdfast/${task.name}`,
        repo,
        path: join(repo, '.git', 'holdfast-worktrees', task.name),
        base: head,
        sourceCwd: repo,
      });
      expect(stored.spec.cwd).toBe(stored.spec.worktree!.path);
      expect(existsSync(stored.spec.cwd)).toBe(true);
    }
    expect(worktreeCount(repo)).toBe(4);
  });

  it('a failure after some worktrees were made removes them and their branches, and creates no task', async () => {
    const { rt, repo } = setup();
    await createTask(rt, { name: 'taken', nameBase: 'taken', spec: commandSpec(repo), env: {} });
    const before = repoState(repo);
    const input: NewTask = { nameBase: 'job', spec: commandSpec(repo), env: {}, worktree: { branch: null } };
    await expect(
      createTasks(rt, [input, { ...input, name: 'other' }, { ...input, name: 'taken' }]),
    ).rejects.toThrow('a task named taken already exists');
    expect(worktreeCount(repo)).toBe(1);
    expect(git(repo, ['branch', '--list', 'holdfast/*']).trim()).toBe('');
    expect(existsSync(join(repo, '.git', 'holdfast-worktrees', 'job'))).toBe(false);
    expect(rt.store.tasks.all().map((t) => t.name)).toEqual(['taken']);
    expect(repoState(repo)).toEqual(before);
  });
});
