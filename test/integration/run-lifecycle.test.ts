import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/views/task.js';
import { BIN, FIXTURES, type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome();

/**
 * The user's terminal: a 100x20 pane of a second tmux server on this test's own socket, running
 * `holdfast <args>`. Inside it $TMUX is set, as in the user's own tmux, unless `outsideTmux`.
 * holdfast's stderr goes to a file (`note()`): tmux repaints the whole screen once attached.
 */
function terminal(h: Home, args: string[], options: { outsideTmux?: boolean } = {}) {
  const socket = join(h.dir, 'term.sock');
  const noteFile = join(h.dir, `term-note-${++terminals}`);
  const term = (argv: string[]) => execFileSync('tmux', ['-S', socket, ...argv], { encoding: 'utf8' });
  term([
    'new-session',
    '-d',
    '-x',
    '100',
    '-y',
    '20',
    '-s',
    'term',
    '--',
    'env',
    ...(options.outsideTmux ? ['-u', 'TMUX'] : []),
    `HOLDFAST_HOME=${h.dir}`,
    'HOLDFAST_NO_DAEMON=1',
    `HF_NOTE=${noteFile}`,
    'bash',
    '-c',
    'exec "$@" 2>>"$HF_NOTE"',
    'bash',
    process.execPath,
    BIN,
    ...args,
    ';',
    'set-option',
    '-p',
    '-t',
    'term:',
    'remain-on-exit',
    'on',
  ]);
  const capture = () => term(['capture-pane', '-p', '-t', 'term:']);
  return {
    note: () => (existsSync(noteFile) ? readFileSync(noteFile, 'utf8') : ''),
    screen: (accept: (screen: string) => boolean) =>
      waitFor(capture, accept, { what: 'the terminal screen' }),
    keys: (keys: string[]) => term(['send-keys', '-t', 'term:', ...keys]),
    /** How holdfast in the terminal ended, once it has: `exit <code>` or `signal <n>`. */
    exit: async () => {
      const dead = await waitFor(
        () => {
          // tmux 3.3a can miss a child's exit: a SIGCHLD makes it reap. (A `run-shell true` can
          // itself be missed that way, and then it never returns.)
          process.kill(Number(term(['display-message', '-p', '#{pid}']).trim()), 'SIGCHLD');
          return term([
            'display-message',
            '-p',
            '-t',
            'term:',
            '#{pane_dead}|#{pane_dead_status}|#{pane_dead_signal}',
          ]).trim();
        },
        (s) => /^1\|(\d+\||\|\d+)/.test(s),
        { what: 'holdfast in the terminal to exit' },
      );
      const [, status, signal] = dead.split('|');
      return status ? `exit ${status}` : `signal ${signal}`;
    },
    close: () => execFileSync('tmux', ['-S', socket, 'kill-server'], { stdio: 'ignore' }),
  };
}

let terminals = 0;

/** A claude agent (the fake) that says one thing and then waits, silent, until killed. */
async function startHangingAgent(h: Home): Promise<void> {
  const r = await h.cli(['run', '--name', 'agent', '--agent', 'claude', '--cwd', h.dir], {
    env: {
      PATH: `${join(FIXTURES, 'fake-agent', 'bin')}:${process.env.PATH}`,
      FAKE_AGENT_STATE: join(h.dir, 'fake-state'),
      FAKE_AGENT_SCENARIO: JSON.stringify({ invocations: [[{ say: 'AGENT-SAYS-HELLO' }, { hang: true }]] }),
    },
    input: 'say hello',
  });
  expect(r.code, r.stderr).toBe(0);
  await waitFor(
    () => h.cli(['log', 'agent', '--raw']),
    (l) => l.stdout.includes('AGENT-SAYS-HELLO'),
    { what: 'the agent to speak' },
  );
}

async function finalState(name: string): Promise<TaskView> {
  const h = home();
  return waitFor(
    () => h.status(name),
    (v) => ['succeeded', 'failed', 'stopped'].includes(v.state),
    { what: `${name} to finish` },
  );
}

describe('holdfast run and the commands around it', () => {
  it('starts a detached task, prints its name and how to watch it, and lists it as running', async () => {
    const h = home();
    const run = await h.cli(['run', '--name', 'build', '--', 'sleep', '30']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('started build');
    expect(run.stdout).toContain('holdfast follow build');
    const list = await h.json<TaskView[]>(['ls']);
    expect(list.map((t) => [t.name, t.state])).toEqual([['build', 'running']]);
    expect(list[0]!.pid).toBeGreaterThan(0);
    expect(h.tmux(['list-sessions', '-F', '#{session_name}']).trim()).toBe('build');
    const human = await h.cli(['ls']);
    expect(human.stdout).toMatch(/NAME\s+STATE\s+PID\s+UPTIME\s+RESTARTS\s+EXIT\s+LAST OUTPUT\s+COMMAND/);
    expect(human.stdout).toMatch(/build\s+running\s+\d+/);
  });

  it('derives a unique name from the command when none is given', async () => {
    const h = home();
    const a = await h.json<TaskView>(['run', '--', 'sleep', '30']);
    const b = await h.json<TaskView>(['run', '--', 'sleep', '30']);
    expect(a.name).toBe('sleep-30');
    expect(b.name).toBe('sleep-30-2');
  });

  it.each([
    { code: 0, state: 'succeeded' },
    { code: 1, state: 'failed' },
    { code: 137, state: 'failed' },
  ])('records exit code $code from tmux as $state', async ({ code, state }) => {
    const h = home();
    await h.cli(['run', '--name', 'job', '--', 'bash', '-c', `exit ${code}`]);
    const view = await finalState('job');
    expect(view.state).toBe(state);
    expect(view.exitCode).toBe(code);
    expect(view.signal).toBeNull();
    expect(view.runs).toHaveLength(1);
    expect(view.runs[0]!.exitCode).toBe(code);
    expect(view.runs[0]!.endedAt).not.toBeNull();
  });

  it('records a death by signal with the signal name and no exit code', async () => {
    const h = home();
    await h.cli(['run', '--name', 'sig', '--', 'bash', '-c', 'kill -TERM $$']);
    const view = await finalState('sig');
    expect(view.state).toBe('failed');
    expect(view.signal).toBe('SIGTERM');
    expect(view.exitCode).toBeNull();
  });

  it('keeps the log: ANSI stripped by default, exact bytes with --raw, and every run with --run', async () => {
    const h = home();
    await h.cli(['run', '--name', 'colors', '--', 'printf', '\\033[31mred\\033[0m plain\\n']);
    await finalState('colors');
    const log = await h.cli(['log', 'colors']);
    expect(log.stdout).toBe('red plain\n');
    const raw = await h.cli(['log', 'colors', '--raw']);
    expect(raw.stdout).toBe('\u001b[31mred\u001b[0m plain\r\n');
    const one = await h.cli(['log', 'colors', '--run', '1', '--lines', '1']);
    expect(one.stdout).toBe('red plain\n');
    const bad = await h.cli(['log', 'colors', '--run', '7']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('the task has runs 1');
  });

  it('log --lines keeps only the last lines', async () => {
    const h = home();
    await h.cli(['run', '--name', 'many', '--', 'seq', '1', '1000']);
    await finalState('many');
    const tail = await h.cli(['log', 'many', '--lines', '3']);
    expect(tail.stdout).toBe('998\n999\n1000\n');
  });

  it('follow streams the output and ends when the task ends', async () => {
    const h = home();
    await h.cli([
      'run',
      '--name',
      'slow',
      '--',
      'bash',
      '-c',
      'for i in 1 2 3; do echo line-$i; sleep 0.2; done',
    ]);
    const follow = await h.cli(['follow', 'slow']);
    expect(follow.code).toBe(0);
    expect(follow.stdout).toMatch(/line-1\nline-2\nline-3\n/);
    expect(follow.stdout).toContain('── slow succeeded (exit 0) ──');
  });

  it('status shows one task in full with every run', async () => {
    const h = home();
    await h.cli(['run', '--name', 'st', '--cwd', '/tmp', '--', 'bash', '-c', 'exit 2']);
    const view = await finalState('st');
    expect(view).toMatchObject({
      name: 'st',
      state: 'failed',
      // A finished task wants nothing more: nothing will start it without a word from the user.
      desired: 'stopped',
      exitCode: 2,
      signal: null,
      restarts: 0,
      cwd: '/tmp',
      command: ['bash', '-c', 'exit 2'],
    });
    expect(Date.parse(view.createdAt)).not.toBeNaN();
    expect(view.runs[0]).toMatchObject({ n: 1, exitCode: 2, signal: null });
    expect(view.runs[0]!.log).toBe(join(home().dir, 'tasks', 'st', 'run-1.log'));
    const human = await h.cli(['status', 'st']);
    expect(human.stdout).toMatch(/state\s+failed/);
    expect(human.stdout).toMatch(/RUN\s+CAUSE\s+STARTED/);
  });

  it('stop sends SIGINT first: a task that exits on SIGINT stops at once', async () => {
    const h = home();
    await h.cli(['run', '--name', 'polite', '--', 'sleep', '600']);
    const started = Date.now();
    const stop = await h.cli(['stop', 'polite', '--timeout', '20s']);
    expect(stop.code).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
    const view = await h.status('polite');
    expect(view.state).toBe('stopped');
    expect(view.desired).toBe('stopped');
    expect(view.signal).toBe('SIGINT');
  });

  it('stop on a task that had already ended says so and leaves its state as it was', async () => {
    const h = home();
    await h.cli(['run', '--name', 'done', '--', 'true']);
    const finished = await finalState('done');
    expect(finished).toMatchObject({ state: 'succeeded', desired: 'stopped' });
    const stop = await h.cli(['stop', 'done']);
    expect(stop.code).toBe(0);
    expect(stop.stdout.trim()).toBe('done: had already ended (succeeded, exit 0)');
    expect(await h.status('done')).toMatchObject({ state: 'succeeded', desired: 'stopped', exitCode: 0 });
    const json = await h.json<{ name: string; state: string; alreadyEnded: boolean }[]>(['stop', 'done']);
    expect(json).toEqual([
      { name: 'done', state: 'succeeded', ended: true, alreadyEnded: true, survivors: [], stillRunning: [] },
    ]);
    expect((await h.events('done')).map((e) => e.type)).toEqual([
      'created',
      'started',
      'exited',
      'succeeded',
    ]);
  });

  it('stop escalates to SIGKILL after the timeout when SIGINT and SIGTERM are ignored', async () => {
    const h = home();
    await h.cli([
      'run',
      '--name',
      'stubborn',
      '--',
      'bash',
      '-c',
      "trap '' INT TERM; echo ready; while :; do sleep 0.1; done",
    ]);
    await waitFor(
      () => h.cli(['log', 'stubborn']),
      (r) => r.stdout.includes('ready'),
    );
    const stop = await h.cli(['stop', 'stubborn', '--timeout', '1s']);
    expect(stop.code).toBe(0);
    const view = await h.status('stubborn');
    expect(view.state).toBe('stopped');
    expect(view.signal).toBe('SIGKILL');
  });

  it('stop signals the whole process group, so forked children go too', async () => {
    const h = home();
    await h.cli(['run', '--name', 'tree', '--', 'bash', '-c', 'sleep 600 & echo child=$!; wait']);
    const log = await waitFor(
      () => h.cli(['log', 'tree']),
      (r) => /child=\d+/.test(r.stdout),
    );
    const child = Number(/child=(\d+)/.exec(log.stdout)![1]);
    await h.cli(['stop', 'tree', '--timeout', '2s']);
    await waitFor(
      () => existsSync(`/proc/${child}`) && !readFileSync(`/proc/${child}/stat`, 'utf8').includes(') Z'),
      (alive) => !alive,
      {
        what: 'the forked child to be gone',
      },
    );
  });

  it('rm refuses a live task, removes a finished one with its files, and --force stops first', async () => {
    const h = home();
    await h.cli(['run', '--name', 'live', '--', 'sleep', '600']);
    const refused = await h.cli(['rm', 'live']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('live is still live');
    expect((await h.status('live')).state).toBe('running');

    await h.cli(['run', '--name', 'done', '--', 'true']);
    await finalState('done');
    expect(existsSync(join(h.dir, 'tasks', 'done'))).toBe(true);
    const removed = await h.cli(['rm', 'done']);
    expect(removed.code).toBe(0);
    expect(existsSync(join(h.dir, 'tasks', 'done'))).toBe(false);
    expect((await h.json<TaskView[]>(['ls'])).map((t) => t.name)).toEqual(['live']);

    const forced = await h.cli(['rm', '--force', 'live']);
    expect(forced.code).toBe(0);
    expect(await h.json<TaskView[]>(['ls'])).toEqual([]);
    expect(() => h.tmux(['has-session', '-t', '=live'])).toThrow();
  });

  it('killall --yes stops every task of this home and nothing of another server', async () => {
    const h = home();
    const { makeHome } = await import('../helpers/home.js');
    const other = makeHome();
    try {
      await other.cli(['run', '--name', 'elsewhere', '--', 'sleep', '600']);
      await h.cli(['run', '--name', 'a', '--', 'sleep', '600']);
      await h.cli(['run', '--name', 'b', '--', 'sleep', '600']);
      const refused = await h.cli(['killall']);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('--yes');
      const killed = await h.cli(['killall', '--yes', '--timeout', '2s']);
      expect(killed.code).toBe(0);
      const states = (await h.json<TaskView[]>(['ls'])).map((t) => t.state);
      expect(states).toEqual(['stopped', 'stopped']);
      expect((await other.status('elsewhere')).state).toBe('running');
    } finally {
      other.cleanup();
    }
  });

  it('attach from inside your own tmux: the task shows, the note names Ctrl-] d, which detaches with exit 0', async () => {
    const h = home();
    await h.cli(['run', '--name', 'shown', '--', 'bash', '-c', 'echo VISIBLE-IN-ATTACH; sleep 600']);
    await waitFor(
      () => h.cli(['log', 'shown']),
      (r) => r.stdout.includes('VISIBLE'),
    );
    // The user's terminal: a pane of a second tmux server (so $TMUX is set in it, as in the user's own tmux).
    const t = terminal(h, ['attach', 'shown']);
    try {
      const screen = await t.screen((s) => s.includes('VISIBLE-IN-ATTACH'));
      expect(screen).toContain('[hf shown]');
      expect(screen).toContain('detach: C-] d');
      // C-b would go to the user's own tmux; holdfast's second prefix reaches its client.
      t.keys(['C-]', 'd']);
      expect(await t.exit()).toBe('exit 0');
      expect(t.note()).toContain('attached to shown — detach: Ctrl-] d; Ctrl-C goes to the task');
      expect((await h.status('shown')).state).toBe('running');
    } finally {
      t.close();
    }
  });

  it('attach from a plain terminal names Ctrl-b d, which detaches; Ctrl-C goes to the task, as the note says', async () => {
    const h = home();
    await h.cli(['run', '--name', 'plain', '--', 'bash', '-c', 'echo PLAIN-READY; exec sleep 600']);
    await waitFor(
      () => h.cli(['log', 'plain']),
      (r) => r.stdout.includes('PLAIN-READY'),
    );
    const detached = terminal(h, ['attach', 'plain'], { outsideTmux: true });
    try {
      await detached.screen((s) => s.includes('PLAIN-READY'));
      detached.keys(['C-b', 'd']);
      expect(await detached.exit()).toBe('exit 0');
      expect(detached.note()).toContain(
        'attached to plain — detach: Ctrl-b d or Ctrl-] d; Ctrl-C goes to the task',
      );
    } finally {
      detached.close();
    }
    const interrupted = terminal(h, ['attach', 'plain'], { outsideTmux: true });
    try {
      await interrupted.screen((s) => s.includes('PLAIN-READY'));
      interrupted.keys(['C-c']);
      const ended = await finalState('plain');
      expect(ended.signal).toBe('SIGINT');
    } finally {
      interrupted.close();
    }
  });

  it('attach to a headless agent shows its readable transcript; Ctrl-C stops watching and the agent keeps running', async () => {
    const h = home();
    await startHangingAgent(h);
    const t = terminal(h, ['attach', 'agent']);
    try {
      const screen = await t.screen((s) => s.includes('AGENT-SAYS-HELLO'));
      expect(t.note()).toContain('agent is a headless agent: its transcript follows');
      expect(screen).not.toContain('{"');
      // Nothing is attached to the pane, so nothing typed can reach the agent or its log.
      expect(h.tmux(['list-clients', '-F', '#{client_session}']).trim()).toBe('');
      t.keys(['C-c']);
      expect(await t.exit()).toBe('signal 2');
      expect((await h.status('agent')).state).toBe('running');
    } finally {
      t.close();
    }
  });

  it('attach --raw to a headless agent is read-only: its stream shows, and typed keys never reach its log', async () => {
    const h = home();
    await startHangingAgent(h);
    const t = terminal(h, ['attach', 'agent', '--raw']);
    try {
      await t.screen((s) => s.includes('AGENT-SAYS-HELLO'));
      expect(h.tmux(['list-clients', '-F', '#{client_session} #{client_readonly}']).trim()).toBe('agent 1');
      t.keys(['TYPED-BY-USER', 'Enter']);
      t.keys(['C-]', 'd']);
      expect(await t.exit()).toBe('exit 0');
      expect(t.note()).toContain(
        'attached to agent — detach: Ctrl-] d; read-only: keys you type do not reach the task',
      );
      const log = await h.cli(['log', 'agent', '--raw']);
      expect(log.stdout).toContain('AGENT-SAYS-HELLO');
      expect(log.stdout).not.toContain('TYPED-BY-USER');
    } finally {
      t.close();
    }
  });

  it('events journals created, started, exited, stop and removal', async () => {
    const h = home();
    await h.cli(['run', '--name', 'j', '--', 'sleep', '600']);
    await h.cli(['stop', 'j', '--timeout', '2s']);
    const events = await h.events('j');
    expect(events.map((e) => e.type)).toEqual(['created', 'started', 'stop-requested', 'exited', 'stopped']);
    expect(events[3]!.data).toMatchObject({ run: 1, signal: 'SIGINT', exitCode: null });
    const human = await h.cli(['events', 'j']);
    expect(human.stdout).toMatch(/exited\s+run=1/);
  });

  it('gives the task the environment of the run that created it, without the values in any argv', async () => {
    const h = home();
    const secret = 'sk-secret $(not run) "quoted"\nsecond line';
    await h.cli(
      [
        'run',
        '--name',
        'envy',
        '--',
        'bash',
        '-c',
        'printf "%s" "$HF_TEST_SECRET" | base64 -w0; echo; sleep 600',
      ],
      {
        env: { HF_TEST_SECRET: secret },
      },
    );
    const log = await waitFor(
      () => h.cli(['log', 'envy']),
      (r) => r.stdout.trim().length > 0,
    );
    expect(Buffer.from(log.stdout.trim(), 'base64').toString()).toBe(secret);
    const pid = (await h.status('envy')).pid!;
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    expect(cmdline).not.toContain('sk-secret');
  });

  it('keeps holdfast files private: directories 0700, files 0600', async () => {
    const h = home();
    await h.cli(['run', '--name', 'modes', '--', 'true']);
    await finalState('modes');
    const mode = (p: string) => statSync(join(h.dir, p)).mode & 0o777;
    expect(mode('.')).toBe(0o700);
    expect(mode('tasks')).toBe(0o700);
    expect(mode('tasks/modes')).toBe(0o700);
    expect(mode('holdfast.db')).toBe(0o600);
    expect(mode('tasks/modes/run-1.log')).toBe(0o600);
    expect(mode('tasks/modes/env')).toBe(0o600);
    expect(mode('tmux.conf')).toBe(0o600);
  });

  it("gives the task its creator's umask, not holdfast's 077", async () => {
    const h = home();
    const dir = h.dir;
    await h.cli(['run', '--name', 'um', '--', 'bash', '-c', `umask; touch ${dir}/made-by-task`]);
    await finalState('um');
    expect(statSync(join(dir, 'made-by-task')).mode & 0o777).toBe(0o666 & ~process.umask());
  });
});

describe('reaping', () => {
  it('a task killed while nothing nudges tmux is reaped at once, its status known (20 kills)', async () => {
    const h = home();
    // No daemon runs, and nothing here lists or signals the server: only the pane's own launcher
    // can make tmux reap a death it missed (docs/architecture.md, "Missed reaps").
    const unreaped: string[] = [];
    for (let i = 0; i < 20; i++) {
      const name = `reap-${i}`;
      const v = await h.json<TaskView>(['run', '--name', name, '--json', '--', 'sleep', '600']);
      process.kill(v.pid!, 'SIGKILL');
      const dead = () =>
        h.tmux(['display-message', '-p', '-t', `=${name}:`, '#{pane_dead}|#{pane_dead_signal}']).trim();
      try {
        await waitFor(dead, (s) => s === '1|9', { what: `${name} reaped`, timeoutMs: 1000 });
      } catch {
        unreaped.push(`${name}: ${dead()}`);
      }
    }
    expect(unreaped).toEqual([]);
  });
});
