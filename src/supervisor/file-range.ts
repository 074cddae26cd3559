import { closeSync, constants, fstatSync, openSync, readSync, statSync } from 'node:fs';

export function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Bytes [from, to) of a file (to defaults to its end); empty when the file is absent. */
export function readRange(path: string, from: number, to?: number): Buffer {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const end = to ?? statSync(path).size;
    return readAt(fd, from, Math.max(0, end - from));
  } finally {
    closeSync(fd);
  }
}

/** Up to `length` bytes of an open file from byte `from`: fewer when it ends sooner. */
function readAt(fd: number, from: number, length: number): Buffer {
  const buffer = Buffer.alloc(length);
  let read = 0;
  while (read < length) {
    const n = readSync(fd, buffer, read, length - read, from + read);
    if (n === 0) break;
    read += n;
  }
  return buffer.subarray(0, read);
}

/** The most of a file another program names that one read takes. */
export const FOREIGN_READ_MAX = 4 * 1024 * 1024;

/**
 * The complete lines of a file another program names (an agent's transcript, from its hook
 * payload) from byte `from`, and the offset after the last one. Only a regular file is read, opened
 * without blocking (a FIFO planted there would block an open for reading forever), at most
 * `FOREIGN_READ_MAX` bytes a call; a line longer than that is skipped. Absent or not a regular
 * file: no lines, the offset unchanged.
 */
export function readForeignLines(path: string, from: number): { lines: string[]; next: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch {
    return { lines: [], next: from };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() || stat.size <= from) return { lines: [], next: from };
    const buffer = readAt(fd, from, Math.min(stat.size - from, FOREIGN_READ_MAX));
    const read = buffer.length;
    const end = buffer.lastIndexOf(0x0a);
    if (end < 0) return { lines: [], next: read === FOREIGN_READ_MAX ? from + read : from };
    const lines = buffer.subarray(0, end).toString('utf8').split('\n').filter(Boolean);
    return { lines, next: from + end + 1 };
  } catch {
    return { lines: [], next: from };
  } finally {
    closeSync(fd);
  }
}
