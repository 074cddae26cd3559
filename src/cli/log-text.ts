import { readLog, viewLog } from '../supervisor/log-segments.js';
import { closingQuery } from '../supervisor/run-log.js';

/**
 * The byte offset where the last `lines` lines of a run's log (over all its segments) begin,
 * reading backwards in chunks; never before the first byte still on disk.
 */
export function tailOffset(path: string, lines: number): number {
  const view = viewLog(path);
  const whole = view.end;
  // The launcher's closing query (src/supervisor/run-log.ts) is no line of the task's.
  const size = whole - closingQuery(readLog(view, Math.max(view.start, whole - 4)));
  if (lines <= 0) return size;
  let pos = size;
  let seen = 0;
  // A final newline ends the last line; it does not start another.
  let skipFinal = true;
  while (pos > view.start) {
    const from = Math.max(view.start, pos - 65_536);
    const chunk = readLog(view, from, pos);
    for (let i = chunk.length - 1; i >= 0; i--) {
      if (chunk[i] !== 0x0a) continue;
      if (skipFinal && from + i === size - 1) {
        skipFinal = false;
        continue;
      }
      seen++;
      if (seen === lines) return from + i + 1;
    }
    skipFinal = false;
    pos = from;
  }
  return view.start;
}
