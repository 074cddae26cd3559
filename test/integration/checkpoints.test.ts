import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RecoveryReport } from '../../src/supervisor/recover.js';
import { git, makeRepo, repoState } from '../helpers/git.js';
import { FIXTURES, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome({ daemon: true });

interface CheckpointRow {
  id: string;
  commit: string;
  run: number | null;
  files: number;
  insertions: number;
  deletions: number;
  reason: string | null;
}

describe('checkpoints while a task runs', () => {
  it('takes one every interval and one when the run ends, off the branch, leaving index, stash and tree as they were', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    // A partially staged file and a stash: the user's own state, which must survive untouched.
    writeFileSync(join(repo, 'README.md'), 'hello\nstaged line\n');
    git(repo, ['add', 'README.md']);
    writeFileSync(join(repo, 'README.md'), 'hello\nstaged line\nunstaged line\n');
    writeFileSync(join(repo, 'stashed.txt'), 'x\n');
    git(repo, ['stash', 'push', '-q', '-u', '-m', 'mine', '--', 'stashed.txt']);
    const before = repoState(repo);
    const indexBefore = readFileSync(join(repo, '.git', 'index'));

    await h.cli([
      'run',
      '--name',
      'worker',
      '--cwd',
      repo,
      '--checkpoint-every',
      '1s',
      '--',
      'bash',
      '-c',
      'echo one > work.txt; sleep 1.5; echo two >> work.txt; echo noise > build.log; sleep 1.2; echo three >> work.txt',
    ]);
    const events = await waitFor(
      () => h.events('worker'),
      (e) => e.some((x) => x.type === 'checkpoint' && x.data.reason === 'run-ended'),
      { what: 'the run-end checkpoint', timeoutMs: 20_000 },
    );
    const interval = events.filter((e) => e.type === 'checkpoint' && e.data.reason === 'interval');
    expect(interval.length).toBeGreaterThanOrEqual(1);

    const list = await h.json<CheckpointRow[]>(['checkpoints', 'worker']);
    expect(list.length).toBeGreaterThanOrEqual(2);
    expect(list[0]!.reason).toBe('run-ended');
    expect(list[0]!.run).toBe(1);
    const tip = git(repo, ['rev-parse', 'refs/holdfast/worker/checkpoints']).trim();
    expect(list[0]!.commit).toBe(tip);
    // The snapshot holds the untracked work file, the unstaged edit, and not the ignored log.
    expect(git(repo, ['show', `${tip}:work.txt`])).toBe('one\ntwo\nthree\n');
    expect(git(repo, ['show', `${tip}:README.md`])).toBe('hello\nstaged line\nunstaged line\n');
    expect(() => git(repo, ['show', `${tip}:build.log`])).toThrow();
    // Parents chain the checkpoints.
    expect(git(repo, ['rev-parse', `${tip}^`]).trim()).toBe(list[1]!.commit);

    const after = repoState(repo);
    expect({ ...after, status: after.status.replace(/^\?\? (work\.txt|build\.log)\n/gm, '') }).toEqual(
      before,
    );
    expect(readFileSync(join(repo, '.git', 'index')).equals(indexBefore)).toBe(true);
  });

  it('skips a checkpoint when the tree has not changed', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    await h.cli([
      'run',
      '--name',
      'idle',
      '--cwd',
      repo,
      '--checkpoint-every',
      '300ms',
      '--',
      'sleep',
      '600',
    ]);
    await waitFor(
      () => h.events('idle'),
      (e) => e.filter((x) => x.type === 'checkpoint').length >= 1,
      { timeoutMs: 10_000 },
    );
    // Several intervals pass over an unchanged tree; wait until the daemon has looked at least 3 more times.
    const checks = (await h.json<Record<string, unknown>>(['status', 'idle'])).info as {
      checkpoint: { lastAt: number };
    };
    await waitFor(
      () => h.json<{ info: { checkpoint: { lastAt: number } } }>(['status', 'idle']),
      (v) => v.info.checkpoint.lastAt >= checks.checkpoint.lastAt + 900,
      { what: 'more checkpoint attempts' },
    );
    expect((await h.json<CheckpointRow[]>(['checkpoints', 'idle'])).length).toBe(1);
    writeFileSync(join(repo, 'new.txt'), 'changed\n');
    await waitFor(
      () => h.json<CheckpointRow[]>(['checkpoints', 'idle']),
      (l) => l.length === 2,
      { timeoutMs: 10_000 },
    );
  });

  it('outside a git work tree, says so once in the journal and takes none', async () => {
    const h = home();
    const dir = join(h.dir, 'plain');
    mkdirSync(dir);
    await h.cli([
      'run',
      '--name',
      'nogit',
      '--cwd',
      dir,
      '--checkpoint-every',
      '300ms',
      '--',
      'bash',
      '-c',
      'sleep 1.5',
    ]);
    await waitFor(
      () => h.status('nogit'),
      (v) => v.state === 'succeeded',
      { timeoutMs: 10_000 },
    );
    await waitFor(
      () => h.events('nogit'),
      (e) => e.some((x) => x.type === 'checkpoints-off'),
    );
    const events = await h.events('nogit');
    expect(events.filter((e) => e.type === 'checkpoints-off')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'checkpoint')).toHaveLength(0);
    const manual = await h.cli(['checkpoint', 'nogit']);
    expect(manual.code).not.toBe(0);
    expect(manual.stderr).toContain('is not in a git work tree');
  });

  it('checkpoint now, then restore it to a new branch without touching the current one', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    await h.cli([
      'run',
      '--name',
      'edit',
      '--cwd',
      repo,
      '--checkpoint-every',
      '0',
      '--',
      'bash',
      '-c',
      'echo draft > draft.txt; sleep 600',
    ]);
    await waitFor(() => existsSync(join(repo, 'draft.txt')), Boolean);
    const taken = await h.json<{ status: string; id: string; files: number }>(['checkpoint', 'edit']);
    expect(taken.status).toBe('created');
    const again = await h.json<{ status: string }>(['checkpoint', 'edit']);
    expect(again.status).toBe('unchanged');
    const before = repoState(repo);
    const refused = await h.cli(['restore', 'edit', 'latest']);
    expect(refused.stderr).toContain('exactly one of --branch NAME or --worktree DIR');
    const restored = await h.cli(['restore', 'edit', taken.id, '--branch', 'rescued']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(git(repo, ['show', 'rescued:draft.txt'])).toBe('draft\n');
    expect(repoState(repo)).toEqual(before);
    const dup = await h.cli(['restore', 'edit', 'latest', '--branch', 'rescued']);
    expect(dup.code).not.toBe(0);
    const wt = join(h.dir, 'wt');
    expect((await h.cli(['restore', 'edit', 'latest', '--worktree', wt])).code).toBe(0);
    expect(readFileSync(join(wt, 'draft.txt'), 'utf8')).toBe('draft\n');
  });
});

