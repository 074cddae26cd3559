import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FOREIGN_READ_MAX, readForeignLines } from './file-range.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'hf-range-'));
  dirs.push(d);
  return d;
}

describe('a file another program names', () => {
  it('gives its complete lines from an offset, holding a line still being written back', () => {
    const file = join(dir(), 't.jsonl');
    writeFileSync(file, 'one\ntwo\nthr');
    expect(readForeignLines(file, 0)).toEqual({ lines: ['one', 'two'], next: 8 });
    expect(readForeignLines(file, 8)).toEqual({ lines: [], next: 8 });
    appendFileSync(file, 'ee\n');
    expect(readForeignLines(file, 8)).toEqual({ lines: ['three'], next: 14 });
  });

  it('reads nothing, without blocking, from a FIFO, a directory or nothing at all', () => {
    const d = dir();
    execFileSync('mkfifo', [join(d, 'fifo')]);
    expect(readForeignLines(join(d, 'fifo'), 0)).toEqual({ lines: [], next: 0 });
    expect(readForeignLines(d, 0)).toEqual({ lines: [], next: 0 });
    expect(readForeignLines(join(d, 'absent'), 3)).toEqual({ lines: [], next: 3 });
  });

  it('skips a line longer than one read takes, and goes on after it', () => {
    const file = join(dir(), 't.jsonl');
    writeFileSync(file, `${'x'.repeat(FOREIGN_READ_MAX + 10)}\nafter\n`);
    const first = readForeignLines(file, 0);
    expect(first).toEqual({ lines: [], next: FOREIGN_READ_MAX });
    expect(readForeignLines(file, first.next)).toEqual({
      lines: ['x'.repeat(10), 'after'],
      next: FOREIGN_READ_MAX + 17,
    });
  });
});
