import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TmuxClient } from '../../src/tmux/client.js';
import { ControlConnection, controlLine } from '../../src/tmux/control.js';
import { TmuxError } from '../../src/tmux/errors.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A private tmux server with a session `anchor` to attach to; every tmux invocation counted. */
async function server() {
  const dir = mkdtempSync(join(tmpdir(), 'hf-control-'));
  const socket = join(dir, 'sock');
  const conf = join(dir, 'conf');
  writeFileSync(conf, 'set -g remain-on-exit on\n');
  const calls = join(dir, 'calls');
  writeFileSync(calls, '');
  const bin = join(dir, 'tmux');
  writeFileSync(bin, `#!/bin/sh\necho "$*" >> '${calls}'\nexec tmux "$@"\n`);
  chmodSync(bin, 0o755);
  const client = new TmuxClient({
    socket,
    configFile: conf,
    eventsFile: join(dir, 'events'),
    serverEnv: { PATH: process.env.PATH ?? '' },
    tmuxBin: bin,
  });
  await client.exec(['new-session', '-d', '-s', 'anchor', '--', 'sleep', '1000']);
  cleanups.push(async () => {
    client.closeControl();
    await client.exec(['kill-server']).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  const invocations = () =>
    readFileSync(calls, 'utf8')
      .split('\n')
      .filter((l) => l !== '' && l !== '-V').length;
  const connect = (session = 'anchor') => {
    const connection = new ControlConnection({
      bin: 'tmux',
      prefix: ['-S', socket, '-f', conf],
      env: { PATH: process.env.PATH ?? '' },
      session,
      timeoutMs: 5000,
    });
    cleanups.push(() => connection.close());
    return connection;
  };
  return { dir, client, invocations, connect };
}

const launch = (dir: string, target: string, argv: string[]) => ({
  target,
  cwd: dir,
  argv,
  options: { '@hf_run': '7' },
  logFile: join(dir, `${target.replace(/^=|:$/g, '')}.log`),
});

describe('the control-mode line', () => {
  it('quotes every word so that tmux reads it back as given, quotes, #, $ and ~ included', () => {
    expect(controlLine([['display-message', '-p', "it's #{pid} $HOME ~"]])).toBe(
      `'display-message' '-p' 'it'"'"'s #{pid} $HOME ~'`,
    );
  });

  it("undoes argv's escape of a trailing ; and chains commands with a bare ;", () => {
    expect(controlLine([['set-option', '@x', 'a\\;'], ['list-panes']])).toBe(
      `'set-option' '@x' 'a;' ; 'list-panes'`,
    );
  });

  it('refuses words that cannot go on one line, or that argv would end a command with', () => {
    expect(controlLine([['display-message', 'two\nlines']])).toBeNull();
    expect(controlLine([['display-message', 'a;']])).toBeNull();
  });
});

describe('a control connection', () => {
  it('answers a chain with what its commands printed, words reaching tmux literally', async () => {
    const { connect } = await server();
    const connection = connect();
    expect(await connection.ready).toBe(true);
    const commands = [
      ['set-option', '-g', '@hf_probe', "q'uote #{pid} $HOME ; \\"],
      ['display-message', '-p', '#{@hf_probe}'],
      ['display-message', '-p', 'two'],
    ];
    const out = await connection.send(['chain'], commands.length, controlLine(commands)!);
    expect(out).toBe(`q'uote #{pid} $HOME ; \\\ntwo\n`);
  });

  it('fails a chain at its first failing command with what ran before it, and runs none after', async () => {
    const { connect, client } = await server();
    const connection = connect();
    await connection.ready;
    const commands = [
      ['display-message', '-p', 'before'],
      ['has-session', '-t', '=nosuch'],
      ['set-option', '-g', '@hf_after', 'ran'],
    ];
    const failure = await connection.send(['chain'], commands.length, controlLine(commands)!).catch((e) => e);
    expect(failure).toBeInstanceOf(TmuxError);
    expect(failure.stderr).toContain("can't find session");
    expect(failure.stdout).toBe('before\n');
    expect((await client.exec(['show-options', '-gqv', '@hf_after'])).trim()).toBe('');
    // The next line is answered as its own.
    expect(await connection.send(['next'], 1, controlLine([['display-message', '-p', 'next']])!)).toBe(
      'next\n',
    );
  });

  it('is not ready when its session does not exist', async () => {
    const { connect } = await server();
    const connection = connect('nosuch');
    expect(await connection.ready).toBe(false);
    expect(connection.alive).toBe(false);
  });

  it("stays up through a failed block of the server's own after the attach (only the attach's says it could not attach)", async () => {
    const bin = join(import.meta.dirname, '..', 'fixtures', 'tmux-control-stand-in.sh');
    const connection = new ControlConnection({
      bin,
      prefix: [],
      env: {},
      session: 'anchor',
      timeoutMs: 5000,
    });
    cleanups.push(() => connection.close());
    expect(await connection.ready).toBe(true);
    expect(await connection.send(['x'], 1, 'x')).toBe('answered\n');
    expect(connection.alive).toBe(true);
  });

  it('never starts a server where none runs (a reboot: the first launch must start it with its sessions)', async () => {
    const { connect, client } = await server();
    await client.exec(['kill-server']);
    const connection = connect();
    expect(await connection.ready).toBe(false);
    expect(await client.serverPid()).toBeNull();
  });

  it('fails what it carries, as a lost server, when the server is killed -9', async () => {
    const { connect, client } = await server();
    const connection = connect();
    await connection.ready;
    const serverPid = (await client.serverPid())!;
    // Stopped first, so the request is certainly in flight (unanswered) when the server dies.
    process.kill(serverPid, 'SIGSTOP');
    const pending = connection
      .send(['probe'], 1, controlLine([['display-message', '-p', 'x']])!)
      .catch((e) => e);
    process.kill(serverPid, 'SIGKILL');
    const failure = await pending;
    expect(failure).toBeInstanceOf(TmuxError);
    expect(failure.noServer).toBe(true);
    expect(connection.alive).toBe(false);
  });
});

describe('launches through the control client', () => {
  it('respawns a pane and creates sessions with no tmux process per call, as a spawned call would', async () => {
    const { dir, client, invocations } = await server();
    client.useControl('anchor');
    const first = await client.newSession(launch(dir, 'job', ['sh', '-c', 'echo one; exec sleep 1000']));
    const log = () => (existsSync(join(dir, 'job.log')) ? readFileSync(join(dir, 'job.log'), 'utf8') : '');
    await expect.poll(log).toContain('one');
    const before = invocations();
    const again = await client.respawnPane(launch(dir, '=job:', ['sh', '-c', 'echo two; exec sleep 1000']));
    const many = await client.newSessions([
      launch(dir, 'a', ['sleep', '1000']),
      launch(dir, 'job', ['true']),
    ]);
    expect(invocations()).toBe(before);
    const panes = (await client.listPanes()) ?? [];
    const pidOf = new Map(panes.map((p) => [p.session, p.pid]));
    expect(again).not.toBe(first);
    expect(pidOf.get('job')).toBe(again);
    expect(pidOf.get('a')).toBe(many[0]);
    expect(String(many[1])).toContain('duplicate session');
    expect((await client.exec(['show-options', '-p', '-t', '=job:', '-v', '@hf_run'])).trim()).toBe('7');
    await expect.poll(log).toContain('two');
  });

  it('makes a session again by a spawned call when the server dies under the control client (the first launch after a server kill)', async () => {
    const { dir, client } = await server();
    client.useControl('anchor');
    await client.newSession(launch(dir, 'first', ['sleep', '1000']));
    const serverPid = (await client.serverPid())!;
    // Stopped first, so the launch is certainly in flight through the control client when the
    // server dies, as when the daemon relaunches before it has read that client's end.
    process.kill(serverPid, 'SIGSTOP');
    const pending = client.newSession(launch(dir, 'job', ['sleep', '1000'])).catch((e: unknown) => e);
    // One turn of the event loop: the launch has been written to the control client by then.
    await new Promise(setImmediate);
    process.kill(serverPid, 'SIGKILL');
    const pid = await pending;
    expect(typeof pid, String(pid)).toBe('number');
    const panes = (await client.listPanes()) ?? [];
    expect(await client.serverPid()).not.toBe(serverPid);
    expect(panes.map((p) => [p.session, p.pid])).toEqual([['job', pid]]);
  });

  it('spawns calls as before while the session to attach to is missing', async () => {
    const { dir, client, invocations } = await server();
    client.useControl('nosuch');
    const before = invocations();
    const pid = await client.newSession(launch(dir, 'job', ['sleep', '1000']));
    // One attach that could not be made, then the launch spawned as one call.
    expect(invocations()).toBe(before + 2);
    expect((await client.listPanes())?.find((p) => p.session === 'job')?.pid).toBe(pid);
  });
});
