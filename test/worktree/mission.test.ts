import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MissionView } from '../../src/cli/commands/mission/view.js';
import { git, makeRepo, repoState } from '../helpers/git.js';
import { FIXTURES, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome({ daemon: true });
const FAKE_BIN = join(FIXTURES, 'fake-agent', 'bin');

const MISSION = `# One file

## Alpha
Create a.txt.
gate: test -f a.txt
`;

describe('mission init --worktree', () => {
  it('the mission works, checkpoints and gates in its own worktree; the user tree stays as it was', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    writeFileSync(join(h.dir, 'mission.md'), MISSION);
    const before = repoState(repo);
    const head = git(repo, ['rev-parse', 'HEAD']).trim();
    const state = join(h.dir, 'fake');
    const env = {
      PATH: `${FAKE_BIN}:${process.env.PATH}`,
      FAKE_AGENT_STATE: state,
      FAKE_AGENT_SCENARIO: JSON.stringify({
        default: {
          steps: [{ write: { path: 'a.txt', content: 'a\n' } }, { say: 'made a' }, { succeed: true }],
        },
      }),
    };
    const init = await h.cli(
      ['mission', 'init', 'solo', '--agent', 'claude', '--worktree', '--file', join(h.dir, 'mission.md')],
      { env, cwd: repo },
    );
    expect(init.code, init.stderr).toBe(0);
    expect((await h.cli(['mission', 'start', 'solo'], { env })).code).toBe(0);
    const done = await waitFor(
      () => h.json<MissionView>(['mission', 'status', 'solo']),
      (v) => v.state === 'done',
      { what: 'the mission to finish', timeoutMs: 30_000 },
    );
    expect(done.milestones.map((m) => m.status)).toEqual(['done']);
    const path = join(repo, '.git', 'holdfast-worktrees', 'solo');
    expect(readFileSync(join(path, 'a.txt'), 'utf8')).toBe('a\n');
    expect(existsSync(join(repo, 'a.txt'))).toBe(false);
    const task = await h.status('solo');
    expect(task.worktree).toEqual({ branch: 'holdfast/solo', path, base: head });
    expect(task.cwd).toBe(path);
    const gate = await h.status('solo-gate');
    expect(gate.cwd).toBe(path);
    expect(repoState(repo)).toEqual(before);
  });

  it('a mission of a name already taken is refused before any worktree is made', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    writeFileSync(join(h.dir, 'mission.md'), MISSION);
    const args = [
      'mission',
      'init',
      'twice',
      '--agent',
      'claude',
      '--worktree',
      '--file',
      join(h.dir, 'mission.md'),
    ];
    expect((await h.cli(args, { cwd: repo })).code).toBe(0);
    const again = await h.cli(args, { cwd: repo });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('a mission named twice already exists');
    expect(git(repo, ['worktree', 'list', '--porcelain']).match(/^worktree /gm)).toHaveLength(2);
    expect(git(repo, ['branch', '--list', '--format=%(refname:short)', 'holdfast/*']).trim()).toBe(
      'holdfast/twice',
    );
  });
});
