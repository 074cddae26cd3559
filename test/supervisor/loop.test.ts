/**
 * The supervision loop driven directly, on a clock the test moves: backoffs, probes, stall and stop
 * timers happen when the test says it is time, never by waiting. The processes are real (a private
 * tmux server): only their deaths are waited for.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RESTART_POLICY, type RestartPolicy, type TaskSpec } from '../../src/core/task.js';
import { createTask } from '../../src/supervisor/create.js';
import { STUCK_AFTER_MS } from '../../src/supervisor/host.js';
import { submitIntent } from '../../src/supervisor/intents.js';
import { HEARTBEAT_MS } from '../../src/supervisor/lease.js';
import type { WatchFolder } from '../../src/supervisor/log-watch.js';
import { Loop, TAIL_MS } from '../../src/supervisor/loop.js';
import { openRuntime, type Runtime } from '../../src/supervisor/runtime.js';
import { type Home, makeHome } from '../helpers/home.js';

class FakeClock {
  constructor(public t: number) {}
  now = () => this.t;
  advance(ms: number) {
    this.t += ms;
  }
}

const opened: { home: Home; rt: Runtime }[] = [];
afterEach(() => {
  for (const { home, rt } of opened.splice(0)) {
    rt.store.close();
    home.cleanup();
  }
});

function setup(): { rt: Runtime; clock: FakeClock; loop: Loop; home: Home } {
  const home = makeHome();
  // Ahead of the system clock, as a clock that has been moved on is: tmux's own times are older.
  const clock = new FakeClock(Date.now() + 1000);
  const rt = openRuntime(home.dir, clock);
  opened.push({ home, rt });
  const loop = new Loop(rt, { clock, random: () => 0 });
  return { rt, clock, loop, home };
}

function spec(
  dir: string,
  command: string[],
  over: Partial<TaskSpec> = {},
  policy: Partial<RestartPolicy> = {},
): TaskSpec {
  return {
    command,
    cwd: dir,
    umask: '022',
    restart: { ...DEFAULT_RESTART_POLICY, mode: 'on-failure', ...policy },
    stallTimeoutMs: null,
    onStall: 'restart',
    agent: null,
    checkpointEveryMs: null,
    mission: null,
    ...over,
  };
}

/** Passes at the same (fake) time until `done`: only real processes starting or dying are waited for. */
async function passUntil(loop: Loop, done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    // A fresh look each time (the clock, standing still, would not make one due).
    loop.lookAgain();
    await loop.pass();
    if (done()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * What a starter killed mid-launch leaves: a run row with no pid, and a starter that is gone (the
 * task created and the run made current, as the starter's decision did).
 */
async function strandedRun(
  rt: Runtime,
  clock: FakeClock,
  dir: string,
  name: string,
  policy: Partial<RestartPolicy> = {},
): Promise<{ taskId: number; runId: number }> {
  const task = await createTask(rt, {
    name,
    nameBase: name,
    spec: spec(dir, ['sleep', '30'], {}, policy),
    env: { PATH: process.env.PATH },
  });
  const deadStarter = spawnSync('true').pid!;
  const runId = rt.store.tx(() => {
    const run = rt.store.runs.insert({
      taskId: task.id,
      n: 1,
      cause: 'start',
      startedAt: clock.now(),
      logPath: rt.paths.runLog(name, 1),
      starterPid: deadStarter,
    });
    rt.store.tasks.update(
      task.id,
      { state: 'starting', currentRunId: run.id, nextStartAt: null },
      clock.now(),
    );
    return run.id;
  });
  return { taskId: task.id, runId };
}

/** Whether this home's tmux server answers. */
function serverRuns(home: Home): boolean {
  return spawnSync('tmux', ['-S', home.socket, 'list-sessions'], { stdio: 'ignore' }).status === 0;
}

const state = (rt: Runtime, id: number) => rt.store.tasks.byId(id)!.state;
const runs = (rt: Runtime, id: number) => rt.store.runs.forTask(id);

describe('the loop on a fake clock', () => {
  it('does not launch again a run whose starter died while a tmux client of its is still at work, and does once none is', async () => {
    const { rt, clock, loop, home } = setup();
    // A server with a task in it: the orphan's pane is looked for in a real listing.
    const keeper = await createTask(rt, {
      name: 'keeper',
      nameBase: 'keeper',
      spec: spec(home.dir, ['sleep', '30']),
      env: { PATH: process.env.PATH },
    });
    await passUntil(loop, () => state(rt, keeper.id) === 'running', 'the keeper running');
    const { taskId, runId } = await strandedRun(rt, clock, home.dir, 'orphan');
    // What the dead starter's detached tmux client looks like while it is still putting the pane
    // there: a process with the socket and the run's `@hf_run` in its argv (steps/launch.ts).
    const client = spawn(
      'bash',
      [
        '-c',
        'sleep 30; true',
        'tmux',
        '-S',
        home.socket,
        'set-option',
        '-p',
        '-t',
        '=orphan:',
        '@hf_run',
        String(runId),
      ],
      { stdio: 'ignore' },
    );
    const resumed = () => rt.store.events.forTask(taskId).filter((e) => e.type === 'launch-resumed');
    try {
      for (let i = 0; i < 3; i++) {
        loop.lookAgain();
        await loop.pass();
      }
      expect(resumed()).toHaveLength(0);
      expect(runs(rt, taskId)[0]!.pid).toBeNull();
    } finally {
      client.kill('SIGKILL');
    }
    await new Promise((resolve) => client.once('exit', resolve));
    await passUntil(loop, () => runs(rt, taskId)[0]!.pid !== null, 'the run relaunched');
    expect(resumed()).toHaveLength(1);
    expect(runs(rt, taskId)).toHaveLength(1);
  });

  it('launches again a run whose starter died before recording a pid when no tmux server runs at all', async () => {
    // The starter died with the server it was launching into (a daemon and the tmux server killed
    // together): with no server left, nothing else would ever put the run into tmux.
    const { rt, clock, loop, home } = setup();
    const { taskId } = await strandedRun(rt, clock, home.dir, 'orphan');
    expect(serverRuns(home)).toBe(false);
    await passUntil(loop, () => state(rt, taskId) === 'running', 'the run launched and running');
    expect(rt.store.events.forTask(taskId).filter((e) => e.type === 'launch-resumed')).toHaveLength(1);
    expect(runs(rt, taskId)).toHaveLength(1);
    expect(runs(rt, taskId)[0]!.pid).not.toBeNull();
    expect(serverRuns(home)).toBe(true);
  });

  it.each([
    ['its log holds the output of its task', 'log'],
    ['its launcher reported the pid of its task', 'pid'],
  ] as const)(
    'ends as lost with its server, and does not launch again, a run whose starter died after it reached tmux (%s)',
    async (_what, evidence) => {
      // It reached a server that is gone now: launching the same run again would put its first lines
      // into its log twice (chaos found this after `launch-resumed`). It ends; the policy starts run 2.
      const { rt, clock, loop, home } = setup();
      const { taskId, runId } = await strandedRun(rt, clock, home.dir, 'reached', { mode: 'always' });
      const log = runs(rt, taskId)[0]!.logPath;
      // The launch creates the log (empty) before it puts the run into tmux.
      writeFileSync(log, evidence === 'log' ? 'L 1 1 1796136934.521410\r\n' : '');
      if (evidence === 'pid') rt.store.tx(() => rt.store.runs.setTaskPid(runId, spawnSync('true').pid!));
      const before = readFileSync(log, 'utf8');
      await passUntil(
        loop,
        () => runs(rt, taskId).length === 2 && runs(rt, taskId)[1]!.pid !== null,
        'run 2 running',
      );
      const [first, second] = runs(rt, taskId);
      expect(first).toMatchObject({ n: 1, pid: null, endReason: 'server-lost' });
      expect(first!.endedAt).not.toBeNull();
      expect(second).toMatchObject({ n: 2, endedAt: null });
      const journal = rt.store.events.forTask(taskId).map((e) => e.type);
      expect(journal).not.toContain('launch-resumed');
      expect(journal.filter((e) => e === 'exited')).toHaveLength(1);
      expect(readFileSync(log, 'utf8')).toBe(before);
      expect(second!.logPath).not.toBe(log);
    },
  );

  it('ends as lost with its server a run whose tmux server was killed, though another server answers by the next look', async () => {
    // A launch (of another daemon, a CLI) can start a fresh server before this loop lists again:
    // the run's pane is missing from a server that is not the one it ran in, which is a lost
    // server (the line in flight may be missing), not a session killed in that server.
    const { rt, loop, home } = setup();
    const task = await createTask(rt, {
      name: 'a',
      nameBase: 'a',
      spec: spec(home.dir, ['sleep', '30'], {}, { mode: 'always' }),
      env: { PATH: process.env.PATH },
    });
    await passUntil(loop, () => state(rt, task.id) === 'running', 'running');
    const tmux = (args: string[]) =>
      spawnSync('tmux', ['-S', home.socket, '-f', rt.paths.tmuxConf, ...args], { encoding: 'utf8' });
    const server = Number(tmux(['display-message', '-p', '#{pid}']).stdout.trim());
    process.kill(server, 'SIGKILL');
    const deadline = Date.now() + 5000;
    while (tmux(['list-sessions']).status === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    expect(tmux(['new-session', '-d', '-s', 'other', '--', 'sleep', '30']).status).toBe(0);
    await passUntil(loop, () => runs(rt, task.id)[0]!.endedAt !== null, 'run 1 ended');
    expect(runs(rt, task.id)[0]!.endReason).toBe('server-lost');
    expect(runs(rt, task.id)[1]?.cause).toBe('server-restarted');
  });

  it('backs off a crash exactly as long as the policy says, whatever the real time', async () => {
    const { rt, clock, loop, home } = setup();
    const task = await createTask(rt, {
      name: 'crashy',
      nameBase: 'crashy',
      spec: spec(home.dir, ['bash', '-c', 'exit 3'], {}, { backoffInitialMs: 60_000, backoffMaxMs: 600_000 }),
      env: { PATH: process.env.PATH },
    });
    await passUntil(loop, () => state(rt, task.id) === 'backoff', 'the first crash');
    const waiting = rt.store.tasks.byId(task.id)!;
    expect(waiting.nextStartAt).toBe(clock.t + 60_000);
    // A minute has not passed on the task's clock: no second run, however many passes.
    await loop.pass();
    await loop.pass();
    expect(runs(rt, task.id)).toHaveLength(1);
    clock.advance(59_999);
    const early = await loop.pass();
    expect(runs(rt, task.id)).toHaveLength(1);
    expect(early.wakeAt).toBeLessThanOrEqual(clock.t + 1);
    clock.advance(1);
    await loop.pass();
    expect(runs(rt, task.id).map((r) => [r.n, r.cause])).toEqual([
      [1, 'start'],
      [2, 'backoff'],
    ]);
    await passUntil(
      loop,
      () => rt.store.tasks.byId(task.id)!.nextStartAt === clock.t + 120_000,
      'the second crash',
    );
    expect(rt.store.tasks.byId(task.id)!.restarts).toBe(1);
  });

  it('trips the breaker into crash-loop and probes half an hour later on the clock', async () => {
    const { rt, clock, loop, home } = setup();
    const task = await createTask(rt, {
      name: 'loopy',
      nameBase: 'loopy',
      spec: spec(
        home.dir,
        ['bash', '-c', 'exit 1'],
        {},
        { backoffInitialMs: 0, backoffMaxMs: 0, breakerMaxRestarts: 2 },
      ),
      env: { PATH: process.env.PATH },
    });
    await passUntil(loop, () => state(rt, task.id) === 'crash-loop', 'crash-loop');
    expect(runs(rt, task.id)).toHaveLength(3);
    clock.advance(DEFAULT_RESTART_POLICY.probeIntervalMs - 1);
    await loop.pass();
    expect(runs(rt, task.id)).toHaveLength(3);
    clock.advance(1);
    await loop.pass();
    expect(runs(rt, task.id).at(-1)!.cause).toBe('probe');
  });

  it('escalates a stop SIGINT → SIGTERM → SIGKILL as the clock reaches each step', async () => {
    const { rt, clock, loop, home } = setup();
    const task = await createTask(rt, {
      name: 'stubborn',
      nameBase: 'stubborn',
      spec: spec(home.dir, ['bash', '-c', "trap '' INT TERM; echo ready; while :; do sleep 0.05; done"]),
      env: { PATH: process.env.PATH },
    });
    await passUntil(loop, () => state(rt, task.id) === 'running', 'running');
    submitIntent(rt, task.id, { kind: 'stop', timeoutMs: 60_000 });
    await loop.pass();
    expect(rt.store.tasks.byId(task.id)).toMatchObject({ state: 'stopping', stopStage: 1 });
    clock.advance(29_999);
    await loop.pass();
    expect(rt.store.tasks.byId(task.id)!.stopStage).toBe(1);
    clock.advance(1);
    await loop.pass();
    expect(rt.store.tasks.byId(task.id)!.stopStage).toBe(2);
    expect(runs(rt, task.id)[0]!.endedAt).toBeNull();
    clock.advance(30_000);
    await passUntil(loop, () => state(rt, task.id) === 'stopped', 'stopped');
    expect(runs(rt, task.id)[0]!.signal).toBe('SIGKILL');
  });

  it('calls a silent run stalled once --stall-timeout has passed on the clock, and restarts it', async () => {
    const { rt, clock, loop, home } = setup();
    const task = await createTask(rt, {
      name: 'quiet',
      nameBase: 'quiet',
      spec: spec(home.dir, ['bash', '-c', 'echo hello; exec sleep 600'], { stallTimeoutMs: 10 * 60_000 }),
      env: { PATH: process.env.PATH },
    });
    await passUntil(loop, () => (runs(rt, task.id)[0]?.bytes ?? 0) > 0, 'the first output');
    clock.advance(10 * 60_000 - 10);
    await loop.pass();
    expect(state(rt, task.id)).toBe('running');
    clock.advance(10);
    await loop.pass();
    expect(state(rt, task.id)).toBe('stalled');
    await passUntil(loop, () => runs(rt, task.id).length === 2, 'the stall restart');
    expect(runs(rt, task.id).map((r) => [r.cause, r.signal])).toEqual([
      ['start', 'SIGTERM'],
      ['stall', null],
    ]);
  });

  it('a run up --healthy-after on the clock leaves crash-loop', async () => {
    const { rt, clock, loop, home } = setup();
    const task = await createTask(rt, {
      name: 'steady',
      nameBase: 'steady',
      spec: spec(home.dir, ['sleep', '600']),
      env: { PATH: process.env.PATH },
    });
    await passUntil(loop, () => state(rt, task.id) === 'running', 'running');
    clock.advance(DEFAULT_RESTART_POLICY.healthyAfterMs);
    await loop.pass();
    const run = runs(rt, task.id)[0]!;
    expect(rt.store.tasks.byId(task.id)!.supervision.healthyRunId).toBe(run.id);
  });

  it('starts a created task whose creator died before starting it', async () => {
    const { rt, loop, home } = setup();
    // createTask alone, as a `holdfast run` killed right after it leaves things.
    const task = await createTask(rt, {
      name: 'orphan',
      nameBase: 'orphan',
      spec: spec(home.dir, ['sleep', '600']),
      env: { PATH: process.env.PATH },
    });
    expect(state(rt, task.id)).toBe('pending');
    await passUntil(loop, () => state(rt, task.id) === 'running', 'the orphan to run');
    expect(runs(rt, task.id).map((r) => r.cause)).toEqual(['start']);
  });
});

describe('the loop watching the logs (the daemon)', () => {
  const loops: Loop[] = [];
  afterEach(() => {
    for (const loop of loops.splice(0)) loop.close();
  });

  /** A loop that watches logs (as the daemon's does), and a task that prints once the test says. */
  async function watching(watchFolder?: WatchFolder) {
    const { rt, clock, home } = setup();
    let wakes = 0;
    const loop = new Loop(rt, {
      clock,
      random: () => 0,
      wakeOnOutput: () => {
        wakes++;
      },
      ...(watchFolder ? { watchFolder } : {}),
    });
    loops.push(loop);
    const go = join(home.dir, 'go');
    const task = await createTask(rt, {
      name: 'printer',
      nameBase: 'printer',
      spec: spec(home.dir, [
        'bash',
        '-c',
        `until [ -e '${go}' ]; do sleep 0.02; done; echo hello; exec sleep 600`,
      ]),
      env: { PATH: process.env.PATH },
    });
    await passUntil(loop, () => state(rt, task.id) === 'running', 'running');
    const bytes = () => runs(rt, task.id)[0]!.bytes;
    const print = async () => {
      writeFileSync(go, '');
      const log = runs(rt, task.id)[0]!.logPath;
      const deadline = Date.now() + 10_000;
      while (!(existsSync(log) && readFileSync(log, 'utf8').includes('hello'))) {
        if (Date.now() > deadline) throw new Error('timed out waiting for hello in the log');
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    };
    return { clock, loop, bytes, print, wakes: () => wakes };
  }

  it('reads a watched log as soon as it grows, long before the periodic tail is due', async () => {
    const { clock, loop, bytes, print, wakes } = await watching();
    const before = wakes();
    await print();
    const deadline = Date.now() + 5000;
    while (wakes() === before) {
      if (Date.now() > deadline) throw new Error('the watch never woke the loop');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect(bytes()).toBe(0);
    // The pace's 25 ms since the run was last read; the periodic tail is TAIL_MS away.
    clock.advance(25);
    await loop.pass();
    expect(bytes()).toBeGreaterThan(0);
  });

  it('passes again well within the heartbeat’s stuck limit while every log is watched and nothing happens', async () => {
    const { clock, loop } = await watching();
    for (let i = 0; i < 3; i++) {
      const { wakeAt } = await loop.pass();
      // The heartbeat, every HEARTBEAT_MS, stops once no pass has completed for STUCK_AFTER_MS.
      expect(wakeAt - clock.now()).toBeLessThanOrEqual(STUCK_AFTER_MS - 2 * HEARTBEAT_MS);
      clock.t = wakeAt;
    }
  });

  it('reads a log no watch could be put on (inotify watches exhausted) at the periodic tail', async () => {
    const enospc: WatchFolder = () => {
      throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
    };
    const { clock, loop, bytes, print } = await watching(enospc);
    await print();
    clock.advance(25);
    await loop.pass();
    expect(bytes()).toBe(0);
    clock.advance(TAIL_MS - 25);
    await loop.pass();
    expect(bytes()).toBeGreaterThan(0);
  });
});
