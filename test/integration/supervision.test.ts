import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { normalizeTaskSpec } from '../../src/cli/spec-options.js';
import { daemonStatus, paneOf, waitForDaemon } from '../helpers/daemon.js';
import { BIN, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome({ daemon: true });

describe('restart policy under the daemon (timers shortened through flags)', () => {
  it('backs off with doubling delays, enters crash-loop, probes, and leaves it after a healthy run', async () => {
    const h = home();
    const flag = join(h.dir, 'healthy');
    // Crashes at once until the flag file exists, then stays up.
    const script = `if [ -e ${flag} ]; then echo up; exec sleep 600; fi; echo crash; exit 1`;
    await h.cli([
      'run',
      '--name',
      'flaky',
      '--restart',
      'on-failure',
      '--backoff',
      '100ms..400ms',
      '--crash-loop',
      '3/1m',
      '--probe-every',
      '1500ms',
      '--healthy-after',
      '1s',
      '--',
      'bash',
      '-c',
      script,
    ]);
    const looping = await waitFor(
      () => h.status('flaky'),
      (v) => v.state === 'crash-loop',
      { what: 'crash-loop', timeoutMs: 15_000 },
    );
    expect(looping.nextStartAt).not.toBeNull();
    expect((await h.cli(['ls'])).stdout).toMatch(/crash-loop \((in \d|now)/);
    expect(looping.restarts).toBe(3);
    const events = await h.events('flaky');
    const delays = events.filter((e) => e.type === 'backoff').map((e) => e.data.delayMs as number);
    expect(delays.slice(0, 3).map((d, i) => d >= [100, 200, 400][i]! && d <= [110, 220, 440][i]!)).toEqual([
      true,
      true,
      true,
    ]);
    expect(delays[3]).toBe(1500);
    expect(events.filter((e) => e.type === 'crash-loop-entered')).toHaveLength(1);

    writeFileSync(flag, '');
    // The journal first: the entry is written with the state change, so a status read after it
    // shows that change (read the other way round, a loaded machine could see the entry and a status
    // from before it).
    const recovered = await waitFor(
      async () => {
        const events = await h.events('flaky');
        return { events, status: await h.status('flaky') };
      },
      ({ events }) => events.some((e) => e.type === 'crash-loop-left'),
      { what: 'crash-loop-left', timeoutMs: 15_000 },
    );
    expect(recovered.status.state).toBe('running');
    const probe = recovered.status.runs.at(-1)!;
    expect(probe.cause).toBe('probe');
  });

  it('--max-restarts ends in failed with the reason', async () => {
    const h = home();
    await h.cli([
      'run',
      '--name',
      'capped',
      '--restart',
      'always',
      '--backoff',
      '50ms',
      '--max-restarts',
      '2',
      '--',
      'bash',
      '-c',
      'exit 1',
    ]);
    const v = await waitFor(
      () => h.status('capped'),
      (s) => s.state === 'failed',
      { timeoutMs: 15_000 },
    );
    expect(v.reason).toBe('max-restarts (2)');
    expect(v.runs).toHaveLength(3);
    expect(v.restarts).toBe(2);
  });

  it('--max-runtime stops the task and fails it with the reason', async () => {
    const h = home();
    await h.cli([
      'run',
      '--name',
      'bounded',
      '--restart',
      'always',
      '--max-runtime',
      '1s',
      '--',
      'sleep',
      '600',
    ]);
    const v = await waitFor(
      () => h.status('bounded'),
      (s) => s.state === 'failed',
      { timeoutMs: 15_000 },
    );
    expect(v.reason).toBe('max-runtime');
    expect(v.runs).toHaveLength(1);
    expect(v.runs[0]!.signal).toBe('SIGINT');
  });

  it('a stall with --on-stall notify is journaled, and output resuming clears it', async () => {
    const h = home();
    const gate = join(h.dir, 'go');
    await h.cli([
      'run',
      '--name',
      'quiet',
      '--stall-timeout',
      '1s',
      '--on-stall',
      'notify',
      '--',
      'bash',
      '-c',
      `echo hello; while [ ! -e ${gate} ]; do sleep 0.1; done; echo again; sleep 600`,
    ]);
    const stalled = await waitFor(
      () => h.status('quiet'),
      (v) => v.state === 'stalled',
      { timeoutMs: 15_000 },
    );
    expect(stalled.runs).toHaveLength(1);
    const stall = (await h.events('quiet')).find((e) => e.type === 'stalled')!;
    expect(stall.data.action).toBe('notify');
    expect(stall.data.idleMs as number).toBeGreaterThanOrEqual(1000);
    writeFileSync(gate, '');
    await waitFor(
      () => h.status('quiet'),
      (v) => v.state === 'running',
      { what: 'back to running' },
    );
    expect((await h.events('quiet')).map((e) => e.type)).toContain('output-resumed');
  });

  it('a stall with --on-stall restart starts a new run', async () => {
    const h = home();
    await h.cli([
      'run',
      '--name',
      'hung',
      '--restart',
      'on-failure',
      '--stall-timeout',
      '1s',
      '--',
      'bash',
      '-c',
      'echo once; sleep 600',
    ]);
    const v = await waitFor(
      () => h.status('hung'),
      (s) => s.runs.length >= 2 && s.state === 'running',
      { timeoutMs: 15_000 },
    );
    expect(v.runs[1]!.cause).toBe('stall');
    expect(v.runs[0]!.signal).toBe('SIGTERM');
    expect((await h.events('hung')).filter((e) => e.type === 'stalled')[0]!.data.action).toBe('restart');
  });

  it('follow shows one continuous stream across restarts, each run marked, and ends with the task', async () => {
    const h = home();
    await h.cli([
      'run',
      '--name',
      'thrice',
      '--restart',
      'on-failure',
      '--backoff',
      '100ms',
      '--max-restarts',
      '2',
      '--',
      'bash',
      '-c',
      'echo "run $HOLDFAST_RUN"; sleep 0.3; exit 1',
    ]);
    const follow = await h.cli(['follow', 'thrice', '--lines', '100']);
    expect(follow.code).toBe(0);
    const lines = follow.stdout.split('\n').filter((l) => l.length > 0);
    expect(lines[0]).toBe('run 1');
    expect(lines).toContain('run 2');
    expect(lines).toContain('run 3');
    expect(lines.filter((l) => l.startsWith('── run '))).toHaveLength(2);
    expect(lines.at(-1)).toBe('── thrice failed (exit 1) ──');
  });

  it('restart starts a new run in the same session, so an attached viewer stays attached', async () => {
    const h = home();
    await h.cli(['run', '--name', 'svc', '--', 'sleep', '600']);
    const before = await h.status('svc');
    const sessionId = h.tmux(['display-message', '-p', '-t', '=svc:', '#{session_id}']).trim();
    const r = await h.cli(['restart', 'svc', '--timeout', '2s']);
    expect(r.code).toBe(0);
    const after = await h.status('svc');
    expect(after.state).toBe('running');
    expect(after.runs).toHaveLength(2);
    expect(after.runs[1]!.cause).toBe('restart');
    expect(after.pid).not.toBe(before.pid);
    // A restart the user asks for spends no restart budget.
    expect(after.restarts).toBe(0);
    expect(h.tmux(['display-message', '-p', '-t', '=svc:', '#{session_id}']).trim()).toBe(sessionId);
    expect(after.runs[0]!.log).not.toBe(after.runs[1]!.log);
  });

  it('user restarts spend no restart budget: after two of them, a crash is still restarted under --max-restarts 1', async () => {
    const h = home();
    await h.cli([
      'run',
      '--name',
      'budget',
      '--restart',
      'on-failure',
      '--max-restarts',
      '1',
      '--backoff',
      '50ms',
      '--',
      'sleep',
      '600',
    ]);
    expect((await h.cli(['restart', 'budget', '--timeout', '2s'])).code).toBe(0);
    expect((await h.cli(['restart', 'budget', '--timeout', '2s'])).code).toBe(0);
    const restarted = await h.status('budget');
    expect(restarted.runs.map((r) => r.cause)).toEqual(['start', 'restart', 'restart']);
    expect(restarted.restarts).toBe(0);
    process.kill(restarted.pid!, 'SIGKILL');
    const crashed = await waitFor(
      () => h.status('budget'),
      (v) => v.runs.length === 4 && v.state === 'running',
      { what: 'the crash to be restarted', timeoutMs: 15_000 },
    );
    expect(crashed.runs[3]!.cause).toBe('backoff');
    expect(crashed.restarts).toBe(1);
    const events = await h.events('budget');
    expect(events.filter((e) => e.type === 'backoff').map((e) => e.data.attempt)).toEqual([1]);
  });

  it('resume runs a failed task again, and refuses a running one', async () => {
    const h = home();
    await h.cli(['run', '--name', 'once', '--', 'bash', '-c', 'echo "run $HOLDFAST_RUN"; exit 3']);
    await waitFor(
      () => h.status('once'),
      (v) => v.state === 'failed',
    );
    const r = await h.cli(['resume', 'once']);
    expect(r.code).toBe(0);
    const v = await waitFor(
      () => h.status('once'),
      (s) => s.runs.length === 2 && s.state === 'failed',
    );
    expect(v.runs[1]!.cause).toBe('resume');
    await h.cli(['run', '--name', 'busy', '--', 'sleep', '600']);
    const refused = await h.cli(['resume', 'busy']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('busy is running: there is nothing to resume');
  });

  it('events --follow streams the journal as it grows', async () => {
    const h = home();
    await h.cli(['run', '--name', 'watched', '--', 'sleep', '600']);
    const child = spawn(process.execPath, [BIN, 'events', 'watched', '--follow', '--json'], { env: h.env });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    try {
      await waitFor(
        () => out,
        (o) => o.includes('"started"'),
      );
      await h.cli(['stop', 'watched', '--timeout', '2s']);
      await waitFor(
        () => out,
        (o) => o.includes('"stopped"'),
        { what: 'the stop to stream' },
      );
      const types = out
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l).type);
      const lifecycle = ['created', 'started', 'stop-requested', 'exited', 'stopped'];
      expect(types.filter((t) => lifecycle.includes(t))).toEqual(lifecycle);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('a pane that goes without a word from tmux', () => {
  it('a session killed by hand (no pane-died hook) is seen as pane-lost and restarted within 3 s, long before the 10 s safety-net listing', async () => {
    const h = home();
    await h.cli([
      'run',
      '--name',
      'victim',
      '--restart',
      'on-failure',
      '--backoff',
      '50ms',
      '--',
      'sleep',
      '600',
    ]);
    await waitForDaemon(h);
    await waitFor(
      () => h.status('victim'),
      (v) => v.state === 'running',
    );
    h.tmux(['kill-session', '-t', '=victim']);
    const v = await waitFor(
      () => h.status('victim'),
      (s) => s.runs.length === 2 && s.state === 'running',
      { what: 'the lost pane to be restarted', timeoutMs: 3000 },
    );
    expect(v.runs[0]!.reason).toBe('pane-lost');
  });
});

describe('a task nobody started', () => {
  it('a task whose `holdfast run` was killed after creating it and before starting it is started by the daemon', async () => {
    const h = home();
    expect((await h.cli(['ls'])).code).toBe(0);
    // What the killed creator left: the task's row (pending, never started) and its files.
    const spec = normalizeTaskSpec(
      ['sleep', '600'],
      { cwd: h.dir },
      { userUmask: 0o022, defaultMode: 'no', defaultStallMs: null },
    );
    const db = new Database(join(h.dir, 'holdfast.db'));
    const now = Date.now();
    db.prepare(
      `INSERT INTO tasks (name, spec, desired, state, created_at, updated_at, supervision)
       VALUES ('orphan', ?, 'running', 'pending', ?, ?, '{}')`,
    ).run(JSON.stringify({ ...spec, agent: null }), now, now);
    db.close();
    mkdirSync(join(h.dir, 'tasks', 'orphan'), { mode: 0o700 });
    writeFileSync(join(h.dir, 'tasks', 'orphan', 'env'), `PATH=${process.env.PATH}\0`, { mode: 0o600 });
    expect((await h.cli(['daemon', 'start'])).code).toBe(0);
    const v = await waitFor(
      () => h.status('orphan'),
      (s) => s.state === 'running',
      { what: 'the orphaned task to run' },
    );
    expect(v.runs.map((r) => r.cause)).toEqual(['start']);
  });
});

describe('the daemon itself', () => {
  it('SIGTERM finishes, releases the lease, exits 0, and leaves tasks running', async () => {
    const h = home();
    const env = { ...h.env, HOLDFAST_NO_DAEMON: '1' };
    await h.cli(['run', '--name', 'keep', '--', 'sleep', '600'], { env });
    const child = spawn(process.execPath, [BIN, 'daemon', 'run', '--no-watchdog'], { env, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const pid = await waitForDaemon(h);
    expect(pid).toBe(child.pid);
    process.kill(pid, 'SIGTERM');
    expect(await exited).toBe(0);
    const status = await daemonStatus(h);
    expect(status.running).toBe(false);
    expect(status.state).toBe('stopped');
    expect(paneOf(h, 'keep')?.dead).toBe(false);
  });

  it('a SIGTERM the moment the lease is taken (the loop still loading) releases it and exits 0, 5 times', async () => {
    const h = home();
    const env = { ...h.env, HOLDFAST_NO_DAEMON: '1' };
    const store = join(h.dir, 'holdfast.db');
    /** The lease's holder, read straight from the store (the CLI's own start would come too late). */
    const holder = (): number | null => {
      try {
        const db = new Database(store, { fileMustExist: true, readonly: true, timeout: 1000 });
        try {
          return (db.prepare('SELECT pid FROM lease').get() as { pid: number } | undefined)?.pid ?? null;
        } finally {
          db.close();
        }
      } catch {
        return null; // not created yet
      }
    };
    for (let i = 0; i < 5; i++) {
      const child = spawn(process.execPath, [BIN, 'daemon', 'run', '--no-watchdog'], {
        env,
        stdio: 'ignore',
      });
      const exited = new Promise<number | string | null>((resolve) =>
        child.on('exit', (code, signal) => resolve(code ?? signal)),
      );
      await waitFor(holder, (pid) => pid === child.pid, {
        what: `daemon ${i + 1} to take the lease`,
        intervalMs: 1,
      });
      child.kill('SIGTERM');
      expect(await exited, `daemon ${i + 1}`).toBe(0);
      expect(holder(), `daemon ${i + 1}'s lease`).toBeNull();
    }
  });

  it('a SIGTERM while the store is locked, before the lease, exits 0 at once: a stop is not held up by a lock', async () => {
    const h = home();
    const env = { ...h.env, HOLDFAST_NO_DAEMON: '1' };
    await h.cli(['run', '--name', 'keep', '--', 'sleep', '600'], { env });
    const lock = new Database(join(h.dir, 'holdfast.db'));
    try {
      lock.exec('BEGIN EXCLUSIVE');
      const child = spawn(process.execPath, [BIN, 'daemon', 'run', '--no-watchdog'], {
        env,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      let log = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        log += chunk.toString();
      });
      const exited = new Promise<number | string | null>((resolve) =>
        child.on('exit', (code, signal) => resolve(code ?? signal)),
      );
      await waitFor(
        () => log,
        (text) => text.includes(`: the store is busy`),
        { what: 'the daemon to wait for the store' },
      );
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(log).toContain('received SIGTERM before taking the lease');
    } finally {
      lock.close();
    }
  });

  it('status says plainly when the daemon is dead, and exits 3', async () => {
    const h = home();
    const env = { ...h.env, HOLDFAST_NO_DAEMON: '1' };
    const child = spawn(process.execPath, [BIN, 'daemon', 'run', '--no-watchdog'], { env, stdio: 'ignore' });
    const pid = await waitForDaemon(h);
    process.kill(pid, 'SIGKILL');
    await new Promise((resolve) => child.on('exit', resolve));
    const r = await h.cli(['daemon', 'status'], { env });
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`daemon DEAD: pid ${pid} is gone`);
  });

  it('daemon run ends as soon as it has stopped: no timer of its shutdown holds the process', async () => {
    const h = home();
    const env = { ...h.env, HOLDFAST_NO_DAEMON: '1' };
    await h.cli(['run', '--name', 'kept', '--', 'sleep', '600'], { env });
    const child = spawn(process.execPath, [BIN, 'daemon', 'run', '--no-watchdog'], { env, stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await waitForDaemon(h);
    const sent = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The courier's 5 s bound on a delivery under way used to run out before the process ended.
    expect(Date.now() - sent).toBeLessThan(2500);
  });

  it('daemon stop stops the daemon only: tasks keep running and a new daemon adopts them', async () => {
    const h = home();
    await h.cli(['run', '--name', 'adoptee', '--', 'sleep', '600']);
    const first = await waitForDaemon(h);
    const asked = Date.now();
    expect((await h.cli(['daemon', 'stop'])).code).toBe(0);
    // It returns once the daemon has stopped, not once its watchdog has reaped it (6 s it was).
    expect(Date.now() - asked).toBeLessThan(2500);
    expect(paneOf(h, 'adoptee')?.dead).toBe(false);
    expect((await h.cli(['daemon', 'start'])).code).toBe(0);
    const second = await waitForDaemon(h, first);
    expect(second).not.toBe(first);
    const adopted = (await h.events('adoptee')).filter((e) => e.type === 'adopted');
    expect(adopted.length).toBeGreaterThanOrEqual(2);
  });
});
