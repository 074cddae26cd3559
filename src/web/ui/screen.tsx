import type { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Live } from './live.js';

/**
 * The task's pane as tmux shows it, rendered by xterm.js (loaded only on a task page). Each frame
 * is the whole screen: cleared, written, the cursor put where tmux has it.
 */
export function Screen({ live }: { live: Live }) {
  const box = useRef<HTMLDivElement>(null);
  const [none, setNone] = useState<string | null>(null);
  useEffect(() => {
    let term: Terminal | null = null;
    let pending: Parameters<Parameters<Live['onScreen']>[0]>[0] | null = null;
    let disposed = false;
    const draw = (e: NonNullable<typeof pending>) => {
      if ('none' in e) {
        setNone(e.none);
        return;
      }
      setNone(null);
      if (term === null) {
        pending = e;
        return;
      }
      if (term.cols !== e.cols || term.rows !== e.rows) term.resize(e.cols, e.rows);
      term.write(`\x1b[H\x1b[2J${e.data}\x1b[${e.cursor.y + 1};${e.cursor.x + 1}H`);
    };
    const off = live.onScreen(draw);
    void import('@xterm/xterm').then(({ Terminal }) => {
      if (disposed || !box.current) return;
      term = new Terminal({
        disableStdin: true,
        scrollback: 0,
        cursorBlink: false,
        fontSize: 13,
        fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
        theme: { background: '#111418', foreground: '#d8dee9' },
      });
      term.open(box.current);
      if (pending) draw(pending);
    });
    return () => {
      disposed = true;
      off();
      term?.dispose();
    };
  }, [live]);
  return (
    <div class="screen-wrap">
      {none ? (
        <p class="dim" data-testid="screen-none">
          {none}
        </p>
      ) : null}
      <div class="screen" data-testid="screen" ref={box} />
    </div>
  );
}
