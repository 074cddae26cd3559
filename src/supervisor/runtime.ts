import { resolve } from 'node:path';
import { minimalEnvironment } from '../core/minimal-env.js';
import { checkOwnPath, ensurePrivateDir, readOwnText, writePrivateFile } from '../fs-safe.js';
import { checkSocketPath, makePaths, PACKAGE_ROOT, type Paths } from '../paths.js';
import { openStore, type Store, type StoreOptions } from '../store/db.js';
import { TmuxClient } from '../tmux/client.js';
import { renderTmuxConfig } from '../tmux/config.js';
import { findOnPath } from './doctor-check.js';

/** Where time comes from: the system's, or a test's. */
export interface Clock {
  now(): number;
}

/** Everything an action needs: where things are, the store, the tmux server, and time. */
export interface Runtime {
  paths: Paths;
  store: Store;
  tmux: TmuxClient;
  now: () => number;
  random: () => number;
  /** Set inside the daemon: its loop carries out intents, so the mission runner's only wait. */
  supervisor?: { markDirty(taskId: number): void };
}

/** The pane's process where perl is installed: one process start (libexec/launch.pl). */
const PERL_LAUNCHER = resolve(PACKAGE_ROOT, 'libexec', 'launch.pl');
/** The same steps in bash, where perl is missing. */
const BASH_LAUNCHER = resolve(PACKAGE_ROOT, 'libexec', 'launch.sh');
let launcher: readonly string[] | undefined;

/**
 * The argv that starts a pane's launcher, looked up once: perl by its path on the tmux server's
 * PATH (the minimal environment's, which a server this process starts gets), else bash.
 */
export function launcherArgv(): readonly string[] {
  if (launcher === undefined) {
    const perl = findOnPath('perl', minimalEnvironment(process.env));
    launcher = perl === null ? ['bash', BASH_LAUNCHER] : [perl, PERL_LAUNCHER];
  }
  return launcher;
}
/** The pipe-pane program that writes a run's log in segments. */
export const LOG_WRITER = resolve(PACKAGE_ROOT, 'libexec', 'log-pipe.pl');
/** Not a valid task name (underscore), so it can never collide with a task's session. */
export const WATCHDOG_SESSION = '_holdfast-watchdog';

export function openRuntime(home: string, clock?: Clock, storeOptions: StoreOptions = {}): Runtime {
  const paths = makePaths(home);
  checkSocketPath(paths.socket);
  ensurePrivateDir(paths.home);
  ensurePrivateDir(paths.tasksDir);
  // A watchdog killed by a signal is started again by the tmux server itself, so killing the daemon
  // and the watchdog together still leaves something that brings both back (docs/architecture.md).
  writeIfChanged(paths.tmuxConf, renderTmuxConfig({ respawnOnSignal: WATCHDOG_SESSION }));
  // SQLite and tmux open these by name, following links: they must be absent or the user's own.
  for (const file of [paths.store, `${paths.store}-wal`, `${paths.store}-shm`]) checkOwnPath(file, 'file');
  checkOwnPath(paths.socket, 'socket');
  const store = openStore(paths.store, storeOptions);
  const tmux = new TmuxClient({
    socket: paths.socket,
    configFile: paths.tmuxConf,
    eventsFile: paths.eventsFile,
    // The server outlives this call and serves every task: it gets only the minimal environment.
    serverEnv: minimalEnvironment(process.env),
  });
  return { paths, store, tmux, now: clock ? () => clock.now() : Date.now, random: Math.random };
}

function writeIfChanged(path: string, content: string): void {
  // A link there reads as absent and is replaced by the rename.
  if (readOwnText(path) === content) return;
  // Parallel CLI calls may both write; a rename is atomic, so tmux never reads half a file.
  writePrivateFile(path, content);
}
