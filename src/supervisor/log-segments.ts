/**
 * A run's log as one byte stream over its segments. The pipe's writer (libexec/log-pipe.pl) fills
 * `run-N.log` to exactly the task's `--log-max` bytes, then `run-N.1.log`, `run-N.2.log`, … and
 * deletes the oldest when there are more than `LOG_SEGMENTS`: segment k holds bytes
 * [k·max, (k+1)·max) of the run's output. Every offset holdfast keeps into a log (the tailer's, the
 * timestamp index's) is over that whole stream, so it never changes meaning when a segment is
 * added or dropped; bytes of a dropped segment are simply no longer there to read.
 *
 * The segments describe themselves: every one but the newest is full, so the size of one of them
 * is the limit. No reader needs the task's spec to find a byte.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { logSegmentIndex, logSegmentPath } from '../paths.js';
import { readRange } from './file-range.js';

/** Segments kept per run: the newest (being written) and the four before it. */
export const LOG_SEGMENTS = 5;

export interface LogSegment {
  path: string;
  /** Its index: 0 is the run's log path itself. */
  k: number;
  /** Offset of its first byte in the run's stream. */
  start: number;
  size: number;
  mtimeMs: number;
}

export interface LogView {
  /** The first byte still on disk (0 until a segment has been dropped). */
  start: number;
  /** The stream's length: every byte the run has written so far. */
  end: number;
  segments: LogSegment[];
}

export const segmentPath = logSegmentPath;

/** The segment indexes on disk, oldest first. */
export function segmentIndexes(logPath: string): number[] {
  let names: string[];
  try {
    names = readdirSync(dirname(logPath));
  } catch {
    return [];
  }
  const ks: number[] = [];
  for (const n of names) {
    const k = logSegmentIndex(logPath, n);
    if (k !== null) ks.push(k);
  }
  return ks.sort((a, b) => a - b);
}

export function viewLog(logPath: string): LogView {
  const found: { k: number; path: string; size: number; mtimeMs: number }[] = [];
  for (const k of segmentIndexes(logPath)) {
    const path = segmentPath(logPath, k);
    try {
      const st = statSync(path);
      found.push({ k, path, size: st.size, mtimeMs: st.mtimeMs });
    } catch {
      // dropped between the listing and the stat: gone as far as this reader is concerned
    }
  }
  if (found.length === 0) return { start: 0, end: 0, segments: [] };
  // Any segment but the newest is full: its size is the limit the writer used.
  const limit = found.length > 1 ? found[0]!.size : 0;
  const segments = found.map((s) => ({ ...s, start: s.k * limit }));
  const last = segments.at(-1)!;
  return { start: segments[0]!.start, end: last.start + last.size, segments };
}

export function logSize(logPath: string): number {
  return viewLog(logPath).end;
}

/** When the run last wrote (the newest segment's mtime); null when nothing is on disk. */
export function logMtimeMs(logPath: string): number | null {
  return viewLog(logPath).segments.at(-1)?.mtimeMs ?? null;
}

/**
 * Bytes [from, to) of the stream (to defaults to its end), from the segments on disk: a `from`
 * before the first byte still there starts at that byte (`view.start`), so check it when it matters.
 * Shorter than asked when a segment went away after `view` was taken: never bytes out of place.
 */
export function readLog(logPath: string | LogView, from: number, to?: number): Buffer {
  const view = typeof logPath === 'string' ? viewLog(logPath) : logPath;
  const end = Math.min(to ?? view.end, view.end);
  const parts: Buffer[] = [];
  for (const s of view.segments) {
    const a = Math.max(from, s.start);
    const b = Math.min(end, s.start + s.size);
    if (b <= a) continue;
    const part = readRange(s.path, a - s.start, b - s.start);
    parts.push(part);
    // A segment dropped (or cut) since the view was taken: what follows would not start where it
    // is taken to, so the read ends at the gap and the next view goes on from what is there.
    if (part.length < b - a) break;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}

/** Removes every segment of a run's log. */
export function removeLog(logPath: string): number {
  let removed = 0;
  for (const k of segmentIndexes(logPath)) {
    rmSync(segmentPath(logPath, k), { force: true });
    removed++;
  }
  return removed;
}
