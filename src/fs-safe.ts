import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  type Stats,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { HoldfastError } from './core/errors.js';

/*
 * Everything holdfast creates under its home goes through here. The home and every folder in it
 * must be a real directory owned by the user and writable by nobody else; once that holds, only the
 * user's own processes can plant a link, and no open below follows one: files are created with
 * O_EXCL|O_NOFOLLOW (a planted link or hard link makes the open fail instead of writing through it),
 * whole files are replaced by renaming a fresh temporary file over the name (which replaces a link
 * rather than writing to its target).
 */

const { O_APPEND, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_RDONLY, O_WRONLY } = constants;

const uid = (): number => process.geteuid?.() ?? -1;

function refuse(path: string, why: string, hint?: string): HoldfastError {
  return new HoldfastError('EUNSAFEPATH', `refusing ${path}: ${why}`, hint === undefined ? {} : { hint });
}

const LINK_HINT = 'holdfast never writes through a link: remove it, or use the real path';

function describe(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'it is a symbolic link';
  if (stats.isDirectory()) return 'it is a directory';
  return 'it is not a regular file';
}

/** A path's own stats (a link's, not its target's); null when nothing is there. */
export function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function checkOwner(path: string, stats: Stats): void {
  const me = uid();
  if (me >= 0 && stats.uid !== me) {
    throw refuse(
      path,
      `it is owned by uid ${stats.uid}, not by you (uid ${me})`,
      'holdfast keeps its state in a folder only you own; set HOLDFAST_HOME to one',
    );
  }
}

/** What went wrong with an open(2) on `path`, as a refusal when it is one (a link, a directory). */
function openError(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ELOOP' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'EEXIST') {
    const stats = lstatOrNull(path);
    if (stats?.isSymbolicLink()) return refuse(path, 'it is a symbolic link', LINK_HINT);
    if (stats && !stats.isFile() && code !== 'ENOTDIR') return refuse(path, describe(stats));
  }
  return error;
}

/**
 * Makes `path` a private directory: creates it (and missing parents) 0700 if absent, then checks,
 * on a descriptor opened without following links, that it is a directory owned by the user that
 * no one else can write, and narrows its mode to 0700. Refuses a link, another owner or a folder
 * others can write, changing nothing.
 */
export function ensurePrivateDir(path: string): void {
  if (lstatOrNull(path) === null) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    try {
      mkdirSync(path, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  verifyPrivateDir(path);
}

/** The checks of ensurePrivateDir on a directory that must already exist. */
export function verifyPrivateDir(path: string): void {
  const before = lstatOrNull(path);
  if (before === null) throw refuse(path, 'it does not exist');
  if (before.isSymbolicLink()) throw refuse(path, 'it is a symbolic link', LINK_HINT);
  if (!before.isDirectory()) throw refuse(path, 'it is not a directory');
  let fd: number;
  try {
    fd = openSync(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
  } catch (error) {
    throw openError(path, error);
  }
  try {
    const stats = fstatSync(fd);
    checkOwner(path, stats);
    if ((stats.mode & 0o022) !== 0) {
      throw refuse(
        path,
        `other users can write to it (mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')})`,
        `chmod 700 ${path}`,
      );
    }
    if ((stats.mode & 0o077) !== 0) fchmodSync(fd, 0o700);
  } finally {
    closeSync(fd);
  }
}

/** A regular file of the user's with no other name: safe to append to or to read as holdfast's own. */
function checkOwnFile(path: string, fd: number): void {
  const stats = fstatSync(fd);
  if (!stats.isFile()) throw refuse(path, describe(stats));
  checkOwner(path, stats);
  if (stats.nlink !== 1) throw refuse(path, 'it has other hard links', LINK_HINT);
}

/**
 * Opens `path` for appending, creating it 0600 (O_EXCL|O_NOFOLLOW) when absent. An existing file is
 * used only if it is a regular file of the user's with no other name (a run relaunched keeps its
 * log); a link or anything else is refused. Returns the descriptor.
 */
export function openPrivateAppend(path: string): number {
  try {
    return openSync(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw openError(path, error);
  }
  let fd: number;
  try {
    fd = openSync(path, O_WRONLY | O_APPEND | O_NOFOLLOW);
  } catch (error) {
    throw openError(path, error);
  }
  try {
    checkOwnFile(path, fd);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
  return fd;
}

/** Creates `path` as an empty 0600 file if absent (see openPrivateAppend for what an existing one must be). */
export function touchPrivateFile(path: string): void {
  closeSync(openPrivateAppend(path));
}

/** Appends to an existing file without following a link; false when it is absent. */
export function appendExisting(path: string, data: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, O_WRONLY | O_APPEND | O_NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw openError(path, error);
  }
  try {
    checkOwnFile(path, fd);
    writeFileSync(fd, data);
    return true;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `content` as the whole of `path`, 0600: into a fresh temporary file beside it (O_EXCL|
 * O_NOFOLLOW), then renamed over the name, so a link or hard link planted at `path` is replaced,
 * never written through, and a reader never sees half a file.
 */
export function writePrivateFile(path: string, content: string | Uint8Array): void {
  // The global Web Crypto, not node:crypto: loaded when first used, so a module that imports this
  // one only for its checks (cli/ask-daemon.ts, before every `ls --json`) does not load crypto.
  const temp = `${path}.${process.pid}.${Buffer.from(crypto.getRandomValues(new Uint8Array(4))).toString('hex')}.tmp`;
  const fd = openSync(temp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0o600);
  try {
    try {
      writeFileSync(fd, content);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    try {
      unlinkSync(temp);
    } catch {
      // already renamed or never written: nothing left behind
    }
    throw openError(path, error);
  }
}

/** The text of `path` read through no link; null when it is absent or a link. */
export function readOwnText(path: string): string | null {
  let fd: number;
  try {
    fd = openSync(path, O_RDONLY | O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    // Said as every refusal is, with the path: a bare EISDIR names no file.
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw refuse(path, describe(stats));
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * Checks a path some other program opens by name (SQLite's store, tmux's socket): absent, or of the
 * expected kind, owned by the user and not a link.
 */
export function checkOwnPath(path: string, kind: 'file' | 'socket'): void {
  const stats = lstatOrNull(path);
  if (stats === null) return;
  if (stats.isSymbolicLink()) throw refuse(path, 'it is a symbolic link', LINK_HINT);
  if (kind === 'file' ? !stats.isFile() : !stats.isSocket())
    throw refuse(path, kind === 'file' ? describe(stats) : 'it is not a socket');
  checkOwner(path, stats);
  if (kind === 'file' && stats.nlink !== 1) throw refuse(path, 'it has other hard links', LINK_HINT);
}
