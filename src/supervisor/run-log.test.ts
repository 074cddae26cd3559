import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { closingQuery, heldBack, readRunLog } from './run-log.js';

const QUERY = '\x1b[5n';
const bytes = (text: string) => Buffer.from(text, 'latin1');

describe('a run log without the launcher query', () => {
  it('an ended run loses exactly the closing query, nothing of the task', () => {
    expect(closingQuery(bytes(`hello\r\n${QUERY}`))).toBe(4);
    expect(closingQuery(bytes('hello\r\n\x1b[5'))).toBe(0);
    expect(closingQuery(bytes(''))).toBe(0);
  });

  it('a live run holds back as much of its end as could begin the query', () => {
    expect(heldBack(bytes('abc'))).toBe(0);
    expect(heldBack(bytes('abc\x1b'))).toBe(1);
    expect(heldBack(bytes('abc\x1b['))).toBe(2);
    expect(heldBack(bytes('abc\x1b[5'))).toBe(3);
    expect(heldBack(bytes(`abc${QUERY}`))).toBe(4);
    expect(heldBack(bytes('abc\x1b[6'))).toBe(0);
  });

  it('reads a file from an offset, with the query left out once the run has ended', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-runlog-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const path = join(dir, 'run-1.log');
    writeFileSync(path, `one\r\ntwo\r\n${QUERY}`);
    expect(readRunLog(path, 0, true).toString('latin1')).toBe('one\r\ntwo\r\n');
    expect(readRunLog(path, 5, true).toString('latin1')).toBe('two\r\n');
    expect(readRunLog(path, 0, false).toString('latin1')).toBe('one\r\ntwo\r\n');
    writeFileSync(path, 'partial \x1b[');
    expect(readRunLog(path, 0, true).toString('latin1')).toBe('partial \x1b[');
    expect(readRunLog(path, 0, false).toString('latin1')).toBe('partial ');
  });
});
