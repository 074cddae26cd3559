import { fileSize, readRange } from '../supervisor/file-range.js';
import { closingQuery } from '../supervisor/run-log.js';

/** The byte offset where the last `lines` lines of a file begin, reading backwards in chunks. */
export function tailOffset(path: string, lines: number): number {
  const whole = fileSize(path);
  // The launcher's closing query (src/supervisor/run-log.ts) is no line of the task's.
  const size = whole - closingQuery(readRange(path, Math.max(0, whole - 4)));
  if (lines <= 0) return size;
  let pos = size;
  let seen = 0;
  // A final newline ends the last line; it does not start another.
  let skipFinal = true;
  while (pos > 0) {
    const from = Math.max(0, pos - 65_536);
    const chunk = readRange(path, from, pos);
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
  return 0;
}
