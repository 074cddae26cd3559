import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/store/events.js';
import type { TaskView } from '../../src/views/task.js';
import { git, makeRepo, repoState } from '../helpers/git.js';
import { useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome();

const finished = (v: TaskView) => ['succeeded', 'failed', 'stopped'].includes(v.state);

describe('run --worktree', () => {
  it('runs the task in a new worktree on holdfast/<task> from HEAD, at the same place as the cwd, with .worktreeinclude copied and the user tree untouched', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    mkdirSync(join(repo, 'pkg'));
    writeFileSync(join(repo, 'pkg', 'index.js'), 'one\n');
    git(repo, ['add', '.']);
    git(repo, ['commit', '-q', '-m', 'pkg']);
    const head = git(repo, ['rev-parse', 'HEAD']).trim();
    // The user's own state: a staged change, an unstaged one, untracked and ignored files.
    writeFileSync(join(repo, 'README.md'), 'hello\nstaged\n');
    git(repo, ['add', 'README.md']);
    writeFileSync(join(repo, 'pkg', 'index.js'), 'one\nunstaged\n');
    writeFileSync(join(repo, 'scratch.txt'), 'mine\n');
    writeFileSync(join(repo, '.gitignore'), '*.log\n.env\nconfig/\n');
    writeFileSync(join(repo, '.env'), 'TOKEN=abc\n');
    mkdirSync(join(repo, 'config'));
    writeFileSync(join(repo, 'config', 'app.local.json'), '{"a":1}\n');
    writeFileSync(join(repo, 'config', 'other.txt'), 'not listed\n');
    writeFileSync(join(h.dir, 'outside.txt'), 'outside\n');
    symlinkSync(join(h.dir, 'outside.txt'), join(repo, 'escape.lnk'));
    symlinkSync('.env', join(repo, 'env.lnk'));
    writeFileSync(
      join(repo, '.worktreeinclude'),
      '# copied into each worktree\n.env\nconfig/*.local.json\nescape.lnk\nenv.lnk\nmissing.txt\n',
    );
    const before = repoState(repo);
    const indexBefore = readFileSync(join(repo, '.git', 'index'));

    const r = await h.cli(
      ['run', '--name', 'w1', '--worktree', '--', 'bash', '-c', 'pwd; echo made > made.txt'],
      {
        cwd: join(repo, 'pkg'),
      },
    );
    expect(r.code, r.stderr).toBe(0);
    const view = await waitFor(() => h.status('w1'), finished, { what: 'w1 to finish' });
    expect(view.state).toBe('succeeded');
    const path = join(repo, '.git', 'holdfast-worktrees', 'w1');
    expect(view.worktree).toEqual({ branch: 'holdfast/w1', path, base: head });
    expect(view.cwd).toBe(join(path, 'pkg'));
    expect((await h.cli(['log', 'w1'])).stdout).toContain(join(path, 'pkg'));
    expect(readFileSync(join(path, 'pkg', 'made.txt'), 'utf8')).toBe('made\n');
    expect(existsSync(join(repo, 'pkg', 'made.txt'))).toBe(false);

    // HEAD's files, not the user's uncommitted ones.
    expect(readFileSync(join(path, 'README.md'), 'utf8')).toBe('hello\n');
    expect(readFileSync(join(path, 'pkg', 'index.js'), 'utf8')).toBe('one\n');
    expect(existsSync(join(path, 'scratch.txt'))).toBe(false);
    // .worktreeinclude: the listed files and a link inside the repo, not a link out of it nor what is unlisted.
    expect(readFileSync(join(path, '.env'), 'utf8')).toBe('TOKEN=abc\n');
    expect(readFileSync(join(path, 'config', 'app.local.json'), 'utf8')).toBe('{"a":1}\n');
    expect(existsSync(join(path, 'config', 'other.txt'))).toBe(false);
    expect(lstatSync(join(path, 'env.lnk')).isSymbolicLink()).toBe(true);
    expect(existsSync(join(path, 'escape.lnk'))).toBe(false);

    expect(git(repo, ['rev-parse', 'refs/heads/holdfast/w1']).trim()).toBe(head);
    expect(git(path, ['symbolic-ref', 'HEAD']).trim()).toBe('refs/heads/holdfast/w1');
    expect(repoState(repo)).toEqual(before);
    expect(readFileSync(join(repo, '.git', 'index')).equals(indexBefore)).toBe(true);
  });

  it('a branch named with --worktree <branch>, and a root given by --worktree-root', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    const r = await h.cli(
      ['run', '--name', 'w2', '--worktree', 'feature/x', '--worktree-root', '../trees', '--', 'true'],
      { cwd: repo },
    );
    expect(r.code, r.stderr).toBe(0);
    const view = await h.status('w2');
    expect(view.worktree?.branch).toBe('feature/x');
    expect(view.worktree?.path).toBe(join(h.dir, 'trees', 'w2'));
    expect(git(join(h.dir, 'trees', 'w2'), ['symbolic-ref', '--short', 'HEAD']).trim()).toBe('feature/x');
  });

  it('refuses clearly, and makes nothing: outside a git work tree, a branch that exists, a path that exists', async () => {
    const h = home();
    const plain = join(h.dir, 'plain');
    mkdirSync(plain);
    const outside = await h.cli(['run', '--name', 'n1', '--worktree', '--', 'true'], { cwd: plain });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain(`holdfast: --worktree: ${plain} is not in a git work tree`);
    expect(outside.stderr).toContain('hint:');

    const repo = makeRepo(join(h.dir, 'repo'));
    git(repo, ['branch', 'holdfast/n2']);
    const branch = await h.cli(['run', '--name', 'n2', '--worktree', '--', 'true'], { cwd: repo });
    expect(branch.code).toBe(1);
    expect(branch.stderr).toContain('branch holdfast/n2 already exists');
    expect(branch.stderr).toContain('hint:');

    mkdirSync(join(repo, '.git', 'holdfast-worktrees', 'n3'), { recursive: true });
    const path = await h.cli(['run', '--name', 'n3', '--worktree', '--', 'true'], { cwd: repo });
    expect(path.code).toBe(1);
    expect(path.stderr).toContain(`${join(repo, '.git', 'holdfast-worktrees', 'n3')} already exists`);

    const bad = await h.cli(['run', '--name', 'n4', '--worktree', 'bad..name', '--', 'true'], { cwd: repo });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a valid branch name');

    expect(await h.json<TaskView[]>(['ls'])).toEqual([]);
    expect(git(repo, ['worktree', 'list', '--porcelain']).match(/^worktree /gm)).toHaveLength(1);
    expect(git(repo, ['branch', '--format=%(refname:short)']).trim().split('\n').sort()).toEqual([
      'holdfast/n2',
      'main',
    ]);
  });

  it('a worktree moved away is a launch failure naming its path, never a run in the main tree', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    const r = await h.cli(['run', '--name', 'mv', '--worktree', '--', 'bash', '-c', 'echo x >> ran.txt'], {
      cwd: repo,
    });
    expect(r.code, r.stderr).toBe(0);
    await waitFor(() => h.status('mv'), finished, { what: 'mv to finish' });
    const path = join(repo, '.git', 'holdfast-worktrees', 'mv');
    expect(readFileSync(join(path, 'ran.txt'), 'utf8')).toBe('x\n');
    renameSync(path, join(h.dir, 'elsewhere'));

    const again = await h.cli(['restart', 'mv']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(path);
    const events = await h.json<JournalEvent[]>(['events', 'mv']);
    const failed = events.filter((e) => e.type === 'start-failed');
    expect(failed).toHaveLength(1);
    expect(String(failed[0]!.data.error)).toContain(`its worktree ${path} is missing`);
    const view = await h.status('mv');
    expect(view.reason).toContain(path);
    expect(existsSync(join(repo, 'ran.txt'))).toBe(false);
    expect(readFileSync(join(h.dir, 'elsewhere', 'ran.txt'), 'utf8')).toBe('x\n');
  });
});
