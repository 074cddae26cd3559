import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSocketPath, makePaths, type Paths } from '../paths.js';
import { openStore, type Store } from '../store/db.js';
import { TmuxClient } from '../tmux/client.js';
import { renderTmuxConfig } from '../tmux/config.js';

/** Everything an action needs: where things are, the store, the tmux server, and time. */
export interface Runtime {
  paths: Paths;
  store: Store;
  tmux: TmuxClient;
  now: () => number;
  random: () => number;
}

/** The package root, found from this file (src/ under tsx, dist/ when built: both two levels down). */
export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const LAUNCHER = resolve(PACKAGE_ROOT, 'libexec', 'launch.sh');

export function openRuntime(home: string): Runtime {
  const paths = makePaths(home);
  checkSocketPath(paths.socket);
  ensurePrivateDir(paths.home);
  ensurePrivateDir(paths.tasksDir);
  writeIfChanged(paths.tmuxConf, renderTmuxConfig());
  const store = openStore(paths.store);
  const tmux = new TmuxClient({
    socket: paths.socket,
    configFile: paths.tmuxConf,
    eventsFile: paths.eventsFile,
  });
  return { paths, store, tmux, now: Date.now, random: Math.random };
}

export function ensurePrivateDir(path: string): void {
  if (!existsSync(path)) mkdirSync(path, { recursive: true, mode: 0o700 });
  chmodSync(path, 0o700);
}

function writeIfChanged(path: string, content: string): void {
  try {
    if (readFileSync(path, 'utf8') === content) return;
  } catch {
    // absent: write it
  }
  // Parallel CLI calls may both write; a rename is atomic, so tmux never reads half a file.
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, content, { mode: 0o600 });
  renameSync(temp, path);
}
