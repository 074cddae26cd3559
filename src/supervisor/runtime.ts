import { resolve } from 'node:path';
import { minimalEnvironment } from '../core/minimal-env.js';
import { ensurePrivateDir, readOwnText, writePrivateFile } from '../fs-safe.js';
import { makePaths, PACKAGE_ROOT, type Paths } from '../paths.js';
import type { StoreOptions } from '../store/connection.js';
import { type Db, type Store, storeOn } from '../store/db.js';
import { TmuxClient } from '../tmux/client.js';
import { renderTmuxConfig } from '../tmux/config.js';
import { findOnPath } from './doctor-check.js';
import { openHomeStore } from './home-store.js';

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
  const db = openHomeStore(paths, storeOptions);
  try {
    return runtimeOn(paths, db, clock);
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * The runtime on a store connection openHomeStore made (the daemon takes its lease on that
 * connection first): the home's other files checked or written, the repositories, the tmux client.
 * A failure leaves the connection to the caller, open.
 */
export function runtimeOn(paths: Paths, db: Db, clock?: Clock): Runtime {
  ensurePrivateDir(paths.tasksDir);
  // A watchdog killed by a signal is started again by the tmux server itself, so killing the daemon
  // and the watchdog together still leaves something that brings both back (docs/architecture.md).
  writeIfChanged(paths.tmuxConf, renderTmuxConfig({ respawnOnSignal: WATCHDOG_SESSION }));
  const store = storeOn(db, paths.store);
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
