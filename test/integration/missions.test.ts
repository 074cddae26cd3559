import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MissionView } from '../../src/cli/commands/mission/view.js';
import type { TaskView } from '../../src/views/task.js';
import { currentDaemonPid, daemonProcesses, daemonStatus, waitForDaemon } from '../helpers/daemon.js';
import { makeRepo } from '../helpers/git.js';
import { FIXTURES, type Home, useHome } from '../helpers/home.js';
import { prng, testSeed } from '../helpers/random.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome({ daemon: true });
const FAKE_BIN = join(FIXTURES, 'fake-agent', 'bin');

const MISSION = `# Tiny app

Make three files, one per milestone.

## Alpha
Create a.txt.
gate: test -f a.txt

## Beta
Create b.txt.
gate: test -f b.txt

## Gamma
c.txt must say done.
gate: grep -q done c.txt
`;

interface Setup {
  repo: string;
  state: string;
  env: NodeJS.ProcessEnv;
}

function setup(h: Home, scenario: object): Setup {
  const repo = makeRepo(join(h.dir, 'repo'));
  const state = join(h.dir, 'fake');
  writeFileSync(join(h.dir, 'mission.md'), MISSION);
  return {
    repo,
    state,
    env: {
      PATH: `${FAKE_BIN}:${process.env.PATH}`,
      FAKE_AGENT_STATE: state,
      FAKE_AGENT_SCENARIO: JSON.stringify(scenario),
    },
  };
}

const write = (path: string, content: string) => ({ write: { path, content } });
const session = (...steps: object[]) => ({ steps: [...steps, { succeed: true }] });

