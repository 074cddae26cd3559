import { describe, expect, it } from 'vitest';
import { parseBackoff, parseDuration } from './duration.js';
import { nameFromCommand, uniqueName, validateTaskName } from './names.js';

describe('task names', () => {
  it.each([
    [['npm', 'run', 'build'], 'npm-run-build'],
    [['./long-job.sh', '--flag', 'two words'], 'long-job'],
    [['/usr/bin/python3', 'train.py'], 'python3-train-py'],
    [['sleep', '30'], 'sleep-30'],
    [['$$$'], 'task'],
  ])('%j suggests %s', (argv, name) => {
    expect(nameFromCommand(argv)).toBe(name);
  });

  it('makes a name unique with a counter', () => {
    const taken = new Set(['build', 'build-2']);
    expect(uniqueName('build', (n) => taken.has(n))).toBe('build-3');
    expect(uniqueName('other', (n) => taken.has(n))).toBe('other');
  });

  it('refuses a bad name with the rule', () => {
    expect(() => validateTaskName('Bad')).toThrow(/lowercase letters, digits and "-"/);
    expect(validateTaskName('ok-1')).toBe('ok-1');
  });
});

describe('durations', () => {
  it.each([
    ['250ms', 250],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h30m', 5_400_000],
    ['2', 2000],
    ['1.5s', 1500],
  ])('%s is %d ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it('refuses nonsense with the field name', () => {
    expect(() => parseDuration('soon', '--timeout')).toThrow(
      '--timeout: expected a duration like 500ms, 10s, 5m or 1h30m, got "soon"',
    );
    expect(() => parseDuration('5x')).toThrow();
  });

  it('parses backoff ranges', () => {
    expect(parseBackoff('1s..5m')).toEqual({ initialMs: 1000, maxMs: 300_000 });
    expect(() => parseBackoff('5m..1s')).toThrow(/below the initial/);
  });
});
