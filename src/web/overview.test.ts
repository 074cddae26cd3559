import { describe, expect, it } from 'vitest';
import { lastLine } from './overview.js';

describe("a log's last line", () => {
  it('is the last line with text, escapes stripped', () => {
    expect(lastLine('one\n\x1b[31mtwo\x1b[0m\n\n  \n')).toBe('two');
  });

  it("keeps a carriage return's overwrite: a progress bar shows its newest state", () => {
    expect(lastLine('build\n 10%\r 55%\r 90%\r')).toBe('90%');
  });

  it('is null for a log with nothing shown', () => {
    expect(lastLine('\n\x1b[2J\n')).toBeNull();
  });
});
