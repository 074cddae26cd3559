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
  /** The offset after the lines read, committed with the decisions they led to; null: nothing new. */
  end: number | null;
}

/**
 * Reads every complete line past the stored offset, without consuming it: the offset is committed
 * (`commitPaneEvents`) in the transaction of the decisions those lines led to, so a line is acted
 * on exactly once across daemon crashes. A death already recorded by another observer is a no-op.
 * `from`: where this reader got to (a CLI's loop, which never commits), else the stored offset.
 */
export function readPaneEvents(rt: Runtime, from: number | null = null): PaneEvents {
  const result: PaneEvents = { deaths: new Map(), kicks: new Set(), gone: [], pids: [], end: null };
  const size = fileSize(rt.paths.eventsFile);
  let offset = from ?? Number(rt.store.meta.get(OFFSET_KEY) ?? 0);
  // A file shorter than our offset was replaced: start it from the top.
  if (size < offset) offset = 0;
  if (size === offset) return result;
  const chunk = readRange(rt.paths.eventsFile, offset, size);
  const end = chunk.lastIndexOf(0x0a) + 1;
  if (end === 0) return result;
  result.end = offset + end;
  for (const line of chunk.subarray(0, end).toString('utf8').split('\n')) {
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

/** The pid a launcher reported for run `n` of `task` in the lines from `from` on; null: not yet. */
export function findTaskPid(rt: Runtime, from: number, task: string, n: number): number | null {
  const size = fileSize(rt.paths.eventsFile);
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

export function commitPaneEvents(rt: Runtime, end: number): void {
  rt.store.meta.set(OFFSET_KEY, String(end));
}

/** Wakes the daemon for an immediate pass about a task: a line in the file it watches that names no run. */
export function kickDaemon(rt: Runtime, taskId: number | null = null): void {
  try {
    appendExisting(rt.paths.eventsFile, `_kick|${taskId ?? ''}|||${Date.now()}\n`);
  } catch {
    // no daemon has made the file yet: nothing to wake
  }
}
