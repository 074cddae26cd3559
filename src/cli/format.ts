import Table from 'cli-table3';
import { createColors } from 'picocolors';
import { formatDuration } from '../core/duration.js';
import { DEFER_TEXT } from '../core/input.js';
import type { TaskState } from '../core/task.js';
import type { TaskView } from '../views/task.js';

// Colour only a terminal: picocolors alone also colours piped output whenever CI is set.
export const pc = createColors(
  'FORCE_COLOR' in process.env || (Boolean(process.stdout.isTTY) && !('NO_COLOR' in process.env)),
);

export function table(head: string[], rows: (string | number)[][]): string {
  const t = new Table({
    head,
    chars: {
      top: '',
      'top-mid': '',
      'top-left': '',
      'top-right': '',
      bottom: '',
      'bottom-mid': '',
      'bottom-left': '',
      'bottom-right': '',
      left: '',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      right: '',
      'right-mid': '',
      middle: '  ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  t.push(...rows.map((r) => r.map(String)));
  return t
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n');
}

const STATE_COLOR: Partial<Record<TaskState, (s: string) => string>> = {
  running: pc.green,
  succeeded: pc.green,
  failed: pc.red,
  'crash-loop': pc.red,
  backoff: pc.yellow,
  stalled: pc.yellow,
  'rate-limited': pc.yellow,
  'waiting-input': pc.magenta,
  stopped: pc.dim,
};

export function stateText(state: TaskState): string {
  return (STATE_COLOR[state] ?? ((s: string) => s))(state);
}

export function exitText(view: Pick<TaskView, 'exitCode' | 'signal'>): string {
  if (view.signal) return view.signal;
  return view.exitCode === null ? '-' : String(view.exitCode);
}

export function ageText(iso: string | null, now: number): string {
  return iso === null ? '-' : `${formatDuration(now - Date.parse(iso))} ago`;
}

/** A command as a person would type it: words quoted only when they need it. */
export function commandText(argv: readonly string[]): string {
  return argv
    .map((a) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`))
    .join(' ');
}

export function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

/** A task's open inputs on one line (`ls`, `status`): how many, and why the first waits. Null: none. */
export function inputsText(v: Pick<TaskView, 'inputs'>): string | null {
  const first = v.inputs[0];
  if (!first) return null;
  const count = v.inputs.length === 1 ? '1 input' : `${v.inputs.length} inputs`;
  if (first.deferred) return `${count} deferred: ${DEFER_TEXT[first.deferred]}`;
  const doing =
    first.state === 'queued' ? 'queued' : first.state === 'submitted' ? 'submitted' : 'being sent';
  return `${count} ${doing}`;
}
