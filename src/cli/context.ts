import { resolveHome } from '../paths.js';
import { observeSettled } from '../supervisor/observe.js';
import { openRuntime, type Runtime } from '../supervisor/runtime.js';
import { HoldfastError } from '../core/errors.js';
import type { TaskRecord } from '../core/task.js';
import { Output } from './output.js';

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

  /** Brings the store up to date with tmux before reading state. */
  async refresh(): Promise<void> {
    await observeSettled(this.rt);
  }

  task(name: string): TaskRecord {
    const task = this.rt.store.tasks.byName(name);
    if (!task) {
      throw new HoldfastError('ENOTASK', `no task named ${JSON.stringify(name)}`, { hint: 'holdfast ls lists the tasks' });
    }
    return task;
  }

  close(): void {
    this.runtime?.store.close();
    this.runtime = null;
  }
}
