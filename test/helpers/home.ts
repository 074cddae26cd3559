import { execFile, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach } from 'vitest';
import type { JournalEvent } from '../../src/store/events.js';
import type { TaskView } from '../../src/views/task.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const BIN = join(ROOT, 'bin', 'holdfast.js');
export const FIXTURES = join(ROOT, 'test', 'fixtures');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Home {
  dir: string;
  socket: string;
  env: NodeJS.ProcessEnv;
  cli(
    args: string[],
    options?: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string },
  ): Promise<CliResult>;
  /** Runs the CLI and parses its stdout as JSON, failing loudly on a non-zero exit. */
  json<T = unknown>(args: string[], options?: { env?: NodeJS.ProcessEnv; cwd?: string }): Promise<T>;
  status(name: string): Promise<TaskView>;
  events(name: string): Promise<JournalEvent[]>;
  tmux(args: string[]): string;
  cleanup(): void;
}

/** A fresh HOLDFAST_HOME (and so a private tmux server) for one test, removed after it. */
export function useHome(options: { daemon?: boolean } = {}): () => Home {
  let current: Home | null = null;
  afterEach(() => {
    current?.cleanup();
    current = null;
  });
  return () => {
    current ??= makeHome(options);
    return current;
  };
}

export function makeHome(options: { daemon?: boolean } = {}): Home {
  // Short, so the socket path stays far under the 107-byte limit.
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'hf-')));
  const socket = join(dir, 'tmux.sock');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOLDFAST_HOME: dir,
    // A config file of the test's own (absent unless it writes one), never the developer's.
    HOLDFAST_CONFIG: join(dir, 'config.yaml'),
    ...(options.daemon ? {} : { HOLDFAST_NO_DAEMON: '1' }),
  };
  delete env.TMUX;
  delete env.TMUX_PANE;
  const cli: Home['cli'] = (args, opts = {}) =>
    new Promise((resolvePromise) => {
      const child = spawn(process.execPath, [BIN, ...args], {
        env: { ...env, ...opts.env },
        cwd: opts.cwd ?? dir,
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => {
        stdout += d;
      });
      child.stderr.on('data', (d) => {
        stderr += d;
      });
      child.stdin.end(opts.input ?? '');
      child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    });
  const json: Home['json'] = async (args, opts) => {
    // Before any `--`, so it stays an option of holdfast and never becomes part of a task's command.
    const cut = args.indexOf('--');
    const withJson = cut === -1 ? [...args, '--json'] : [...args.slice(0, cut), '--json', ...args.slice(cut)];
    const result = await cli(withJson, opts);
    if (result.code !== 0) {
      throw new Error(`holdfast ${args.join(' ')} exited ${result.code}: ${result.stderr}${result.stdout}`);
    }
    return JSON.parse(result.stdout);
  };
  return {
    dir,
    socket,
    env,
    cli,
    json,
    status: (name) => json<TaskView>(['status', name]),
    events: (name) => json<JournalEvent[]>(['events', name]),
    tmux: (args) => execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8', env }),
    cleanup: () => cleanupHome(dir, socket),
  };
}

/**
 * Stops only what this home started: its daemon (by the pid it wrote) and its own tmux server (by
 * socket). Repeated until both stay gone, because the watchdog in that server may have started a
 * new daemon in between.
 */
export function cleanupHome(dir: string, socket: string): void {
  for (let attempt = 0; attempt < 20; attempt++) {
    // The watchdog first, its session before its pid: tmux respawns a watchdog a signal kills, and
    // one whose server is killed under it stays to start a daemon.
    const watchdog = watchdogPid(socket);
    if (watchdog !== null) {
      try {
        execFileSync('tmux', ['-S', socket, 'kill-session', '-t', '=_holdfast-watchdog:'], {
          stdio: 'ignore',
        });
      } catch {
        // already gone
      }
      killGone(watchdog);
    }
    const pid = daemonPid(dir);
    if (pid !== null) killGone(pid);
    let server = true;
    try {
      execFileSync('tmux', ['-S', socket, 'kill-server'], { stdio: 'ignore' });
    } catch {
      server = false;
    }
    const again = daemonPid(dir);
    if (!server && (again === null || !isAlive(again))) break;
    execFileSync('sleep', ['0.05']);
  }
  // What a test orphaned (a watchdog whose server it killed): found by this home in its environment,
  // a fresh mkdtemp path no other process can have.
  // Until none is found: one being forked while we looked shows up on the next look.
  for (let attempt = 0; attempt < 5; attempt++) {
    const left = processesOfHome(dir).filter(isAlive);
    if (left.length === 0) break;
    for (const pid of left) killGone(pid);
  }
  rmSync(dir, { recursive: true, force: true });
}

/** SIGKILL to a process of this home that may end between being found and being killed. */
function killGone(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function watchdogPid(socket: string): number | null {
  try {
    const out = execFileSync(
      'tmux',
      ['-S', socket, 'display-message', '-p', '-t', '=_holdfast-watchdog:', '#{pane_pid}'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    const pid = Number(out.trim());
    return pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Our own processes whose environment names this home. */
export function processesOfHome(dir: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`HOLDFAST_HOME=${dir}`))
        found.push(Number(entry));
    } catch {
      // exited while we looked, or not ours
    }
  }
  return found;
}

export function daemonPid(dir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dir, 'daemon.pid'), 'utf8').trim());
    return pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

export function tmuxAsync(socket: string, args: string[]): Promise<string> {
  return new Promise((res, rej) =>
    execFile('tmux', ['-S', socket, ...args], (error, stdout) => (error ? rej(error) : res(stdout))),
  );
}
