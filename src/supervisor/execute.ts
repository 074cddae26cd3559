/**
 * Carries out a committed decision's actions. Each is safe to repeat, and only the process that
 * committed the decision carries it out; this one keeps track of what it has under way (a
 * checkpoint in the background, a launch) so a second pass does not start it twice.
 */
import { lstatSync, rmSync } from 'node:fs';
import type { Action } from '../core/decide.js';
import type { HoldfastError } from '../core/errors.js';
import { event } from '../core/events.js';
import type { Applied } from '../store/apply.js';
import { deliverToHook } from './answers.js';
import { logSize } from './log-segments.js';
import type { LaunchFailure } from './observe.js';
import { signalGroup } from './process.js';
import {
  type ProcessInfo,
  type RunCookie,
  runProcesses,
  signalEach,
  signalRun,
  stillRunning,
} from './process-tree.js';
import type { Runtime } from './runtime.js';
import { checkpointTask } from './steps/checkpoint.js';
import { launchFirstRuns, launchRun, logRotationOf, RUN_OPTION } from './steps/launch.js';

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
  /** The processes each stop's signals found, by run: one re-parented since is still ended by the sweep. */
  private readonly tracked = new Map<number, ProcessInfo[]>();
  /** Where this process attached a run's pipe again: the log's size just before (see CaptureFacts). */
  readonly reattached = new Map<number, number>();
  /** Re-attaching a run's pipe is tried again no sooner than this (a pipe that keeps dying waits longer each time). */
  private readonly captureRetry = new Map<number, { tries: number; nextAt: number }>();

  constructor(
    private readonly rt: Runtime,
    private readonly hooks: ExecutorHooks,
  ) {}

  /** Whether anything is still under way for the task (a launch, a checkpoint). */
  busy(taskId: number): boolean {
    for (const key of this.inFlight) if (key.startsWith(`${taskId}:`)) return true;
    return false;
  }

  /**
   * Whether this decision is a first run's launch and nothing else: many of those (`holdfast up`)
   * are put into tmux together by `launchMany`.
   */
  static firstLaunch(applied: Applied): boolean {
    const [action, ...rest] = applied.decision.actions;
    return (
      action?.type === 'launch' &&
      rest.length === 0 &&
      applied.task !== null &&
      applied.run !== null &&
      applied.run.n === 1 &&
      applied.run.endedAt === null
    );
  }

  /** Launches many first runs (each `firstLaunch`) in a few tmux invocations. */
  async launchMany(applied: readonly Applied[]): Promise<void> {
    const items = applied.filter((a) => !this.inFlight.has(`${a.before.id}:launch:${a.run!.id}`));
    const keys = items.map((a) => `${a.before.id}:launch:${a.run!.id}`);
    for (const key of keys) this.inFlight.add(key);
    try {
      const results = await launchFirstRuns(
        this.rt,
        items.map((a) => ({ task: a.task!, run: a.run! })),
      );
      for (const [i, result] of results.entries()) {
        if (result.ok) continue;
        const runId = items[i]!.run!.id;
        this.launchFailures.set(runId, { message: result.message, at: this.rt.now(), error: result.error });
        launchErrors.set(runId, result.error);
      }
    } finally {
      for (const key of keys) this.inFlight.delete(key);
      for (const a of items) this.hooks.changed(a.before.id);
    }
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
      case 'signal': {
        // Walked before the group is signalled: a child that left the group is found while its
        // parent still lives (once that dies, only the run's variables tell it).
        const cookie = this.cookie(action.runId, applied.before.name);
        if (!cookie) {
          signalGroup(action.pid, action.signal);
          return;
        }
        const found = signalRun(action.pid, cookie, action.signal);
        const seen = new Map((this.tracked.get(action.runId) ?? []).map((p) => [p.pid, p]));
        for (const p of found) seen.set(p.pid, p);
        this.tracked.set(action.runId, [...seen.values()]);
        return;
      }
      case 'sweep':
        await this.sweep(applied, action.runId);
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
      case 'capture':
        await this.capture(applied, action.runId);
        return;
      case 'answer': {
        const delivered = deliverToHook(rt.paths, applied.before.name, action.questionId, action.answer);
        // The screen path (keys on the dialog, INTERACTIVE.md §4) needs the screen's reading of the
        // dialog; until it is there, an answer no hook waits for is not delivered.
        if (delivered === 'no-hook') {
          this.hooks.log(
            `${applied.before.name}: no hook waits on question ${action.questionId}: answer not delivered`,
          );
        }
        return;
      }
      case 'keys': {
        // Only into the pane of the run the decision was about: a newer run's TUI did not stall.
        if (!task || task.currentRunId !== action.runId) return;
        await rt.tmux.exec(['send-keys', '-t', `=${task.name}:`, ...action.keys]);
        return;
      }
    }
  }

  /**
   * Attaches a run's log to its pane again (the same `dd` a launch attaches), unless the pane was
   * respawned for another run meanwhile. Each try for the same run waits twice as long as the last.
   */
  private async capture(applied: Applied, runId: number): Promise<void> {
    const run = this.rt.store.runs.byId(runId);
    if (!run || run.endedAt !== null) return;
    const key = `${applied.before.id}:capture:${runId}`;
    const now = Date.now();
    const retry = this.captureRetry.get(runId) ?? { tries: 0, nextAt: 0 };
    if (this.inFlight.has(key) || now < retry.nextAt) return;
    this.inFlight.add(key);
    this.captureRetry.set(runId, {
      tries: retry.tries + 1,
      nextAt: now + Math.min(CAPTURE_RETRY_MS * 2 ** retry.tries, CAPTURE_RETRY_MAX_MS),
    });
    try {
      const from = logSize(run.logPath);
      const target = `=${applied.before.name}:`;
      const rotation = logRotationOf(applied.before.spec);
      if (await this.rt.tmux.reattachPipe(target, run.logPath, RUN_OPTION, String(run.id), rotation)) {
        this.reattached.set(runId, from);
        this.hooks.log(`${applied.before.name}: run ${run.n}'s output is captured again from byte ${from}`);
      }
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** Forgets what capture of an ended run (or one journaled as resumed) needed. */
  captureSettled(runId: number): void {
    this.reattached.delete(runId);
    this.captureRetry.delete(runId);
  }

  private cookie(runId: number, task: string): RunCookie | null {
    const run = this.rt.store.runs.byId(runId);
    return run ? { home: this.rt.paths.home, task, n: run.n } : null;
  }

  /**
   * A stopped run's processes that outlived it (they left its process group, or ignored the
   * signal its main process died of) are journaled by pid, then ended: SIGTERM, SIGKILL soon after.
   * Awaited, so a restart's next run starts only once the old one's processes are gone.
   */
  private async sweep(applied: Applied, runId: number): Promise<void> {
    const cookie = this.cookie(runId, applied.before.name);
    const earlier = (this.tracked.get(runId) ?? []).filter(stillRunning);
    this.tracked.delete(runId);
    if (!cookie) return;
    const byPid = new Map(earlier.map((p) => [p.pid, p]));
    for (const p of runProcesses(null, cookie)) byPid.set(p.pid, p);
    const found = [...byPid.values()];
    if (found.length === 0) return;
    const pids = found.map((p) => p.pid).sort((a, b) => a - b);
    const journal = (data: { run: number; pids: number[]; afterKill?: true }) =>
      this.rt.store.tx(() =>
        this.rt.store.events.record(
          { taskId: applied.before.id, taskName: applied.before.name, runId, at: this.rt.now() },
          event('stop-survivors', data),
        ),
      );
    journal({ run: cookie.n, pids });
    this.hooks.log(
      `${applied.before.name}: run ${cookie.n} left processes behind: ${pids.join(' ')}; ending them`,
    );
    signalEach(found, 'SIGTERM');
    let left = await waitGone(found, SWEEP_TERM_MS);
    signalEach(left, 'SIGKILL');
    left = await waitGone(left, SWEEP_KILL_MS);
    if (left.length > 0) {
      const still = left.map((p) => p.pid);
      journal({ run: cookie.n, pids: still, afterKill: true });
      this.hooks.log(`${applied.before.name}: still running after SIGKILL: ${still.join(' ')}`);
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

/** The first wait before a run's pipe is attached again after a try; doubled each try, up to the max. */
const CAPTURE_RETRY_MS = 250;
const CAPTURE_RETRY_MAX_MS = 30_000;
/** How long a stopped run's leftover processes get between SIGTERM and SIGKILL. */
const SWEEP_TERM_MS = 500;
/** How long a SIGKILL is given to take before a process is reported as surviving it. */
const SWEEP_KILL_MS = 1000;

async function waitGone(processes: ProcessInfo[], ms: number): Promise<ProcessInfo[]> {
  const deadline = Date.now() + ms;
  let left = processes.filter(stillRunning);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    left = left.filter(stillRunning);
  }
  return left;
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
