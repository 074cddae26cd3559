/**
 * A full disk, told apart from other write failures, so the user reads "disk full" and where,
 * not SQLite's "database or disk is full" or a bare "disk I/O error" (what SQLite says when growing
 * its WAL or shared-memory file fails for want of space).
 */
import { statfsSync } from 'node:fs';
import { dirname } from 'node:path';
import { HoldfastError } from '../core/errors.js';

function codeOf(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : null;
}

/** Whether the filesystem holding `path` has no room left for an ordinary write. */
export function noSpaceAt(path: string): boolean {
  try {
    const s = statfsSync(path);
    return s.bavail * s.bsize < 64 * 1024;
  } catch {
    return false;
  }
}

/**
 * Whether the error is a write refused for want of space: ENOSPC, SQLite's SQLITE_FULL, or one of
 * its I/O errors while the store's filesystem is full.
 */
export function isDiskFull(error: unknown, storePath: string): boolean {
  const code = codeOf(error);
  if (code === 'ENOSPC' || code === 'SQLITE_FULL') return true;
  return code?.startsWith('SQLITE_IOERR') === true && noSpaceAt(dirname(storePath));
}

/** The user's error for a full disk, naming the file that could not be written; null for any other error. */
export function diskFullError(error: unknown, home: string, storePath: string): HoldfastError | null {
  if (error instanceof HoldfastError || !isDiskFull(error, storePath)) return null;
  const code = codeOf(error);
  const fsPath = (error as { path?: unknown }).path;
  const path = typeof fsPath === 'string' ? fsPath : code?.startsWith('SQLITE') ? storePath : home;
  return new HoldfastError('EDISKFULL', `disk full: cannot write ${path}`, {
    hint: `free space on the filesystem of ${home} (df ${home})`,
    cause: error,
  });
}
