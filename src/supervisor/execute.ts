/**
 * Carries out a committed decision's actions. Each is safe to repeat, and only the process that
 * committed the decision carries it out; this one keeps track of what it has under way (a
 * checkpoint in the background, a launch) so a second pass does not start it twice.
 */
import { lstatSync, rmSync } from 'node:fs';
import type { Action } from '../core/decide.js';
import type { HoldfastError } from '../core/errors.js';
import type { Applied } from '../store/apply.js';
import type { LaunchFailure } from './observe.js';
import { signalGroup } from './process.js';
import type { Runtime } from './runtime.js';
import { checkpointTask } from './steps/checkpoint.js';
import { launchRun } from './steps/launch.js';

/** Why a run this process launched could not be put into tmux, for the CLI that asked for it. */
export const launchErrors = new Map<number, HoldfastError>();

export interface ExecutorHooks {
  log(line: string): void;
  /** Something this executor did changed what the decider would see about the task. */
  changed(taskId: number): void;
}

export class Executor {
  /** What failed to launch, by run id: the next decision ends the run with it. */
  readonly launchFailures = new Map<number, LaunchFailure & { error: HoldfastError }>();
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly rt: Runtime,
    private readonly hooks: ExecutorHooks,
  ) {}

  /** Whether anything is still under way for the task (a launch, a checkpoint). */
  busy(taskId: number): boolean {
    for (const key of this.inFlight) if (key.startsWith(`${taskId}:`)) return true;
    return false;
  }

  async execute(applied: Applied): Promise<void> {
    for (const action of applied.decision.actions) {
      try {
        await this.one(applied, action);
      } catch (error) {
        this.hooks.log(
          `${applied.before.name}: ${action.type} failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
  }

  private async one(applied: Applied, action: Action): Promise<void> {
    const { rt } = this;
    const task = applied.task;
    const id = applied.before.id;
    switch (action.type) {
      case 'launch':
      case 'relaunch': {
        const run = action.type === 'launch' ? applied.run : (rt.store.runs.byId(action.runId) ?? null);
        if (!task || !run || run.endedAt !== null) return;
        const key = `${id}:launch:${run.id}`;
        if (this.inFlight.has(key)) return;
        this.inFlight.add(key);
        try {
          const result = await launchRun(rt, task, run);
          if (!result.ok) {
            this.launchFailures.set(run.id, { message: result.message, at: rt.now(), error: result.error });
            launchErrors.set(run.id, result.error);
          }
        } finally {
          this.inFlight.delete(key);
          this.hooks.changed(id);
        }
        return;
      }
      case 'signal':
        signalGroup(action.pid, action.signal);
        return;
      case 'checkpoint': {
        const key = `${id}:checkpoint`;
        if (this.inFlight.has(key)) return;
        this.inFlight.add(key);
        // In the background: git on a large tree takes a while, and the loop must stay quick.
        void checkpointTask(rt, id, action.reason)
          .catch((error) =>
            this.hooks.log(
              `checkpoint of ${applied.before.name} failed: ${error instanceof Error ? error.message : String(error)}`,
            ),
          )
          .finally(() => {
            this.inFlight.delete(key);
            this.hooks.changed(id);
          });
        return;
      }
      case 'discard':
        await discardFiles(rt, applied.before.name);
        return;
    }
  }

  /** Waits for the background work (checkpoints) of these tasks. */
  async drain(taskIds: Iterable<number>, timeoutMs = 30_000): Promise<void> {
    const ids = [...taskIds];
    const deadline = Date.now() + timeoutMs;
    while (ids.some((id) => this.busy(id)) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Removes a removed task's tmux session and folder. */
export async function discardFiles(rt: Runtime, name: string): Promise<void> {
  try {
    await rt.tmux.killSession(name);
  } catch {
    // tmux itself is unusable (missing, too old): there is no session to remove either
  }
  const dir = rt.paths.taskDir(name);
  // A link found where the folder should be was refused, not made by holdfast: it stays for the user to see.
  if (!isLink(dir)) rmSync(dir, { recursive: true, force: true });
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
