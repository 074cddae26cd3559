import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/views/task.js';
import { git, makeRepo, repoState } from '../helpers/git.js';
import { FIXTURES, type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome({ daemon: true });
const FAKE_BIN = join(FIXTURES, 'fake-agent', 'bin');

interface Invocation {
  kind: string;
  cwd: string;
  sessionId: string | null;
  requestedSessionId: string | null;
  resumed: boolean;
}

function invocations(state: string): Invocation[] {
  if (!existsSync(join(state, 'invocations.jsonl'))) return [];
  return readFileSync(join(state, 'invocations.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Invocation)
    .filter((i) => i.kind === 'run');
}

async function runAgent(
  h: Home,
  name: string,
  repo: string,
  state: string,
  scenario: object,
  flags: string[] = [],
) {
  const r = await h.cli(
    [
      'run',
      '--name',
      name,
      '--agent',
      'claude',
      '--worktree',
      '--prompt',
      'work',
      '--backoff',
      '100ms',
      ...flags,
    ],
    {
      cwd: repo,
      env: {
        PATH: `${FAKE_BIN}:${process.env.PATH}`,
        FAKE_AGENT_STATE: state,
        FAKE_AGENT_SCENARIO: JSON.stringify(scenario),
      },
    },
  );
  expect(r.code, r.stderr).toBe(0);
}

const done = (v: TaskView) => ['succeeded', 'failed', 'stopped'].includes(v.state);

describe('agents in worktrees', () => {
  it('two agents with --worktree in one repo write the same file name; each checkpoint holds only its own change', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    const before = repoState(repo);
    const base = git(repo, ['rev-parse', 'HEAD']).trim();
    for (const name of ['a1', 'a2']) {
      await runAgent(h, name, repo, join(h.dir, `state-${name}`), {
        default: {
          steps: [
            { write: { path: 'notes.txt', content: `written by ${name}\n` } },
            { say: 'Wrote the notes.' },
            { succeed: true },
          ],
        },
      });
    }
    for (const name of ['a1', 'a2']) {
      await waitFor(
        () => h.events(name),
        (e) => e.some((x) => x.type === 'checkpoint' && x.data.reason === 'run-ended'),
        { what: `${name}'s run-end checkpoint`, timeoutMs: 20_000 },
      );
      const tip = git(repo, ['rev-parse', `refs/holdfast/${name}/checkpoints`]).trim();
      expect(git(repo, ['show', `${tip}:notes.txt`])).toBe(`written by ${name}\n`);
      // Against the commit both began from, the checkpoint changes that one file and nothing else.
      expect(git(repo, ['diff-tree', '-r', '--name-only', base, tip]).trim()).toBe('notes.txt');
      const path = join(repo, '.git', 'holdfast-worktrees', name);
      expect(readFileSync(join(path, 'notes.txt'), 'utf8')).toBe(`written by ${name}\n`);
    }
    expect(existsSync(join(repo, 'notes.txt'))).toBe(false);
    expect(repoState(repo)).toEqual(before);
  });

  it('an agent killed in its worktree resumes the same conversation there', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    const state = join(h.dir, 'state');
    await runAgent(
      h,
      'ag',
      repo,
      state,
      {
        invocations: [
          { steps: [{ say: 'Halfway.' }, { hang: true }] },
          { steps: [{ say: 'Picked up again.' }, { succeed: true }] },
        ],
      },
      ['--restart', 'on-failure'],
    );
    const path = join(repo, '.git', 'holdfast-worktrees', 'ag');
    const running = await waitFor(
      () => h.status('ag'),
      (v) => v.state === 'running' && v.pid !== null && v.info.lastMessage === 'Halfway.',
      { what: 'the agent to say its first words', timeoutMs: 20_000 },
    );
    process.kill(running.pid!, 'SIGKILL');
    const view = await waitFor(() => h.status('ag'), done, {
      what: 'the resumed agent to finish',
      timeoutMs: 20_000,
    });
    expect(view.state).toBe('succeeded');
    expect(view.runs.map((r) => r.cause)).toEqual(['start', 'resume']);
    const calls = invocations(state);
    expect(calls).toHaveLength(2);
    expect(calls.map((c) => c.cwd)).toEqual([path, path]);
    expect(calls[1]!.requestedSessionId).toBe(calls[0]!.sessionId);
    expect(calls[1]!.resumed).toBe(true);

    // The fake keys sessions by cwd as claude does: the same id from the main tree finds nothing.
    const elsewhere = spawnSync(
      join(FAKE_BIN, 'claude'),
      ['-p', '--output-format', 'stream-json', '--verbose', '--resume', calls[0]!.sessionId!],
      { cwd: repo, input: 'hi', encoding: 'utf8', env: { ...process.env, FAKE_AGENT_STATE: state } },
    );
    expect(elsewhere.status).toBe(1);
    expect(elsewhere.stderr).toContain('No conversation found');
  });
});
