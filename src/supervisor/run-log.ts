/**
 * A run's log as the task wrote it. The launcher ends every run's output with a status query to the
 * terminal (`ESC [ 5 n`, libexec/launch.sh): tmux answers it only once it has read all that came
 * before, which is how the launcher knows no byte is still on its way when it exits. Those 4 bytes
 * are the launcher's, not the task's: the readers here leave them out.
 */
import { readLog, viewLog } from './log-segments.js';

const QUERY = Buffer.from('\x1b[5n', 'latin1');

/** Bytes [from, end) of a run's log (all its segments) without the launcher's closing query. */
export function readRunLog(path: string, from: number, ended: boolean): Buffer {
  const bytes = readLog(path, from);
  return bytes.subarray(0, bytes.length - (ended ? closingQuery(bytes) : heldBack(bytes)));
}

/**
 * Where a run's log begins to be readable as lines: 0, or, once rotation has dropped its oldest
 * segments, the start of the first line still whole on disk.
 */
export function firstWholeLine(path: string): number {
  const view = viewLog(path);
  if (view.start === 0) return 0;
  const head = readLog(view, view.start, Math.min(view.end, view.start + 1024 * 1024));
  const cut = head.indexOf(0x0a);
  return cut < 0 ? view.start : view.start + cut + 1;
}

/** How many of the last bytes are the launcher's query: the log of a run that has ended. */
export function closingQuery(bytes: Buffer): number {
  return endsWith(bytes, QUERY) ? QUERY.length : 0;
}

/**
 * How many of the last bytes a reader of a live run holds back: as much of the end as could be the
 * start of the query, until the next read (or the run's end) says whether it is the task's.
 */
export function heldBack(bytes: Buffer): number {
  for (let n = Math.min(QUERY.length, bytes.length); n > 0; n--) {
    if (endsWith(bytes, QUERY.subarray(0, n))) return n;
  }
  return 0;
}

function endsWith(bytes: Buffer, tail: Buffer): boolean {
  return bytes.length >= tail.length && bytes.subarray(bytes.length - tail.length).equals(tail);
}
