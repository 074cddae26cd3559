import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HoldfastError } from './core/errors.js';

/**
 * The package root: the nearest directory above the file this code runs from that has a
 * package.json. That file is src/paths.ts under vitest or tsx and a chunk under dist/ when built
 * (the bundle puts this module wherever its importers share it), so no fixed depth would do.
 */
export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)));

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`holdfast: no package.json above ${from}`);
  }
}

/** The longest unix socket path the kernel accepts (sun_path is 108 bytes with its NUL). */
export const MAX_SOCKET_PATH_BYTES = 107;

export interface Paths {
  home: string;
  store: string;
  socket: string;
  tmuxConf: string;
  /** Append-only file the tmux `pane-died` hook writes one line to per death. */
  eventsFile: string;
  daemonLog: string;
  daemonPid: string;
  /** Where the daemon answers a CLI's questions (core/daemon-socket.ts). */
  daemonSocket: string;
  /** The minimal environment the watchdog and the daemon start with (0600, read by the launcher). */
  daemonEnv: string;
  tasksDir: string;
  taskDir(name: string): string;
  runLog(name: string, n: number): string;
  envFile(name: string): string;
  /** An agent task's original prompt, which every fresh start reads. */
  originalPrompt(name: string): string;
  promptFile(name: string, n: number): string;
  /**
   * An interactive agent's signals, one JSON line per hook or notify run (`agents/signals.ts`),
   * appended by `hook/main.ts` and read by the daemon from a committed offset.
   */
  signalsFile(name: string): string;
  /** Files an interactive agent is pointed at: claude's `--settings` file, codex's `CODEX_HOME`. */
  agentDir(name: string): string;
  /** The task's approval rules (`--allow`, `--deny`), read by the hook on each `PermissionRequest`. */
  policyFile(name: string): string;
  /** One file per open question's answer, by its id, for a hook that waits for it. */
  answersDir(name: string): string;
}

export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HOLDFAST_HOME) return resolve(env.HOLDFAST_HOME);
  if (env.XDG_STATE_HOME) return resolve(env.XDG_STATE_HOME, 'holdfast');
  return join(homedir(), '.local', 'state', 'holdfast');
}

export function makePaths(home: string): Paths {
  const tasksDir = join(home, 'tasks');
  const taskDir = (name: string) => join(tasksDir, name);
  return {
    home,
    store: join(home, 'holdfast.db'),
    socket: join(home, 'tmux.sock'),
    tmuxConf: join(home, 'tmux.conf'),
    eventsFile: join(home, 'pane-events.log'),
    daemonLog: join(home, 'daemon.log'),
    daemonPid: join(home, 'daemon.pid'),
    daemonSocket: join(home, 'daemon.sock'),
    daemonEnv: join(home, 'daemon.env'),
    tasksDir,
    taskDir,
    runLog: (name, n) => join(taskDir(name), `run-${n}.log`),
    envFile: (name) => join(taskDir(name), 'env'),
    originalPrompt: (name) => join(taskDir(name), 'prompt.txt'),
    promptFile: (name, n) => join(taskDir(name), `prompt-${n}.txt`),
    signalsFile: (name) => join(taskDir(name), 'signals.jsonl'),
    agentDir: (name) => join(taskDir(name), 'agent'),
    policyFile: (name) => join(taskDir(name), 'policy.json'),
    answersDir: (name) => join(taskDir(name), 'answers'),
  };
}

/**
 * Segment k of a run's log (supervisor/log-segments.ts): `run-3.log` is segment 0, then
 * `run-3.1.log`, `run-3.2.log`, …
 */
export function logSegmentPath(logPath: string, k: number): string {
  if (k === 0) return logPath;
  return join(dirname(logPath), `${logStem(logPath)}.${k}.log`);
}

/** Which segment of `logPath` a file of its folder is; null when it is none of them. */
export function logSegmentIndex(logPath: string, fileName: string): number | null {
  if (fileName === basename(logPath)) return 0;
  const stem = logStem(logPath);
  if (!fileName.startsWith(`${stem}.`) || !fileName.endsWith('.log')) return null;
  const k = fileName.slice(stem.length + 1, -4);
  return /^[1-9]\d*$/.test(k) ? Number(k) : null;
}

function logStem(logPath: string): string {
  const name = basename(logPath);
  return name.endsWith('.log') ? name.slice(0, -4) : name;
}

export function checkSocketPath(socket: string): void {
  const bytes = Buffer.byteLength(socket);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new HoldfastError(
      'ESOCKETPATH',
      `the tmux socket path ${socket} is ${bytes} bytes, over the unix limit of ${MAX_SOCKET_PATH_BYTES}`,
      { hint: 'set HOLDFAST_HOME to a shorter directory' },
    );
  }
}

/**
 * The hook program that interactive agents' hooks run: the bundle's own entry for `hook/main.ts`,
 * at the path the tsc build had it, so the settings of tasks made by an older holdfast still work.
 */
export function hookProgram(): string {
  return join(PACKAGE_ROOT, 'dist', 'hook', 'main.js');
}
