/**
 * What keeps a home bounded over months, done by the daemon off the supervision path (once a
 * minute, `now` passed in): old runs' logs (`--keep-runs`), a finished task's logs (`--keep-finished`;
 * its rows and journal stay), `pane-events.log` once it is large, `daemon.log` by size, and the store
 * vacuumed when it has grown by half since the last vacuum; notifications done a month ago forgotten.
 */
import { chmodSync, copyFileSync, linkSync, renameSync, rmSync, statSync, truncateSync } from 'node:fs';
import { event } from '../core/events.js';
import { FINAL_STATES, retentionOf } from '../core/task.js';
import { touchPrivateFile } from '../fs-safe.js';
import { removeLog, segmentIndexes } from './log-segments.js';
import { rotatedEventsFile, storedEventsCursor } from './pane-events.js';
import type { Runtime } from './runtime.js';

export const HOUSEKEEPING_EVERY_MS = 60_000;
/** `pane-events.log` is rotated past this size. */
export const EVENTS_ROTATE_BYTES = 1024 * 1024;
/**
 * The rotated events file is deleted only this long after its last write (and once read to its
 * end): a hook's `dd` opens the file and writes one line within milliseconds.
 */
export const EVENTS_QUIET_MS = 60_000;
/** `daemon.log` is rotated (to `daemon.log.1`) past this size. */
export const DAEMON_LOG_MAX_BYTES = 10 * 1024 * 1024;
const VACUUM_KEY = 'store_size_at_vacuum';
/** Sent and failed notifications are kept this long for `events --notifications`, then forgotten. */
export const OUTBOX_KEEP_MS = 30 * 86_400_000;

export interface Housekeeping {
  logsRemoved: number;
  eventsRotated: boolean;
  daemonLogRotated: boolean;
  vacuumed: boolean;
  notificationsPruned: number;
}

export function housekeep(
  rt: Runtime,
  now: number,
  log: (line: string) => void = () => undefined,
): Housekeeping {
  // Each step on its own: one that fails (a file it cannot read, the store busy) neither skips the
  // others nor hides what they did (a rotated pane-events.log must be watched anew).
  const step = <T>(name: string, fallback: T, fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      log(`housekeeping: ${name} failed: ${error instanceof Error ? error.message : String(error)}`);
      return fallback;
    }
  };
  return {
    logsRemoved: step('retention', 0, () => pruneLogs(rt, now)),
    eventsRotated: step('pane-events.log rotation', false, () => rotatePaneEvents(rt, now)),
    daemonLogRotated: step('daemon.log rotation', false, () => rotateDaemonLog(rt.paths.daemonLog)),
    notificationsPruned: step('outbox pruning', 0, () => rt.store.outbox.prune(now - OUTBOX_KEEP_MS)),
    vacuumed: step('vacuum', false, () => vacuumIfGrown(rt)),
  };
}

/**
 * Removes the log files (and timestamp index) of ended runs older than the task's newest
 * `keepRuns`, and of every run of a task finished more than `keepFinishedMs` ago. Run rows stay,
 * and the journal says which runs' logs went. Returns how many runs lost their logs.
 */
export function pruneLogs(rt: Runtime, now: number): number {
  let removed = 0;
  for (const task of rt.store.tasks.all()) {
    const { keepRuns, keepFinishedMs } = retentionOf(task.spec);
    const runs = rt.store.runs.forTask(task.id);
    const lastEnd = runs.at(-1)?.endedAt ?? null;
    const finished =
      FINAL_STATES.has(task.state) &&
      keepFinishedMs !== null &&
      lastEnd !== null &&
      now - lastEnd >= keepFinishedMs;
    const old = finished ? runs : runs.slice(0, Math.max(0, runs.length - keepRuns));
    const gone = old.filter((r) => r.endedAt !== null && segmentIndexes(r.logPath).length > 0);
    if (gone.length === 0) continue;
    for (const run of gone) removeLog(run.logPath);
    rt.store.tx(() => {
      for (const run of gone) rt.store.logTimes.removeRun(run.id);
      rt.store.events.record(
        { taskId: task.id, taskName: task.name, at: now },
        event('logs-removed', {
          runs: gone.map((r) => r.n),
          reason: finished ? 'keep-finished' : 'keep-runs',
        }),
      );
    });
    removed += gone.length;
  }
  return removed;
}

function fileId(path: string): { ino: number; size: number; mtimeMs: number } | null {
  try {
    const st = statSync(path);
    return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return null;
  }
}

/**
 * Rotates `pane-events.log` past `EVENTS_ROTATE_BYTES` without a moment where its name is missing
 * (the launcher appends only to a file that exists): the file is hard-linked to `.1`, then a new
 * empty one is renamed over the name. Writers that opened the old file keep appending there, and
 * the daemon's cursor (pane-events.ts `EventsCursor`) reads both by inode, so no line is lost or
 * read twice. The previous `.1` goes first, only once read to its end and quiet for a minute.
 * Returns whether it rotated: the daemon then watches the new file.
 */
export function rotatePaneEvents(rt: Runtime, now: number, minBytes = EVENTS_ROTATE_BYTES): boolean {
  const path = rt.paths.eventsFile;
  const oldPath = rotatedEventsFile(path);
  const cur = fileId(path);
  if (!cur || cur.size < minBytes) return false;
  const pos = storedEventsCursor(rt);
  // The committed cursor must be in this file: a cursor still in `.1` has a rotation to read first.
  if (pos.ino !== cur.ino) return false;
  const old = fileId(oldPath);
  if (old && old.ino !== cur.ino) {
    const read = pos.prev?.ino === old.ino && pos.prev.offset >= old.size;
    if (!read || now - old.mtimeMs < EVENTS_QUIET_MS) return false;
  }
  rmSync(oldPath, { force: true });
  linkSync(path, oldPath);
  const fresh = `${path}.new`;
  rmSync(fresh, { force: true });
  touchPrivateFile(fresh);
  renameSync(fresh, path);
  return true;
}

/**
 * `daemon.log` past `maxBytes` is copied to `daemon.log.1` and emptied in place: the daemon's
 * stdout is that file, opened for appending by the watchdog's shell, so its next line lands at the
 * new start. The daemon itself does this between two of its own lines.
 */
export function rotateDaemonLog(path: string, maxBytes = DAEMON_LOG_MAX_BYTES): boolean {
  const cur = fileId(path);
  if (!cur || cur.size < maxBytes) return false;
  const old = `${path}.1`;
  rmSync(old, { force: true });
  copyFileSync(path, old);
  // Private, like the file it came from, whatever mode copying gave it.
  chmodSync(old, 0o600);
  truncateSync(path, 0);
  return true;
}

/**
 * `VACUUM` once the store file is half again as large as after the last one (the size is kept in
 * meta; the first look only records it). Rows deleted by retention and by `rm` leave free pages
 * that SQLite reuses but never returns to the disk otherwise.
 */
export function vacuumIfGrown(rt: Runtime): boolean {
  const size = fileId(rt.store.path)?.size ?? 0;
  const last = Number(rt.store.meta.get(VACUUM_KEY) ?? Number.NaN);
  if (!Number.isFinite(last) || last <= 0) {
    rt.store.tx(() => rt.store.meta.set(VACUUM_KEY, String(size)));
    return false;
  }
  if (size < last * 1.5) return false;
  rt.store.db.exec('VACUUM');
  rt.store.db.pragma('wal_checkpoint(TRUNCATE)');
  const after = fileId(rt.store.path)?.size ?? size;
  rt.store.tx(() => rt.store.meta.set(VACUUM_KEY, String(after)));
  return true;
}
