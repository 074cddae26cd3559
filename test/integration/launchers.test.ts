import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

/**
 * The pane's launcher, both forms: libexec/launch.pl (where perl is) and libexec/launch.sh (the
 * fallback without it) must give a task the same start: the environment of the env file and the
 * run's own variables only, its directory, its umask, its stdin, its pid reported.
 */
const dirs: string[] = [];
const sockets: string[] = [];
afterEach(() => {
  for (const socket of sockets.splice(0)) {
    try {
      execFileSync('tmux', ['-S', socket, 'kill-server'], { stdio: 'ignore' });
    } catch {
      // gone already
    }
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const LAUNCHERS = {
  perl: ['perl', join(ROOT, 'libexec', 'launch.pl')],
  bash: ['bash', join(ROOT, 'libexec', 'launch.sh')],
} as const;

/** Starts one pane through the launcher; the task writes what it was given to files in `dir`. */
function launch(kind: keyof typeof LAUNCHERS, cwd: string) {
  const dir = mkdtempSync(join(tmpdir(), `hf-launcher-${kind}-`));
  dirs.push(dir);
  const socket = join(dir, 'sock');
  sockets.push(socket);
  writeFileSync(join(dir, 'pane-events.log'), '');
  writeFileSync(join(dir, 'tmux.conf'), 'set -g remain-on-exit on\n');
  const envFile = join(dir, 'env');
  writeFileSync(
    envFile,
    ['SECRET=a b\nc', 'EMPTY=', 'BASH_FUNC_f%%=() { echo hi; }', 'PATH=/usr/bin:/bin', 'SHLVL=1'].join('\0') +
      '\0',
  );
  const stdin = join(dir, 'stdin');
  writeFileSync(stdin, 'the prompt\n');
  const task = `env -0 > '${dir}/env.out'; pwd > '${dir}/pwd.out'; umask > '${dir}/umask.out'; cat > '${dir}/stdin.out'; echo $$ > '${dir}/pid.out'`;
  execFileSync('tmux', [
    '-S',
    socket,
    '-f',
    join(dir, 'tmux.conf'),
    'new-session',
    '-d',
    '-s',
    'job',
    '--',
    ...LAUNCHERS[kind],
    cwd,
    envFile,
    stdin,
    '027',
    'HOLDFAST_TASK=job',
    'HOLDFAST_RUN=3',
    `HOLDFAST_HOME=${dir}`,
    '--',
    'sh',
    '-c',
    `${task}; exec sleep 600`,
  ]);
  return dir;
}

async function started(dir: string) {
  await waitFor(
    () => existsSync(join(dir, 'pid.out')) && readFileSync(join(dir, 'pid.out'), 'utf8'),
    (text) => typeof text === 'string' && text.endsWith('\n'),
    { what: 'the task to start', timeoutMs: 10_000 },
  );
  const env = Object.fromEntries(
    readFileSync(join(dir, 'env.out'), 'utf8')
      .split('\0')
      .filter((entry) => entry !== '')
      .map((entry) => [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)]),
  );
  return {
    env,
    pwd: readFileSync(join(dir, 'pwd.out'), 'utf8').trim(),
    umask: readFileSync(join(dir, 'umask.out'), 'utf8').trim(),
    stdin: readFileSync(join(dir, 'stdin.out'), 'utf8'),
    pid: Number(readFileSync(join(dir, 'pid.out'), 'utf8')),
  };
}

describe('the pane launchers', () => {
  for (const kind of ['perl', 'bash'] as const) {
    it(`${kind}: the task gets the env file's variables and the run's own, its directory, umask and stdin, and its pid is reported`, async () => {
      const cwd = mkdtempSync(join(tmpdir(), 'hf-launcher-cwd-#{x};'));
      dirs.push(cwd);
      const dir = launch(kind, cwd);
      const got = await started(dir);
      // The pane's own terminal variables, as tmux sets them.
      const { TMUX, TMUX_PANE, TERM, ...rest } = got.env;
      expect(TMUX).toContain(join(dir, 'sock'));
      expect(TMUX_PANE).toMatch(/^%\d+$/);
      expect(TERM).toBeTruthy();
      expect(rest).toEqual({
        SECRET: 'a b\nc',
        EMPTY: '',
        PATH: '/usr/bin:/bin',
        // bash counts its own `exec` out of SHLVL; perl passes the creator's as it was.
        SHLVL: kind === 'bash' ? '0' : '1',
        HOLDFAST_TASK: 'job',
        HOLDFAST_RUN: '3',
        HOLDFAST_HOME: dir,
        PWD: cwd,
      });
      expect(got.pwd).toBe(cwd);
      expect(got.umask).toBe('0027');
      expect(got.stdin).toBe('the prompt\n');
      const events = readFileSync(join(dir, 'pane-events.log'), 'utf8');
      expect(events).toContain(`_pid|job|3|${got.pid}|0\n`);
    });

    it(`${kind}: a directory that is gone fails the run with one line, and runs nothing`, async () => {
      const gone = join(tmpdir(), `hf-launcher-gone-${process.pid}-${kind}`);
      const dir = launch(kind, gone);
      const socket = join(dir, 'sock');
      const tmux = (args: string[]) =>
        execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8' }).trim();
      const server = Number(tmux(['display-message', '-p', '#{pid}']));
      // tmux can leave a pane that ended this fast unreaped, as the daemon knows (docs/architecture.md,
      // "Missed reaps"): it nudges the server with SIGCHLD while a pane is dead with no status, so do we.
      const dead = () => {
        process.kill(server, 'SIGCHLD');
        return tmux(['display-message', '-p', '-t', '=job:', '#{pane_dead} #{pane_dead_status}']);
      };
      await waitFor(dead, (state) => state === '1 1', {
        what: 'the pane to end with exit 1',
        timeoutMs: 10_000,
      });
      const screen = tmux(['capture-pane', '-p', '-S', '-', '-t', '=job:']);
      expect(screen).toContain(`holdfast: cannot enter the working directory ${gone}`);
      expect(existsSync(join(dir, 'pid.out'))).toBe(false);
    });
  }

  it('perl: the reap watcher appends _gone once the task and the launcher are gone', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'hf-launcher-cwd-'));
    dirs.push(cwd);
    const dir = launch('perl', cwd);
    const { pid } = await started(dir);
    process.kill(pid, 'SIGKILL');
    await waitFor(
      () => readFileSync(join(dir, 'pane-events.log'), 'utf8'),
      (events) => events.includes('_gone|job|3||0\n'),
      { what: 'the _gone line', timeoutMs: 10_000 },
    );
  });
});
