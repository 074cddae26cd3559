import { describe, expect, it } from 'vitest';
import { parseCapture } from './screen.js';

describe("a pane's screen from tmux", () => {
  it('is the dimensions line, then the rows joined with CRLF, escapes kept', () => {
    const frame = parseCapture('t', '80 3 5 1\n\x1b[31mRED\x1b[39m\nsecond\nthird\n');
    expect(frame).toEqual({
      task: 't',
      cols: 80,
      rows: 3,
      cursor: { x: 5, y: 1 },
      data: '\x1b[31mRED\x1b[39m\r\nsecond\r\nthird',
    });
  });

  it('is null when tmux did not answer with dimensions', () => {
    expect(parseCapture('t', "can't find session: t\n")).toBeNull();
    expect(parseCapture('t', '')).toBeNull();
  });
});
