/**
 * What a task's tmux status line says about it: its state, what holdfast does next and when, and
 * its restarts. Pure: `now` is passed in. The text is plain; the tmux side makes it literal.
 */
import { formatDuration } from './duration.js';
import { stallLimit } from './lifecycle.js';
import type { TaskRecord } from './task.js';

export type StatusTask = Pick<
  TaskRecord,
  'state' | 'reason' | 'restarts' | 'nextStartAt' | 'limitResetsAt' | 'spec' | 'tui'
>;

/** The status line's text for one task, e.g. `rate-limited, resumes 06:46 · 2 restarts`. */
export function statusText(task: StatusTask, now: number): string {
  const next = nextAction(task, now);
  const restarts = `${task.restarts} restart${task.restarts === 1 ? '' : 's'}`;
  return `${task.state}${next ? `, ${next}` : ''} · ${restarts}`;
}

/** What holdfast does next for the task and when, or what it waits on; null when nothing is due. */
export function nextAction(task: StatusTask, now: number): string | null {
  switch (task.state) {
    case 'pending':
    case 'starting':
      return null;
    case 'running': {
      // The plain limit: whether a tool is in flight (a longer one) is not in the task's row.
      const limit = stallLimit(task.spec, false);
      return limit === null ? null : `stall after ${formatDuration(limit)} quiet`;
    }
    case 'backoff':
      return task.nextStartAt === null ? null : `restarts ${clock(task.nextStartAt, now, true)}`;
    case 'crash-loop':
      return task.nextStartAt === null
        ? 'waits for a restart'
        : `probe ${clock(task.nextStartAt, now, true)}`;
    case 'rate-limited': {
      const at = task.limitResetsAt ?? task.nextStartAt;
      return at === null ? 'waits for the limit to reset' : `resumes ${clock(at, now, false)}`;
    }
    case 'stalled':
      return task.spec.onStall === 'notify' ? 'no output: look at it' : 'no output';
    case 'waiting-input': {
      const q = task.tui?.question;
      if (!q) return task.reason;
      const what = [q.tool, q.input].filter((s): s is string => s !== null && s !== '').join(': ');
      return `asks ${what || q.kind}: holdfast answer`;
    }
    case 'stopping':
    case 'stopped':
    case 'succeeded':
    case 'failed':
      return task.reason;
  }
}

/**
 * A wall time on the machine's clock: HH:MM, with seconds when they matter (a backoff of a few
 * seconds), and the date when it is not today.
 */
function clock(at: number, now: number, seconds: boolean): string {
  const d = new Date(at);
  const two = (n: number) => String(n).padStart(2, '0');
  const time = `${two(d.getHours())}:${two(d.getMinutes())}${seconds ? `:${two(d.getSeconds())}` : ''}`;
  const today = new Date(now);
  const sameDay =
    d.getFullYear() === today.getFullYear() &&
    d.getMonth() === today.getMonth() &&
    d.getDate() === today.getDate();
  return sameDay ? time : `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${time}`;
}
