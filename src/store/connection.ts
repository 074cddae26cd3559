import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { HoldfastError } from '../core/errors.js';
import { diskFullError } from './disk-full.js';
import { MIGRATIONS } from './migrations.js';
import type { Db } from './rows.js';

const BUSY_TIMEOUT_MS = 15_000;

export interface StoreOptions {
  /** How long a statement waits for another connection's lock before failing `SQLITE_BUSY`. */
  busyTimeoutMs?: number;
}

/**
 * The store's connection, opened, put in WAL mode and migrated: all a daemon needs to take its
 * lease. The repositories (db.ts), with their row schemas, are built on it after (issue 14: the
 * daemon holds its lease before it loads them).
 */
export function openConnection(path: string, options: StoreOptions = {}): Db {
  const busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
  let db: Db;
  try {
    db = new Database(path, { timeout: busyTimeoutMs });
  } catch (error) {
    throw storeError(path, error);
  }
  try {
    db.pragma(`busy_timeout = ${busyTimeoutMs}`);
    useWal(db, busyTimeoutMs);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, path);
  } catch (error) {
    db.close();
    throw error instanceof HoldfastError ? error : storeError(path, error);
  }
  cacheStatements(db);
  return db;
}

/** Runs `fn` in one IMMEDIATE transaction on `db` (Store.tx). */
export function immediate<T>(db: Db, fn: () => T): T {
  return db.transaction(fn).immediate();
}

/** A lock another connection held past the busy timeout (also inside an `ESTORE`): worth trying again shortly. */
export function isBusyError(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code)) return true;
  }
  return false;
}

/**
 * Compiles each SQL text once: the repositories prepare their statements on every call, and a
 * daemon that asks the same few questions every second should not compile them every second.
 */
function cacheStatements(db: Db): void {
  const prepare = db.prepare.bind(db);
  const statements = new Map<string, Database.Statement>();
  db.prepare = ((sql: string) => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  }) as Db['prepare'];
}

function migrate(db: Db, path: string): void {
  const apply = db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > MIGRATIONS.length) {
      throw new HoldfastError(
        'ESTORE',
        `the store ${path} has schema version ${version}, newer than this holdfast knows (${MIGRATIONS.length})`,
        { hint: 'upgrade holdfast; the store was left as it is' },
      );
    }
    for (let v = version; v < MIGRATIONS.length; v++) db.exec(MIGRATIONS[v]!);
    if (version < MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`);
  });
  // Fast path: most opens find the schema current and need no write lock.
  if ((db.pragma('user_version', { simple: true }) as number) === MIGRATIONS.length) return;
  apply.immediate();
}

/**
 * Puts the store in WAL mode (it stays so in the file: most opens find it set and write nothing).
 * The switch needs the file to itself, and SQLite may answer BUSY (or leave the old mode) at once
 * rather than through the busy handler while others open the new store: it is tried again, within
 * the busy timeout like any other lock.
 */
function useWal(db: Db, busyTimeoutMs: number): void {
  const deadline = Date.now() + busyTimeoutMs;
  for (let attempt = 1; ; attempt++) {
    try {
      if (db.pragma('journal_mode', { simple: true }) === 'wal') return;
      if (db.pragma('journal_mode = WAL', { simple: true }) === 'wal') return;
    } catch (error) {
      if (!isBusyError(error)) throw error;
    }
    if (Date.now() >= deadline) throw new Error('the store could not be put in WAL mode: database is locked');
    Atomics.wait(WAL_RETRY_WAIT, 0, 0, Math.min(5 * attempt, 50));
  }
}

const WAL_RETRY_WAIT = new Int32Array(new SharedArrayBuffer(4));

function storeError(path: string, error: unknown): HoldfastError {
  const full = diskFullError(error, dirname(path), path);
  if (full) return full;
  const detail = error instanceof Error ? error.message : String(error);
  const exists = existsSync(path);
  return new HoldfastError('ESTORE', `cannot open the store ${path}: ${detail}`, {
    hint: exists
      ? 'the file was left untouched; move it aside to start with an empty store, or restore a backup'
      : 'check that the directory exists and is writable',
    cause: error,
  });
}
