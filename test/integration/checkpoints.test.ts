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

  it('takes no checkpoint of a tree equal to HEAD (journaled once as checkpoint-skipped), nor of an unchanged one', async () => {
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
    const attempts = async () =>
      (await h.json<{ info: { checkpoint?: { lastAt: number } } }>(['status', 'idle'])).info.checkpoint
        ?.lastAt ?? 0;
    const first = await waitFor(attempts, (at) => at > 0, { what: 'a first checkpoint attempt' });
    // Several intervals pass over the clean tree.
    await waitFor(attempts, (at) => at >= first + 900, { what: 'more checkpoint attempts' });
    let events = await h.events('idle');
    expect(events.filter((e) => e.type === 'checkpoint')).toEqual([]);
    const skipped = events.filter((e) => e.type === 'checkpoint-skipped');
    expect(skipped).toHaveLength(1);
    expect(skipped[0]!.data).toEqual({ head: git(repo, ['rev-parse', 'HEAD']).trim(), reason: 'interval' });
    expect(await h.json<CheckpointRow[]>(['checkpoints', 'idle'])).toEqual([]);
    expect(git(repo, ['for-each-ref', 'refs/holdfast/'])).toBe('');

    writeFileSync(join(repo, 'new.txt'), 'changed\n');
    const [taken] = await waitFor(
      () => h.json<CheckpointRow[]>(['checkpoints', 'idle']),
      (l) => l.length === 1,
      { timeoutMs: 10_000 },
    );
    expect(taken).toMatchObject({ files: 1, insertions: 1, deletions: 0 });
    const after = await attempts();
    await waitFor(attempts, (at) => at >= after + 900, { what: 'attempts over the unchanged tree' });
    expect(await h.json<CheckpointRow[]>(['checkpoints', 'idle'])).toHaveLength(1);
    events = await h.events('idle');
    expect(events.filter((e) => e.type === 'checkpoint').map((e) => e.data.files)).toEqual([1]);
    expect(events.filter((e) => e.type === 'checkpoint-skipped')).toHaveLength(1);
    expect((await h.cli(['checkpoint', 'idle'])).stdout).toBe(`unchanged since checkpoint ${taken!.id}\n`);
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
    const made = await h.cli(['checkpoint', 'edit']);
    expect(made.code, made.stderr).toBe(0);
    const [taken] = await h.json<{ id: string; at: string; files: number }[]>(['checkpoints', 'edit']);
    expect(made.stdout).toBe(`checkpoint ${taken!.id}: 1 file changed, +1 -0\n`);
    const again = await h.json<{ status: string }>(['checkpoint', 'edit']);
    expect(again.status).toBe('unchanged');
    const before = repoState(repo);
    const refused = await h.cli(['restore', 'edit', 'latest']);
    expect(refused.stderr).toContain('exactly one of --branch NAME or --worktree DIR');
    const restored = await h.cli(['restore', 'edit', taken!.id, '--branch', 'rescued']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(restored.stdout).toBe(`branch rescued created at checkpoint ${taken!.id} (taken ${taken!.at})\n`);
    expect(git(repo, ['show', 'rescued:draft.txt'])).toBe('draft\n');
    expect(repoState(repo)).toEqual(before);
    const dup = await h.cli(['restore', 'edit', 'latest', '--branch', 'rescued']);
    expect(dup.code).not.toBe(0);
    const wt = join(h.dir, 'wt');
    const worktree = await h.cli(['restore', 'edit', 'latest', '--worktree', wt]);
    expect(worktree.code, worktree.stderr).toBe(0);
    expect(worktree.stdout).toBe(`worktree ${wt} created at checkpoint ${taken!.id} (taken ${taken!.at})\n`);
    expect(readFileSync(join(wt, 'draft.txt'), 'utf8')).toBe('draft\n');
  });
});

describe('rm and checkpoints', () => {
  it("rm deletes the task's refs/holdfast/<task>/ refs and says so; --keep-checkpoints keeps them and says where", async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    const task = async (name: string, file: string) => {
      const r = await h.cli([
        'run',
        '--name',
        name,
        '--cwd',
        repo,
        '--restart',
        'no',
        '--checkpoint-every',
        '0',
        '--',
        'bash',
        '-c',
        `echo one > ${file}`,
      ]);
      expect(r.code, r.stderr).toBe(0);
      await waitFor(
        () => h.status(name),
        (v) => v.state === 'succeeded',
      );
      writeFileSync(join(repo, file), 'two\n');
      expect((await h.json<{ status: string }>(['checkpoint', name])).status).toBe('created');
      writeFileSync(join(repo, file), 'three\n');
      expect((await h.json<{ status: string }>(['checkpoint', name])).status).toBe('created');
    };
    // `gone` is a prefix of `gone2`: removing one must leave the other's refs alone.
    await task('gone', 'g.txt');
    await task('gone2', 'g2.txt');
    await task('kept', 'k.txt');
    const count = (name: string) =>
      Number(git(repo, ['rev-list', '--count', `refs/holdfast/${name}/checkpoints`]).trim());
    const removedCount = count('gone');
    expect(removedCount).toBeGreaterThanOrEqual(2);

    const rm = await h.cli(['rm', 'gone']);
    expect(rm.code, rm.stderr).toBe(0);
    expect(rm.stdout).toBe(
      `removed gone\nremoved ${removedCount} checkpoints of gone (refs/holdfast/gone/…)\n`,
    );
    expect(git(repo, ['for-each-ref', '--format=%(refname)', 'refs/holdfast/'])).toBe(
      'refs/holdfast/gone2/checkpoints\nrefs/holdfast/kept/checkpoints\n',
    );

    const keptCount = count('kept');
    const keep = await h.cli(['rm', 'kept', '--keep-checkpoints']);
    expect(keep.code, keep.stderr).toBe(0);
    expect(keep.stdout).toBe(
      `removed kept\nkept ${keptCount} checkpoints of kept in ${repo} (refs/holdfast/kept/…)\n`,
    );
    expect(count('kept')).toBe(keptCount);

    const json = await h.json<{ removed: string[]; checkpoints: unknown[] }>(['rm', 'gone2']);
    expect(json).toEqual({
      removed: ['gone2'],
      checkpoints: [
        {
          task: 'gone2',
          repo,
          refs: ['refs/holdfast/gone2/checkpoints'],
          count: expect.any(Number),
          kept: false,
        },
      ],
    });
    expect(git(repo, ['for-each-ref', '--format=%(refname)', 'refs/holdfast/'])).toBe(
      'refs/holdfast/kept/checkpoints\n',
    );
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
