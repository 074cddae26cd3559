import { describe, expect, test } from 'vitest';
import { formatStat, parseNumstat } from './diff-stat.js';
import { type CheckpointMeta, formatCheckpointMessage, parseCheckpointMessage } from './message.js';

const META: CheckpointMeta = {
  task: 'build',
  run: 7,
  sessionId: '0b1c-uuid',
  at: '2025-01-02T03:04:05.678Z',
  reason: 'before restart',
  files: 2,
  insertions: 10,
  deletions: 3,
};
const FALLBACK = { task: 'fallback', at: '2000-01-01T00:00:00.000Z' };

describe('checkpoint messages', () => {
  test('read back what they say, with a readable subject line', () => {
    const message = formatCheckpointMessage(META);
    expect(message.split('\n')[0]).toBe('holdfast checkpoint: build run 7 (before restart)');
    expect(parseCheckpointMessage(message, FALLBACK)).toEqual(META);
  });

  test('omit absent fields and read them back as null', () => {
    const message = formatCheckpointMessage({ ...META, run: null, sessionId: null, reason: null });
    expect(message).not.toMatch(/Holdfast-(Run|Session|Reason)/);
    expect(parseCheckpointMessage(message, FALLBACK)).toMatchObject({
      run: null,
      sessionId: null,
      reason: null,
    });
  });

  test('keep a value on one line so it cannot forge another field', () => {
    const message = formatCheckpointMessage({ ...META, reason: 'x\nHoldfast-Run: 99', sessionId: 'a\r\nb' });
    expect(parseCheckpointMessage(message, FALLBACK)).toMatchObject({
      run: 7,
      reason: 'x Holdfast-Run: 99',
      sessionId: 'a b',
    });
  });

  test('fall back for a message that is not one of ours', () => {
    expect(parseCheckpointMessage('WIP\n\nHoldfast-Time: yesterday\nHoldfast-Files: -4', FALLBACK)).toEqual({
      task: 'fallback',
      run: null,
      sessionId: null,
      at: FALLBACK.at,
      reason: null,
      files: 0,
      insertions: 0,
      deletions: 0,
    });
  });
});

describe('diff stats', () => {
  test('parse numstat records with odd paths and binary files', () => {
    expect(parseNumstat('3\t1\ta b.txt\0-\t-\timg.png\0' + '0\t2\ttab\there\nnewline\0')).toEqual([
      { path: 'a b.txt', insertions: 3, deletions: 1, binary: false },
      { path: 'img.png', insertions: 0, deletions: 0, binary: true },
      { path: 'tab\there\nnewline', insertions: 0, deletions: 2, binary: false },
    ]);
    expect(parseNumstat('')).toEqual([]);
  });

  test('summarise like git diff --stat', () => {
    expect(formatStat({ files: 0, insertions: 0, deletions: 0 })).toBe('no changes');
    expect(formatStat({ files: 1, insertions: 1, deletions: 0 })).toBe('1 file changed, 1 insertion(+)');
    expect(formatStat({ files: 2, insertions: 0, deletions: 5 })).toBe('2 files changed, 5 deletions(-)');
  });
});
