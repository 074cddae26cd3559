import { statSync } from 'node:fs';
import { appendExisting } from '../fs-safe.js';
import { signalName } from '../tmux/panes.js';
import { fileSize, readRange } from './file-range.js';
import type { Runtime } from './runtime.js';

/** One line the tmux `pane-died` hook appended: `session|run|status|signal|epoch-ms`. */
export interface PaneDeath {
  session: string;
  runId: number | null;
  exitCode: number | null;
  signal: string | null;
  at: number;
}

const OFFSET_KEY = 'pane_events_offset';
const CURSOR_KEY = 'pane_events_cursor';

/**
 * Where reading got to, by file identity (inode), so that the daemon's rotation of the file
 * (housekeeping.ts: the file is linked to `pane-events.log.1` and an empty one renamed over its
 * name) can happen at any moment: the lines past `offset` in the file that is now `.1` are read
 * from there, and `prev` keeps reading `.1` for lines a writer that opened it before the switch
 * appends after. `ino` null: a cursor from before rotation existed, an offset in the current file.
 */
export interface EventsCursor {
  ino: number | null;
  offset: number;
  prev: { ino: number; offset: number } | null;
}

/** The file the events file was rotated to, read until nothing more can reach it. */
export function rotatedEventsFile(eventsFile: string): string {
  return `${eventsFile}.1`;
}

function fileId(path: string): { ino: number; size: number; mtimeMs: number } | null {
  try {
    const st = statSync(path);
    return { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs };
  } catch {
    return null;
  }
}

export function storedEventsCursor(rt: Runtime): EventsCursor {
  const text = rt.store.meta.get(CURSOR_KEY);
  if (text !== null) {
    try {
      const c = JSON.parse(text) as EventsCursor;
      if (typeof c.offset === 'number') return c;
    } catch {
      // a cursor no holdfast wrote: the plain offset below
    }
  }
  return { ino: null, offset: Number(rt.store.meta.get(OFFSET_KEY) ?? 0), prev: null };
}

export function parsePaneDeath(line: string): PaneDeath | null {
  const parts = line.split('|');
  if (parts.length !== 5) return null;
  const [session, run, status, signal, at] = parts as [string, string, string, string, string];
  const runId = /^\d+$/.test(run) ? Number(run) : null;
  return {
    session,
    runId,
    exitCode: /^\d+$/.test(status) ? Number(status) : null,
    signal: /^\d+$/.test(signal) ? signalName(Number(signal)) : null,
    at: /^\d+$/.test(at) ? Number(at) : Date.now(),
  };
}

/** The offset the journal has processed up to, and how many bytes are written but not yet processed. */
export function paneEventsBacklog(rt: Runtime): {
  offset: number;
  pendingBytes: number;
  pendingEvents: number;
} {
  const offset = Number(rt.store.meta.get(OFFSET_KEY) ?? 0);
  const size = fileSize(rt.paths.eventsFile);
  const pending = size > offset ? readRange(rt.paths.eventsFile, offset, size) : Buffer.alloc(0);
  const pendingEvents = pending
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('_')).length;
  return { offset, pendingBytes: Math.max(0, size - offset), pendingEvents };
}

export interface PaneEvents {
  /** Deaths with a known status, by run id (the last line wins). */
  deaths: Map<number, PaneDeath>;
  /** Task ids a CLI named when it woke the daemon (an intent, a new task). */
  kicks: Set<number>;
  /** Runs (task name, run number) whose launcher saw the task gone; a name of '' is not a task's. */
  gone: { task: string; n: number | null }[];
  /** Tasks' own pids, as their pane processes reported them (task name, run number, pid). */
  pids: { task: string; n: number; pid: number }[];
  /** The cursor after the lines read, committed with the decisions they led to; null: nothing new. */
  end: EventsCursor | null;
}

/**
 * Reads every complete line past the stored offset, without consuming it: the offset is committed
 * (`commitPaneEvents`) in the transaction of the decisions those lines led to, so a line is acted
 * on exactly once across daemon crashes. A death already recorded by another observer is a no-op.
 * `from`: where this reader got to (a CLI's loop, which never commits), else the stored offset.
 */