describe('recovery report', () => {
  it('says what the run was doing, how it ended, what is uncommitted, the latest checkpoint and how it resumes', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    await h.cli([
      'run',
      '--name',
      'broke',
      '--cwd',
      repo,
      '--',
      'bash',
      '-c',
      'echo "compiling module 7"; echo change >> README.md; echo new > added.txt; exit 3',
    ]);
    await waitFor(
      () => h.events('broke'),
      (e) => e.some((x) => x.type === 'checkpoint'),
      { timeoutMs: 10_000 },
    );
    const report = await h.json<RecoveryReport>(['recover', 'broke']);
    expect(report.state).toBe('failed');
    expect(report.lastRun).toMatchObject({ n: 1, ended: 'exit status 3' });
    expect(report.lastOutput).toContain('compiling module 7');
    expect(report.workTree).toMatchObject({ branch: 'main', modified: 1, untracked: 1 });
    expect(report.latestCheckpoint).not.toBeNull();
    expect(report.changedSinceCheckpoint).toMatchObject({ files: 0 });
    expect(report.resumeCommand).toEqual([
      'bash',
      '-c',
      'echo "compiling module 7"; echo change >> README.md; echo new > added.txt; exit 3',
    ]);
    const status = await h.cli(['status', 'broke']);
    expect(status.stdout).toContain('recovery report for broke: failed');
    expect(status.stdout).toContain('last run: #1 (start), exit status 3');
  });

  it('for an agent: its last message, session id and the exact resume command', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    const state = join(h.dir, 'fake');
    await h.cli(
      ['run', '--name', 'ag', '--agent', 'claude', '--cwd', repo, '--restart', 'no', '--prompt', 'fix it'],
      {
        env: {
          PATH: `${join(FIXTURES, 'fake-agent', 'bin')}:${process.env.PATH}`,
          FAKE_AGENT_STATE: state,
          FAKE_AGENT_SCENARIO: JSON.stringify({
            invocations: [{ steps: [{ say: 'Halfway through the parser.' }, { crash: { exitCode: 1 } }] }],
          }),
        },
      },
    );
    await waitFor(
      () => h.status('ag'),
      (v) => v.state === 'failed',
      { timeoutMs: 10_000 },
    );
    const report = await h.json<RecoveryReport>(['recover', 'ag']);
    expect(report.lastAgentMessage).toBe('Halfway through the parser.');
    expect(report.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(report.resumeCommand).toEqual([
      'claude',
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      '--resume',
      report.sessionId,
    ]);
  });
});
