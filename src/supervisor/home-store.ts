/**
 * The home's store, opened with the checks that come first: the home's folder private, the socket's
 * path short enough for tmux, and SQLite's files and the socket (opened by name, following links)
 * absent or the user's own. Its own module, with nothing of the runtime's, so that a daemon takes its lease on
 * this connection before it loads the rest (issue 14); runtime.ts builds on it.
 */
import { checkOwnPath, ensurePrivateDir } from '../fs-safe.js';
import { checkSocketPath, type Paths } from '../paths.js';
import { openConnection, type StoreOptions } from '../store/connection.js';
import type { Db } from '../store/rows.js';

export function openHomeStore(paths: Paths, options: StoreOptions = {}): Db {
  checkSocketPath(paths.socket);
  ensurePrivateDir(paths.home);
  // SQLite and tmux open these by name, following links: they must be absent or the user's own.
  for (const file of [paths.store, `${paths.store}-wal`, `${paths.store}-shm`]) checkOwnPath(file, 'file');
  checkOwnPath(paths.socket, 'socket');
  return openConnection(paths.store, options);
}