export function readPaneEvents(rt: Runtime, from: EventsCursor | null = null): PaneEvents {
  const result: PaneEvents = { deaths: new Map(), kicks: new Set(), gone: [], pids: [], end: null };
  const path = rt.paths.eventsFile;
  const oldPath = rotatedEventsFile(path);
  const cur = fileId(path);
  const old = fileId(oldPath);
  const pos = from ?? storedEventsCursor(rt);
  // `.1` is another file than the current one (the same inode: a rotation cut short by a crash).
  const rotated = old !== null && old.ino !== cur?.ino;
  let oldFrom: number | null = null;
  let curFrom: number;
  if (rotated && pos.ino === old.ino) {
    // Rotated since this cursor was taken: the rest of that file, then the new one from its top.
    oldFrom = pos.offset;
    curFrom = 0;
  } else {
    if (rotated && pos.prev?.ino === old.ino) oldFrom = pos.prev.offset;
    curFrom = pos.ino === null || pos.ino === cur?.ino ? pos.offset : 0;
  }
  const curSize = cur?.size ?? 0;
  // A file shorter than our offset was replaced: start it from the top.
  if (curSize < curFrom) curFrom = 0;
  const texts: string[] = [];
  let oldEnd = oldFrom;
  if (oldFrom !== null && old && old.size > oldFrom) {
    const chunk = readRange(oldPath, oldFrom, old.size);
    const end = chunk.lastIndexOf(0x0a) + 1;
    texts.push(chunk.subarray(0, end).toString('utf8'));
    oldEnd = oldFrom + end;
  }
  let curEnd = curFrom;
  if (curSize > curFrom) {
    const chunk = readRange(path, curFrom, curSize);
    const end = chunk.lastIndexOf(0x0a) + 1;
    texts.push(chunk.subarray(0, end).toString('utf8'));
    curEnd = curFrom + end;
  }
  const next: EventsCursor = {
    ino: cur?.ino ?? pos.ino,
    offset: curEnd,
    prev: rotated && oldEnd !== null ? { ino: old.ino, offset: oldEnd } : null,
  };
  const moved =
    next.ino !== pos.ino ||
    next.offset !== pos.offset ||
    (next.prev?.offset ?? null) !== (pos.prev?.offset ?? null) ||
    (next.prev?.ino ?? null) !== (pos.prev?.ino ?? null);
  if (!moved) return result;
  result.end = next;
  for (const line of texts.join('').split('\n')) {
    // holdfast's own lines start with `_`, which no task's session name does (the hook's lines
    // start with the session name), so a task named `kick` or `gone` is never misread.
    if (line.startsWith('_')) {
      readOwnLine(line, result);
      continue;
    }
    const death = parsePaneDeath(line);
    if (!death || death.runId === null) continue;
    if (death.exitCode === null && death.signal === null) continue;
    result.deaths.set(death.runId, death);
  }
  return result;
}

function readOwnLine(line: string, result: PaneEvents): void {
  const [kind, a = '', b = '', c = ''] = line.split('|');
  const n = /^\d+$/.test(b) ? Number(b) : null;
  if (kind === '_gone') result.gone.push({ task: a, n });
  else if (kind === '_kick' && /^\d+$/.test(a)) result.kicks.add(Number(a));
  else if (kind === '_pid' && n !== null && /^\d+$/.test(c)) result.pids.push({ task: a, n, pid: Number(c) });
}

/** Every pid launchers reported in the lines from `from` on, by `task|n` (one read for many launches). */
export function taskPidsSince(rt: Runtime, from: number): Map<string, number> {
  const found = new Map<string, number>();
  const size = fileSize(rt.paths.eventsFile);
  if (size < from) from = 0;
  if (size <= from) return found;
  const text = readRange(rt.paths.eventsFile, from, size).toString('utf8');
  for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
    if (!line.startsWith('_pid|') || !line.endsWith('|0')) continue;
    const [, task, n, pid] = line.split('|');
    if (task && n && pid && /^\d+$/.test(pid)) found.set(`${task}|${n}`, Number(pid));
  }
  return found;
}

/** The pid a launcher reported for run `n` of `task` in the lines from `from` on; null: not yet. */
export function findTaskPid(rt: Runtime, from: number, task: string, n: number): number | null {
  const size = fileSize(rt.paths.eventsFile);
  // Rotated since (housekeeping.ts): the line is in the new file; one missed is the loop's to record.
  if (size < from) from = 0;
  if (size <= from) return null;
  const prefix = `_pid|${task}|${n}|`;
  const text = readRange(rt.paths.eventsFile, from, size).toString('utf8');
  // Only whole lines: a line being appended is read on the next look.
  for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
    if (!line.startsWith(prefix) || !line.endsWith('|0')) continue;
    const pid = line.slice(prefix.length, -2);
    if (/^\d+$/.test(pid)) return Number(pid);
  }
  return null;
}

export function commitPaneEvents(rt: Runtime, end: EventsCursor): void {
  rt.store.meta.set(OFFSET_KEY, String(end.offset));
  rt.store.meta.set(CURSOR_KEY, JSON.stringify(end));
}

/** Wakes the daemon for an immediate pass about a task: a line in the file it watches that names no run. */
export function kickDaemon(rt: Runtime, taskId: number | null = null): void {
  try {
    appendExisting(rt.paths.eventsFile, `_kick|${taskId ?? ''}|||${Date.now()}\n`);
  } catch {
    // no daemon has made the file yet: nothing to wake
  }
}