function agentCalls(state: string): { argv: string[]; stdin: string }[] {
  if (!existsSync(join(state, 'invocations.jsonl'))) return [];
  return readFileSync(join(state, 'invocations.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((x) => x.kind === 'run');
}

const missionStatus = (h: Home, name: string) => h.json<MissionView>(['mission', 'status', name]);

describe('missions', () => {
  it('drives three milestones to the end through their gates, with a continuation session that gets a generated prompt', async () => {
    const h = home();
    const s = setup(h, {
      invocations: [
        session(write('a.txt', 'a\n'), { say: 'made a' }),
        session(write('b.txt', 'b\n'), { say: 'made b' }),
        session(write('c.txt', 'wip\n'), { say: 'c is a work in progress' }),
        session(write('c.txt', 'done\n'), { say: 'c is done' }),
      ],
    });
    const init = await h.cli(
      ['mission', 'init', 'tiny', '--agent', 'claude', '--cwd', s.repo, '--file', join(h.dir, 'mission.md')],
      { env: s.env },
    );
    expect(init.code, init.stderr).toBe(0);
    expect((await h.cli(['mission', 'start', 'tiny'], { env: s.env })).code).toBe(0);
    const done = await waitFor(
      () => missionStatus(h, 'tiny'),
      (v) => v.state === 'done',
      { what: 'the mission to finish', timeoutMs: 30_000 },
    );
    expect(done.milestones.map((m) => m.status)).toEqual(['done', 'done', 'done']);
    expect(done.sessions.map((x) => [x.milestone, x.endedHow])).toEqual([
      ['Alpha', 'the gate passed'],
      ['Beta', 'the gate passed'],
      ['Gamma', 'the agent said it finished, but the gate failed (exit 1)'],
      ['Gamma', 'the gate passed'],
    ]);
    expect(done.checkpoints).toBeGreaterThanOrEqual(1);
    expect(done.costUsd).toBeGreaterThan(0);
    const calls = agentCalls(s.state);
    expect(calls).toHaveLength(4);
    const id = calls[0]!.argv.at(-1)!;
    expect(calls.slice(1).map((c) => c.argv.slice(-2))).toEqual([
      ['--resume', id],
      ['--resume', id],
      ['--resume', id],
    ]);
    expect(calls[0]!.stdin).toContain('# Mission: Tiny app');
    const continuation = calls[3]!.stdin;
    for (const part of [
      'Make three files, one per milestone.',
      '- [x] Alpha',
      '- [x] Beta',
      '**Gamma** (current)',
      'c.txt must say done.',
      'The agent said it finished, but the gate failed (exit 1)',
      '> c is a work in progress',
      'c.txt',
      '1 file changed',
      '`grep -q done c.txt` exited with 1',
      'Make the gate pass: `grep -q done c.txt`',
    ]) {
      expect(continuation).toContain(part);
    }
    const gate = await h.status('tiny-gate');
    expect(gate.runs).toHaveLength(4);
  });

  it('continue-prompt prints what the next session would get', async () => {
    const h = home();
    const s = setup(h, {});
    await h.cli(
      [
        'mission',
        'init',
        'plan',
        '--cwd',
        s.repo,
        '--milestone',
        'Parser: write the parser',
        '--milestone',
        'Docs: document it',
        '--gate',
        'true',
      ],
      { env: s.env },
    );
    const prompt = await h.cli(['mission', 'continue-prompt', 'plan']);
    expect(prompt.code).toBe(0);
    expect(prompt.stdout).toContain('# Mission: plan');
    expect(prompt.stdout).toContain('write the parser');
    expect(prompt.stdout).toContain('Docs');
  });

  it('pauses with the reason when a budget runs out, deleting nothing', async () => {
    const h = home();
    const s = setup(h, { default: session({ say: 'tried' }) });
    await h.cli(
      [
        'mission',
        'init',
        'stuck',
        '--cwd',
        s.repo,
        '--milestone',
        'Impossible: never passes',
        '--gate',
        'false',
        '--max-sessions',
        '2',
      ],
      { env: s.env },
    );
    await h.cli(['mission', 'start', 'stuck'], { env: s.env });
    const paused = await waitFor(
      () => missionStatus(h, 'stuck'),
      (v) => v.state === 'paused',
      { timeoutMs: 30_000 },
    );
    expect(paused.reason).toBe('max-sessions (2)');
    expect(paused.sessions).toHaveLength(2);
    expect(agentCalls(s.state)).toHaveLength(2);
    expect((await h.status('stuck')).runs).toHaveLength(2);
    expect(paused.next).toBe('paused (max-sessions (2)): holdfast mission resume stuck --max-sessions 4');
  });

  it('a mission paused by its budget resumes only with a raise: refused without one (the hint names the flag), then runs the raised budget', async () => {
    const h = home();
    const s = setup(h, { default: session({ say: 'tried' }) });
    const init = await h.cli(
      [
        'mission',
        'init',
        'never',
        '--cwd',
        s.repo,
        '--milestone',
        'Impossible: never passes',
        '--gate',
        'false',
        '--max-sessions',
        '1',
      ],
      { env: s.env },
    );
    expect(init.stdout).toContain('mission never defined with 1 milestone;');
    await h.cli(['mission', 'start', 'never'], { env: s.env });
    await waitFor(
      () => missionStatus(h, 'never'),
      (v) => v.state === 'paused',
      { timeoutMs: 30_000 },
    );
    const status = await h.cli(['mission', 'status', 'never']);
    expect(status.stdout).toContain(', 1 session, ');

    const plain = await h.cli(['mission', 'resume', 'never'], { env: s.env });
    expect(plain.code).toBe(1);
    expect(plain.stderr).toBe(
      'holdfast: mission never has used its budget: max-sessions (1), 1 session so far\n' +
        'hint: raise it: holdfast mission resume never --max-sessions 2\n',
    );
    const same = await h.cli(['mission', 'resume', 'never', '--max-sessions', '1'], { env: s.env });
    expect(same.code).toBe(1);
    expect(same.stderr).toBe(
      'holdfast: --max-sessions 1 is not a raise: the mission has already used 1 session\n' +
        'hint: give more than that, e.g. --max-sessions 2\n',
    );
    const bad = await h.cli(['mission', 'resume', 'never', '--max-sessions', 'lots'], { env: s.env });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--max-sessions: expected a positive number, got "lots"');
    const refused = await missionStatus(h, 'never');
    expect(refused).toMatchObject({ state: 'paused', reason: 'max-sessions (1)' });
    expect(refused.budget.maxSessions).toBe(1);
    expect(agentCalls(s.state)).toHaveLength(1);

    const raised = await h.cli(['mission', 'resume', 'never', '--max-sessions', '2'], { env: s.env });
    expect(raised.code, raised.stderr).toBe(0);
    const again = await waitFor(
      () => missionStatus(h, 'never'),
      (v) => v.state === 'paused' && v.sessions.length === 2,
      { what: 'the raised budget to run out', timeoutMs: 30_000 },
    );
    expect(again.reason).toBe('max-sessions (2)');
    expect(again.budget.maxSessions).toBe(2);
    expect(agentCalls(s.state)).toHaveLength(2);
    const resumed = (await h.json<{ type: string; data: unknown }[]>(['events', 'never'])).filter(
      (e) => e.type === 'mission-resumed',
    );
    expect(resumed.map((e) => e.data)).toEqual([{ raised: { maxSessions: { from: 1, to: 2 } } }]);
  });

  it('continue-prompt of a finished mission says it is done instead of rendering a session that will never run', async () => {
    const h = home();
    await h.cli(['mission', 'init', 'over', '--cwd', h.dir, '--milestone', 'Only: a person decides']);
    expect((await h.cli(['mission', 'done', 'over', '1'])).code).toBe(0);
    expect((await missionStatus(h, 'over')).state).toBe('done');
    const prompt = await h.cli(['mission', 'continue-prompt', 'over']);
    expect(prompt.code).toBe(1);
    expect(prompt.stdout).toBe('');
    expect(prompt.stderr).toBe(
      'holdfast: mission over is done: every milestone passed, no session will run\n' +
        'hint: holdfast mission status over shows how it went\n',
    );
  });

  it('a milestone without a gate is done when marked done; until then sessions continue', async () => {
    const h = home();
    const s = setup(h, {
      invocations: [
        session({ say: 'finished?' }),
        { steps: [{ say: 'checking' }, { sleep: 3000 }, { succeed: true }] },
      ],
    });
    await h.cli(['mission', 'init', 'manual', '--cwd', s.repo, '--milestone', 'Review: a person decides'], {
      env: s.env,
    });
    await h.cli(['mission', 'start', 'manual'], { env: s.env });
    await waitFor(
      () => missionStatus(h, 'manual'),
      (v) => v.sessions.length === 2,
      { timeoutMs: 15_000 },
    );
    const first = (await missionStatus(h, 'manual')).sessions[0]!;
    expect(first.endedHow).toBe('the agent said it finished, but did not mark the milestone done');
    expect((await h.cli(['mission', 'done', 'manual', 'review'])).code).toBe(0);
    const done = await waitFor(
      () => missionStatus(h, 'manual'),
      (v) => v.state === 'done',
      { timeoutMs: 15_000 },
    );
    expect(done.milestones[0]!.doneBy).toBe('user');
    expect(done.sessions).toHaveLength(2);
  });

  it('a daemon killed in the middle of a gate: the gate runs once, and the mission goes on', async () => {
    const h = home();
    const s = setup(h, { default: session(write('a.txt', 'a\n'), { say: 'made a' }) });
    const counter = join(h.dir, 'gate-runs');
    await h.cli(
      [
        'mission',
        'init',
        'slowgate',
        '--cwd',
        s.repo,
        '--milestone',
        'Alpha: make a',
        '--gate',
        `echo ran >> ${counter}; sleep 1.5; test -f a.txt`,
      ],
      { env: s.env },
    );
    await h.cli(['mission', 'start', 'slowgate'], { env: s.env });
    await waitFor(() => existsSync(counter), Boolean, { what: 'the gate to start', timeoutMs: 15_000 });
    const pid = await waitForDaemon(h);
    process.kill(pid, 'SIGKILL');
    const done = await waitFor(
      () => missionStatus(h, 'slowgate'),
      (v) => v.state === 'done',
      { timeoutMs: 20_000 },
    );
    expect(done.sessions).toHaveLength(1);
    expect(readFileSync(counter, 'utf8')).toBe('ran\n');
    expect((await h.status('slowgate-gate')).runs).toHaveLength(1);
  });

  it('daemons killed again and again through the hand-overs: no gate twice, no second session for a milestone', async () => {
    const h = home();
    const s = setup(h, {
      invocations: [
        session(write('a.txt', 'a\n'), { say: 'a' }),
        session(write('b.txt', 'b\n'), { say: 'b' }),
        session(write('c.txt', 'done\n'), { say: 'c' }),
      ],
    });
    const counter = join(h.dir, 'gate-runs');
    writeFileSync(join(h.dir, 'mission.md'), MISSION.replaceAll('gate: ', `gate: echo x >> ${counter}; `));
    await h.cli(['mission', 'init', 'chaos', '--cwd', s.repo, '--file', join(h.dir, 'mission.md')], {
      env: s.env,
    });
    await h.cli(['mission', 'start', 'chaos'], { env: s.env });
    // The kill times are random, from a seed named in every assertion so a failure can be replayed.
    const seed = testSeed();
    const replay = `seed ${seed}: replay with HOLDFAST_TEST_SEED=${seed}`;
    const random = prng(seed);
    for (let i = 0; i < 12; i++) {
      const view = await missionStatus(h, 'chaos');
      if (view.state === 'done') break;
      await new Promise((r) => setTimeout(r, 150 + random() * 250));
      const pid = currentDaemonPid(h);
      if (pid !== null) process.kill(pid, 'SIGKILL');
    }
    const done = await waitFor(
      () => missionStatus(h, 'chaos'),
      (v) => v.state === 'done',
      { what: `the mission to finish (${replay})`, timeoutMs: 30_000 },
    );
    expect(
      done.sessions.map((x) => x.milestone),
      replay,
    ).toEqual(['Alpha', 'Beta', 'Gamma']);
    expect(agentCalls(s.state), replay).toHaveLength(3);
    expect(readFileSync(counter, 'utf8').trim().split('\n'), replay).toHaveLength(3);
    expect((await h.status('chaos-gate')).runs, replay).toHaveLength(3);
  });

  it('a session whose agent cannot log in pauses the mission, and the session keeps how it ended through the resume', async () => {
    const h = home();
    // claude's login failure (fake-agent README, claude: Auth) fails the task, never retried.
    const s = setup(h, {
      invocations: [{ steps: [{ authFail: true }] }],
      default: session(write('a.txt', 'a\n'), { say: 'made a' }),
    });
    await h.cli(
      [
        'mission',
        'init',
        'login',
        '--cwd',
        s.repo,
        '--milestone',
        'Alpha: make a',
        '--gate',
        'test -f a.txt',
      ],
      {
        env: s.env,
      },
    );
    await h.cli(['mission', 'start', 'login'], { env: s.env });
    const paused = await waitFor(
      () => missionStatus(h, 'login'),
      (v) => v.state === 'paused',
      { what: 'the mission to pause', timeoutMs: 20_000 },
    );
    expect(paused.reason).toBe('session 1 failed: auth');
    expect(paused.phase).toBe('idle');
    expect((await h.cli(['mission', 'resume', 'login'], { env: s.env })).code).toBe(0);
    const done = await waitFor(
      () => missionStatus(h, 'login'),
      (v) => v.state === 'done',
      { what: 'the mission to finish', timeoutMs: 20_000 },
    );
    expect(done.sessions.map((x) => x.endedHow)).toEqual(['the agent task failed (auth)', 'the gate passed']);
  });

  it('pause ends the session at once and stops its run; a milestone marked done while paused is passed over on resume', async () => {
    const h = home();
    // The first session works until it is stopped (fake-agent README, scenario steps: hang).
    const s = setup(h, {
      invocations: [{ steps: [{ say: 'working on it' }, { hang: true }] }],
      default: session(write('b.txt', 'b\n'), { say: 'made b' }),
    });
    await h.cli(['mission', 'init', 'halt', '--cwd', s.repo, '--file', join(h.dir, 'mission.md')], {
      env: s.env,
    });
    await h.cli(['mission', 'start', 'halt'], { env: s.env });
    await waitFor(
      () => h.status('halt'),
      (t) => t.state === 'running' && agentCalls(s.state).length === 1,
      { what: 'the first session to be working', timeoutMs: 15_000 },
    );
    const pause = await h.cli(['mission', 'pause', 'halt']);
    expect(pause.code, pause.stderr).toBe(0);
    const paused = await missionStatus(h, 'halt');
    expect(paused).toMatchObject({ state: 'paused', reason: 'paused by user', phase: 'idle' });
    expect(paused.sessions.map((x) => x.endedHow)).toEqual(['the mission was paused']);
    expect((await h.status('halt')).state).toBe('stopped');

    expect((await h.cli(['mission', 'done', 'halt', 'alpha'])).code).toBe(0);
    expect((await missionStatus(h, 'halt')).milestones.map((m) => m.status)).toEqual([
      'done',
      'active',
      'pending',
    ]);
    expect((await h.cli(['mission', 'resume', 'halt'], { env: s.env })).code).toBe(0);
    const beta = await waitFor(
      () => missionStatus(h, 'halt'),
      (v) => v.sessions.some((x) => x.endedHow === 'the gate passed'),
      { what: 'the Beta session to pass its gate', timeoutMs: 20_000 },
    );
    expect(beta.sessions.slice(0, 2).map((x) => [x.milestone, x.endedHow])).toEqual([
      ['Alpha', 'the mission was paused'],
      ['Beta', 'the gate passed'],
    ]);
  });

  it('mission start --no-daemon takes the first step itself and starts no daemon', async () => {
    const h = home();
    const s = setup(h, { default: session({ say: 'done' }) });
    await h.cli(
      ['mission', 'init', 'solo', '--cwd', s.repo, '--milestone', 'Alpha: make a', '--gate', 'true'],
      {
        env: s.env,
      },
    );
    const r = await h.cli(['mission', 'start', 'solo', '--no-daemon', '--json'], { env: s.env });
    expect(r.code, r.stderr).toBe(0);
    const view = JSON.parse(r.stdout) as MissionView;
    expect(view).toMatchObject({
      state: 'running',
      phase: 'session',
      next: 'session 1 is working on "Alpha"',
    });
    expect((await daemonStatus(h)).running).toBe(false);
    expect(daemonProcesses(h.dir)).toEqual([]);
    // Last: status starts a daemon for a task that wants supervising, as every command that reads tasks does.
    expect((await h.status('solo')).runs).toHaveLength(1);
  });

  it('a bad mission file is refused with the line number, and nothing is created', async () => {
    const h = home();
    const bad = join(h.dir, 'bad.md');
    writeFileSync(bad, '# Title\n\n## One\ngate:\n');
    const r = await h.cli(['mission', 'init', 'bad', '--file', bad, '--cwd', h.dir]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/bad\.md:4: .*gate/);
    expect(JSON.parse((await h.cli(['mission', 'status', '--json'])).stdout)).toEqual([]);
    const none = await h.cli(['mission', 'init', 'empty', '--cwd', h.dir]);
    expect(none.stderr).toContain('a mission needs milestones');
  });

  it('a session denied its tools pauses the mission (needs-input: permission-denied) instead of starting another; build warns first', async () => {
    const h = home();
    // claude in print mode without the bypass flag is refused Bash (fake-agent README, claude:
    // Permission denial); with it, the same call runs.
    const touch = { tool: 'Bash', input: { command: 'touch hello.txt' }, output: '', needsApproval: true };
    const s = setup(h, {
      invocations: [session(touch, { say: 'I need permission to run touch.' })],
      // The run resumed by hand works a while, so the mission is resumed while it is still going.
      default: session(touch, { sleep: 10_000 }, write('hello.txt', 'hi\n'), { say: 'built it' }),
    });
    const r = await h.cli(['build', 'a hello file', '--gate', 'test -f hello.txt', '--max-sessions', '5'], {
      env: s.env,
      cwd: s.repo,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'holdfast: warning: without --unattended the agent cannot run tools that need approval',
    );
    expect(r.stderr).toContain('hint: pass --unattended');
    const name = 'build-a-hello-file';
    const paused = await waitFor(
      () => missionStatus(h, name),
      (v) => v.state === 'paused',
      { what: 'the mission to pause', timeoutMs: 20_000 },
    );
    expect(paused.reason).toBe('needs-input: permission-denied');
    expect(paused.sessions.map((x) => x.endedHow)).toEqual([
      'the agent task waits for input (permission-denied: Bash)',
    ]);
    expect(agentCalls(s.state)).toHaveLength(1);
    const task = await h.status(name);
    expect(task.state).toBe('waiting-input');
    expect(task.runs).toHaveLength(1);
    // No gate ran for a session that did not get to work.
    expect((await h.json<TaskView[]>(['ls'])).map((t) => t.name)).toEqual([name]);

    // The person answers: the task gets its tools, and the mission is resumed while that run is
    // still going; its next session waits for the run to end, then the mission goes on to its gate.
    expect((await h.cli(['resume', name, '--unattended'])).code).toBe(0);
    expect((await h.cli(['mission', 'resume', name], { env: s.env })).code).toBe(0);
    expect((await h.status(name)).runs.map((x) => x.endedAt === null)).toEqual([false, true]);
    const done = await waitFor(
      () => missionStatus(h, name),
      (v) => v.state === 'done',
      { what: 'the mission to finish', timeoutMs: 40_000 },
    );
    expect(done.sessions.at(-1)!.endedHow).toBe('the gate passed');
    expect(
      agentCalls(s.state)
        .slice(1)
        .every((c) => c.argv.includes('--dangerously-skip-permissions')),
    ).toBe(true);
  }, 120_000);

  it('build runs a one-milestone mission in the current directory', async () => {
    const h = home();
    const s = setup(h, { default: session(write('hello.txt', 'hi\n'), { say: 'built it' }) });
    const r = await h.cli(['build', 'a hello file', '--gate', 'test -f hello.txt'], {
      env: s.env,
      cwd: s.repo,
    });
    expect(r.code, r.stderr).toBe(0);
    const [view] = await waitFor(
      () => h.json<MissionView[]>(['mission', 'status']),
      (v) => v[0]?.state === 'done',
      { timeoutMs: 15_000 },
    );
    expect(view!.name).toBe('build-a-hello-file');
    expect(view!.cwd).toBe(s.repo);
    expect(readFileSync(join(s.repo, 'hello.txt'), 'utf8')).toBe('hi\n');
  });
});
