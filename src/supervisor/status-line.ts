/**
 * Keeps each task session's status line true: after a pass has applied its decisions, the user
 * options the status format reads (tmux/config.ts, STATUS_OPTIONS) are set for the tasks whose line
 * changed, and the global list of tasks waiting for input, in one tmux call. The call is made off
 * the supervision path: the pass does not wait for it, it is sent STATUS_DELAY_MS after the first
 * change (a death and its restart, a few passes apart, make one call, after the new run is
 * launched), and the changes made meanwhile or while it is in flight go in the next, in order.
 */
import { statusText } from '../core/status-line.js';
import type { TaskRecord } from '../core/task.js';
import type { Applied } from '../store/apply.js';
import { statusLiteral } from '../tmux/argv.js';
import { STATUS_OPTIONS, STATUS_RIGHT } from '../tmux/config.js';
import { TmuxError } from '../tmux/errors.js';
import type { Runtime } from './runtime.js';

/**
 * How long after a change its line is sent, and so at most 4 calls a second however many tasks
 * churn: a tmux call costs a process start and the server's attention, which a death being handled
 * at that moment competes with (bench: 100 ms cost a restart a few ms, a death every ~130 ms). Well
 * under the second a line may lag its state.
 */
export const STATUS_DELAY_MS = 250;

export class StatusLine {
  /** The options last sent for each task (by id): a line unchanged is not sent again. */
  private readonly shown = new Map<number, { session: string; key: string }>();
  /** Tasks waiting for input, by id → name. */
  private readonly waiting = new Map<number, string>();
  private waitingShown: string | null = null;
  /** The server the options were set on; another one (or none known) sets every line again. */
  private server: string | null = null;
  private pending = new Map<string, Record<string, string>>();
  private pendingGlobal: Record<string, string> = {};
  private sending: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly rt: Runtime,
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Called after each pass: `server` is the server the pass listed (null when it did not list).
   * A server not seen before (the first listing, a server started again) gets every task's line.
   */
  update(applied: readonly Applied[], server: string | null, now: number): void {
    if (server !== null && server !== this.server) {
      this.server = server;
      this.shown.clear();
      this.waiting.clear();
      this.waitingShown = null;
      // A server started by an older holdfast has an older status format in its config.
      this.pendingGlobal['status-right'] = STATUS_RIGHT;
      for (const task of this.rt.store.tasks.all()) this.show(task, now);
    } else {
      for (const a of applied) {
        if (a.task) this.show(a.task, now);
        else this.forget(a.before.id);
      }
    }
    const waiting = [...this.waiting.values()].sort();
    const value = waiting.length === 0 ? '' : ` ${waiting.join(' ')} `;
    if (value !== this.waitingShown) {
      this.waitingShown = value;
      this.pendingGlobal[STATUS_OPTIONS.waiting] = value;
    }
    this.flush();
  }

  private show(task: TaskRecord, now: number): void {
    if (task.state === 'waiting-input') this.waiting.set(task.id, task.name);
    else this.waiting.delete(task.id);
    const options = {
      [STATUS_OPTIONS.state]: task.state,
      [STATUS_OPTIONS.status]: statusLiteral(statusText(task, now)),
    };
    const key = JSON.stringify(options);
    if (this.shown.get(task.id)?.key === key) return;
    this.shown.set(task.id, { session: task.name, key });
    this.pending.set(task.name, options);
  }

  private forget(id: number): void {
    this.waiting.delete(id);
    const seen = this.shown.get(id);
    if (seen) this.pending.delete(seen.session);
    this.shown.delete(id);
  }

  private flush(): void {
    if (
      this.timer ||
      this.sending ||
      (this.pending.size === 0 && Object.keys(this.pendingGlobal).length === 0)
    )
      return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.send();
    }, STATUS_DELAY_MS);
    // A status line never keeps a process alive (a CLI's loop ending, a daemon shutting down).
    this.timer.unref();
  }

  private send(): void {
    const sessions = [...this.pending].map(([session, options]) => ({ session, options }));
    const global = this.pendingGlobal;
    this.pending = new Map();
    this.pendingGlobal = {};
    this.sending = this.rt.tmux
      .setUserOptions(sessions, global)
      .catch((error) => {
        // No server (it is being started again), or a call that failed: the next listing of a
        // server sets every line afresh.
        this.server = null;
        if (error instanceof TmuxError && error.noServer) return;
        this.log(`status line not updated: ${error instanceof Error ? error.message : String(error)}`);
      })
      .finally(() => {
        this.sending = null;
        this.flush();
      });
  }
}
