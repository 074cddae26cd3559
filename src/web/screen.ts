/**
 * The live screens of watched tasks: one tmux call per watched task every interval, whatever the
 * number of pages watching it, and a frame only when the screen changed. The daemon is never asked.
 */
import { execFile } from 'node:child_process';
import type { ScreenFrame } from './protocol.js';

const DIMENSIONS = '#{pane_width} #{pane_height} #{cursor_x} #{cursor_y}';

export type ScreenListener = (frame: ScreenFrame | { none: string }) => void;

interface Watch {
  listeners: Set<ScreenListener>;
  last: string | null;
  lastNone: string | null;
  busy: boolean;
}

/** One frame from tmux's answer: the dimensions line, then the pane's lines with their escapes. */
export function parseCapture(task: string, out: string): ScreenFrame | null {
  const newline = out.indexOf('\n');
  if (newline === -1) return null;
  const [cols, rows, x, y] = out.slice(0, newline).trim().split(' ').map(Number);
  if ([cols, rows, x, y].some((n) => n === undefined || !Number.isInteger(n))) return null;
  const lines = out.slice(newline + 1).split('\n');
  if (lines.at(-1) === '') lines.pop();
  return {
    task,
    cols: cols!,
    rows: rows!,
    cursor: { x: x!, y: y! },
    data: lines.slice(0, rows).join('\r\n'),
  };
}

export class ScreenFeed {
  private readonly watches = new Map<string, Watch>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly socket: string,
    private readonly intervalMs = 200,
  ) {}

  /** Starts sending `task`'s frames to `listener`; the returned function stops it. */
  watch(task: string, listener: ScreenListener): () => void {
    let w = this.watches.get(task);
    if (!w) {
      w = { listeners: new Set(), last: null, lastNone: null, busy: false };
      this.watches.set(task, w);
    }
    w.listeners.add(listener);
    this.timer ??= setInterval(() => this.tick(), this.intervalMs);
    // A new watcher gets the current screen at once, not at the next change.
    w.last = null;
    w.lastNone = null;
    this.capture(task, w);
    return () => {
      const current = this.watches.get(task);
      if (!current) return;
      current.listeners.delete(listener);
      if (current.listeners.size === 0) this.watches.delete(task);
      if (this.watches.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.watches.clear();
  }

  private tick(): void {
    for (const [task, w] of this.watches) this.capture(task, w);
  }

  private capture(task: string, w: Watch): void {
    if (w.busy) return;
    w.busy = true;
    const target = `=${task}:`;
    execFile(
      'tmux',
      [
        '-S',
        this.socket,
        'display-message',
        '-p',
        '-t',
        target,
        DIMENSIONS,
        ';',
        'capture-pane',
        '-e',
        '-p',
        '-t',
        target,
      ],
      { timeout: 5000, maxBuffer: 8 * 1024 * 1024, killSignal: 'SIGKILL' },
      (error, stdout) => {
        w.busy = false;
        if (!this.watches.has(task)) return;
        const frame = error ? null : parseCapture(task, String(stdout));
        if (frame === null) {
          const why = 'no live pane (the task is not running, or its session is gone)';
          if (w.lastNone === why) return;
          w.lastNone = why;
          w.last = null;
          for (const l of w.listeners) l({ none: why });
          return;
        }
        const key = `${frame.cols}x${frame.rows}@${frame.cursor.x},${frame.cursor.y}\n${frame.data}`;
        if (key === w.last) return;
        w.last = key;
        w.lastNone = null;
        for (const l of w.listeners) l(frame);
      },
    );
  }
}
