import { HoldfastError } from '../core/errors.js';
import { FINAL_STATES, type TaskRecord } from '../core/task.js';
import { resolveHome } from '../paths.js';
import { currentLease } from '../supervisor/lease.js';
import { openRuntime, type Runtime } from '../supervisor/runtime.js';
import { daemonDisabled } from './daemon-client.js';
import { Output } from './output.js';
import { didYouMean } from './suggest.js';

/** What every command gets: the home, a lazily opened runtime, the output layer. */
export class Context {
  readonly home: string;
  readonly out: Output;
  /** The umask the user had before holdfast set its own 077. */
  readonly userUmask: number;
  private runtime: Runtime | null = null;

  constructor(options: { json: boolean; userUmask: number; home?: string }) {
    this.home = options.home ?? resolveHome();
    this.out = new Output(options.json);
    this.userUmask = options.userUmask;
  }

  get rt(): Runtime {
    this.runtime ??= openRuntime(this.home);
    return this.runtime;
  }

  /**
   * Brings the store up to date before reading state. A live daemon keeps it so already; without
   * one, this runs a pass of the daemon's loop itself (and passes while a dead pane waits for tmux
   * to reap it), and starts the daemon when tasks want supervising.
   */
  async refresh(): Promise<void> {
    if (currentLease(this.rt).live) return;
    // Loaded only here: with a live daemon (the usual case) a listing needs none of the loop's code.
    const [{ Loop }, { ensureWatchdog }] = await Promise.all([
      import('../supervisor/loop.js'),
      import('../supervisor/watchdog.js'),
    ]);
    const loop = new Loop(this.rt);
    const deadline = Date.now() + 2000;
    for (;;) {
      const { wakeAt } = await loop.pass();
      // A dead pane tmux has not reaped (or a run just launched) is looked at again at once.
      if (wakeAt > Date.now() + 50 || Date.now() >= deadline) break;
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wakeAt - Date.now())));
    }
    await loop.executor.drain(
      this.rt.store.tasks.all().map((t) => t.id),
      10_000,
    );
    if (
      !daemonDisabled() &&
      this.rt.store.tasks.all().some((t) => t.desired === 'running' && !FINAL_STATES.has(t.state))
    ) {
      await ensureWatchdog(this.rt);
    }
  }

  task(name: string): TaskRecord {
    const task = this.rt.store.tasks.byName(name);
    if (!task) {
      const names = this.rt.store.tasks.all().map((t) => t.name);
      throw new HoldfastError('ENOTASK', `no task named ${JSON.stringify(name)}`, {
        hint: didYouMean(name, names) ?? 'holdfast ls lists the tasks',
      });
    }
    return task;
  }

  close(): void {
    this.runtime?.store.close();
    this.runtime = null;
  }
}
