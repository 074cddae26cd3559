import { existsSync, type FSWatcher, rmSync, watch } from 'node:fs';
import { toolInFlight } from '../agents/summary.js';
import type { TranscriptSummary } from '../agents/types.js';
import { decideTimers, type TimedAction } from '../core/lifecycle.js';
import { FINAL_STATES, type RunRecord, type TaskRecord } from '../core/task.js';
import { touchPrivateFile, writePrivateFile } from '../fs-safe.js';
import { makePaths } from '../paths.js';
import type { Lease } from '../store/lease.js';
import { makeAgentLineConsumer } from './agent-run.js';
import { checkpointInfo, checkpointTask } from './checkpoints.js';
import { launchRun, startRun } from './launch.js';
import { acquireLease, HEARTBEAT_MS } from './lease.js';
import { advanceMissions } from './missions.js';
import { applyPanes, launchedRuns } from './observe.js';
import { processPaneEvents } from './pane-events.js';
import { nudgeReap, signalGroup } from './process.js';
import { openRuntime, type Runtime } from './runtime.js';
import { escalateStop, requestStop } from './stop.js';
import { type LineConsumer, tailRun } from './tailer.js';
import { ensureWatchdog } from './watchdog.js';

export interface DaemonOptions {
  home: string;
  /** Keep the watchdog session alive (off under systemd, which restarts the daemon itself). */
  watchdog: boolean;
  log?: (line: string) => void;
}

/** How often the whole world is re-read from tmux: the safety net under the pane-died hook. */
const RECONCILE_MS = 2000;
/** How often dead-but-unreaped panes are nudged (tmux can miss SIGCHLD: see docs/architecture.md). */
const REAP_NUDGE_MS = 50;
/** How often logs are checked for new bytes (stall timers, agent facts in `ls`); a run's end reads its log at once. */
const TAIL_MS = 1000;

export type DaemonExit = { code: 0 } | { code: 3; holder: Lease };

/**
 * The supervisor: one per home (a lease in the store), reacting to tmux's pane-died hook within
 * milliseconds and re-reading everything every 2 s. Everything it decides is in the store, so a
 * `kill -9` at any instant loses nothing: the next daemon reads the same store and the same tmux.
 */
export async function runDaemon(options: DaemonOptions): Promise<DaemonExit> {
  const log =
    options.log ?? ((line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`));
  // The watchdog's daemon never creates a home: one whose store is gone (deleted) has nothing left
  // to supervise. A daemon a user starts may begin in a new home.
  if (process.env.HOLDFAST_WATCHDOG_CHILD === '1' && !existsSync(makePaths(options.home).store)) {
    log(`no store in ${options.home}: nothing to supervise`);
    return { code: 0 };
  }
  const rt = openRuntime(options.home);
  const got = acquireLease(rt);
  if (!got.acquired) {
    rt.store.close();
    return { code: 3, holder: got.holder };
  }
  const daemon = new Daemon(rt, got.lease, options, log);
  return daemon.run();
}

class Daemon {
  private stopping = false;
  private wake: (() => void) | null = null;
  private kicked = true;
  private serverPid: number | null = null;
  private lastReconcile = 0;
  private lastTail = 0;
  private nextTimersAt = 0;
  private pendingReap = false;
  private serverWasUp: boolean | null = null;
  private readonly timers: NodeJS.Timeout[] = [];
  private watcher: FSWatcher | null = null;
  private readonly escalating = new Set<number>();
  private readonly checkpointing = new Set<number>();
  private readonly consumeLines: LineConsumer;

  constructor(
    private readonly rt: Runtime,
    private readonly lease: Lease,
    private readonly options: DaemonOptions,
    private readonly log: (line: string) => void,
  ) {
    this.consumeLines = makeAgentLineConsumer(rt);
  }

  async run(): Promise<DaemonExit> {
    const { rt } = this;
    writePrivateFile(rt.paths.daemonPid, `${process.pid}\n`);
    touchPrivateFile(rt.paths.eventsFile);
    rt.store.tx(() =>
      rt.store.events.append({ at: rt.now(), type: 'daemon-started', data: { pid: process.pid } }),
    );
    this.log(`daemon ${process.pid} started for ${rt.paths.home}`);

    const stop = (signal: string) => {
      this.log(`received ${signal}: finishing the current step, then exiting (tasks keep running)`);
      this.stopping = true;
      this.kick();
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    // The watchdog's pane going away (a killed tmux server) must not take the daemon with it.
    process.on('SIGHUP', () => this.kick());

    this.watcher = watch(rt.paths.eventsFile, () => this.kick());
    this.timers.push(setInterval(() => this.heartbeat(), HEARTBEAT_MS));
    this.timers.push(
      setInterval(() => {
        if (this.serverPid !== null) nudgeReap(this.serverPid);
      }, REAP_NUDGE_MS),
    );

    await this.adopt();
    while (!this.stopping) {
      try {
        const wakeAt = await this.pass();
        await this.sleepUntil(wakeAt);
      } catch (error) {
        this.log(`pass failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        await this.sleepUntil(Date.now() + 500);
      }
    }
    return this.shutdown();
  }

  private kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  private sleepUntil(wakeAt: number): Promise<void> {
    if (this.kicked || this.stopping) return Promise.resolve();
    const ms = Math.max(0, Math.min(wakeAt, Date.now() + TAIL_MS) - Date.now());
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
    });
  }

  /** Records an `adopted` entry for every run that was alive when this daemon took over. */
  private async adopt(): Promise<void> {
    const { rt } = this;
    const panes = await rt.tmux.listPanes();
    this.serverPid = panes?.[0]?.serverPid ?? null;
    const alive = new Set((panes ?? []).filter((p) => !p.dead && p.runId !== null).map((p) => p.runId));
    rt.store.tx(() => {
      for (const run of rt.store.runs.open()) {
        if (!alive.has(run.id)) continue;
        const task = rt.store.tasks.byId(run.taskId);
        rt.store.events.append({
          taskId: run.taskId,
          taskName: task?.name ?? null,
          runId: run.id,
          at: rt.now(),
          type: 'adopted',
          data: { run: run.n, pid: run.pid, logOffset: run.logOffset },
        });
      }
    });
  }

  /** One reconcile step; returns when the next one is due at the latest. */
  private async pass(): Promise<number> {
    const { rt } = this;
    const kicked = this.kicked;
    this.kicked = false;
    const now = Date.now();
    // A hook line already says how the run ended: no need to re-read tmux before acting on it.
    const ended = processPaneEvents(rt);
    const reconcile = this.pendingReap || now - this.lastReconcile >= RECONCILE_MS;
    if (reconcile) await this.reconcile();
    if (ended.length > 0 || now - this.lastTail >= TAIL_MS) this.tailLogs();
    // Deciding over every task is only worth it when something happened or a deadline came.
    if (kicked || reconcile || ended.length > 0 || now >= this.nextTimersAt) {
      // Missions first: a session or gate they hand over to is then started in this same pass.
      await advanceMissions(rt, this.log);
      let wakeAt = Number.POSITIVE_INFINITY;
      for (const task of rt.store.tasks.all()) {
        // A finished task may still owe the checkpoint of its last run's end.
        if (FINAL_STATES.has(task.state) && !task.spec.checkpointEveryMs) continue;
        const next = await this.applyTimers(task);
        if (next !== null) wakeAt = Math.min(wakeAt, next);
      }
      this.nextTimersAt = wakeAt;
    }
    return Math.min(this.nextTimersAt, this.lastReconcile + RECONCILE_MS);
  }

  private async reconcile(): Promise<void> {
    const { rt } = this;
    this.lastReconcile = Date.now();
    const launched = launchedRuns(rt);
    const panes = await rt.tmux.listPanes();
    const result = applyPanes(rt, panes, launched);
    for (const run of result.unlaunched) await this.relaunch(run);
    this.pendingReap = result.pendingReap > 0;
    this.serverPid = result.serverPid;
    if (panes === null) {
      if (this.serverWasUp !== false) {
        this.log('the tmux server is gone: starting a fresh one and restarting what should run');
        rt.store.tx(() =>
          rt.store.events.append({
            at: rt.now(),
            type: 'server-lost',
            data: { runsEnded: result.ended.length },
          }),
        );
      }
      this.serverWasUp = false;
      if (!existsSync(rt.paths.store)) return;
      await ensureWatchdog(rt, null);
      rt.store.tx(() => rt.store.events.append({ at: rt.now(), type: 'server-restarted', data: {} }));
      this.serverWasUp = true;
      this.serverPid = await rt.tmux.serverPid();
      return;
    }
    this.serverWasUp = true;
    if (this.options.watchdog) await ensureWatchdog(rt, panes);
  }

  /** Puts into tmux a run whose starter died before it could (the run row is the promise to do so). */
  private async relaunch(run: RunRecord): Promise<void> {
    const { rt } = this;
    const task = rt.store.tasks.byId(run.taskId);
    if (!task || task.currentRunId !== run.id) return;
    rt.store.tx(() =>
      rt.store.events.append({
        taskId: task.id,
        taskName: task.name,
        runId: run.id,
        at: rt.now(),
        type: 'launch-resumed',
        data: { run: run.n, starterPid: run.starterPid },
      }),
    );
    try {
      await launchRun(rt, task, run);
    } catch (error) {
      this.log(
        `could not launch ${task.name} run ${run.n}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  private tailLogs(): void {
    const { rt } = this;
    this.lastTail = Date.now();
    for (const run of rt.store.runs.open()) tailRun(rt, run, this.consumeLines);
    for (const run of rt.store.runs.endedSince(Date.now() - 60_000))
      tailRun(rt, run, this.consumeLines, true);
  }

  private async applyTimers(task: TaskRecord): Promise<number | null> {
    const { rt } = this;
    const run = task.currentRunId === null ? null : rt.store.runs.byId(task.currentRunId);
    const live = run !== null && run.endedAt === null && task.spec.agent !== null;
    const decision = decideTimers({
      task,
      run,
      firstStartedAt: rt.store.runs.firstStartedAt(task.id),
      now: rt.now(),
      checkpoint: checkpointInfo(rt.store.tasks.info(task.id)),
      toolInFlight: live && toolInFlight(rt.store.runs.summary<TranscriptSummary>(run.id)),
    });
    for (const action of decision.actions) await this.act(task, action);
    return decision.wakeAt;
  }

  private async act(task: TaskRecord, action: TimedAction): Promise<void> {
    const { rt } = this;
    const journal = (type: string, data: Record<string, unknown>, runId: number | null = task.currentRunId) =>
      rt.store.events.append({ taskId: task.id, taskName: task.name, runId, at: rt.now(), type, data });
    switch (action.type) {
      case 'start':
        try {
          // For the run this pass saw: a restart may have started another one since.
          await startRun(rt, task.id, task.nextRun?.cause ?? 'backoff', { after: task.currentRunId });
        } catch (error) {
          this.log(`could not start ${task.name}: ${error instanceof Error ? error.message : String(error)}`);
        }
        return;
      case 'mark-healthy':
        rt.store.tx(() => {
          const current = rt.store.tasks.byId(task.id);
          if (!current || current.supervision.healthyRunId === action.runId) return;
          if (current.supervision.crashLoop) journal('crash-loop-left', { runId: action.runId });
          rt.store.tasks.update(
            task.id,
            {
              supervision: {
                ...current.supervision,
                attempt: 0,
                restartTimes: [],
                crashLoop: false,
                healthyRunId: action.runId,
              },
            },
            rt.now(),
          );
        });
        return;
      case 'stall': {
        const seen = rt.store.runs.byId(action.runId);
        if (!seen || seen.endedAt !== null) return;
        // Logs are tailed once a second: read this one now, so output (or a tool call starting)
        // in that last second is not taken for silence. The stall must still be due after it.
        tailRun(rt, seen, this.consumeLines);
        const run = rt.store.runs.byId(action.runId);
        const fresh = rt.store.tasks.byId(task.id);
        if (!run || run.endedAt !== null || !fresh) return;
        const recheck = decideTimers({
          task: fresh,
          run,
          firstStartedAt: rt.store.runs.firstStartedAt(task.id),
          now: rt.now(),
          toolInFlight:
            task.spec.agent !== null && toolInFlight(rt.store.runs.summary<TranscriptSummary>(run.id)),
        });
        if (!recheck.actions.some((a) => a.type === 'stall' && a.runId === run.id)) return;
        const restart = task.spec.onStall === 'restart' || task.spec.agent !== null;
        const marked = rt.store.tx(() => {
          const current = rt.store.tasks.byId(task.id);
          // A stop or restart decided since this pass read the task has the run now.
          if (current?.currentRunId !== action.runId || current.state !== 'running') return false;
          const now = rt.now();
          rt.store.tasks.update(
            task.id,
            {
              state: 'stalled',
              reason: 'no output',
              ...(restart ? { stopRequestedAt: now, stopTimeoutMs: 5000 } : {}),
            },
            now,
          );
          journal('stalled', {
            idleMs: now - (run.lastOutputAt ?? run.startedAt),
            action: restart ? 'restart' : 'notify',
          });
          return true;
        });
        if (marked && restart && run.pid !== null) signalGroup(run.pid, 'SIGTERM');
        return;
      }
      case 'max-runtime': {
        const { pid, runId } = requestStop(rt, task.id, {
          timeoutMs: 10_000,
          stopAs: 'failed',
          reason: 'max-runtime',
        });
        if (pid !== null) this.escalate(task.id, 10_000, runId);
        return;
      }
      case 'checkpoint':
        if (this.checkpointing.has(task.id)) return;
        this.checkpointing.add(task.id);
        // In the background: git on a large tree takes a while, and the loop must stay quick.
        void checkpointTask(rt, task.id, action.reason)
          .catch((error) =>
            this.log(
              `checkpoint of ${task.name} failed: ${error instanceof Error ? error.message : String(error)}`,
            ),
          )
          .finally(() => {
            this.checkpointing.delete(task.id);
            this.kick();
          });
        return;
      case 'kill-stopping': {
        const run = task.currentRunId === null ? null : rt.store.runs.byId(task.currentRunId);
        if (run?.pid) signalGroup(run.pid, 'SIGKILL');
        return;
      }
    }
  }

  private escalate(taskId: number, timeoutMs: number, runId: number | null): void {
    if (this.escalating.has(taskId)) return;
    this.escalating.add(taskId);
    void escalateStop(this.rt, taskId, timeoutMs, runId).finally(() => this.escalating.delete(taskId));
  }

  private heartbeat(): void {
    const { rt } = this;
    if (!existsSync(rt.paths.store)) {
      this.log('the home is gone: exiting');
      this.stopping = true;
      this.kick();
      return;
    }
    try {
      if (!rt.store.lease.beat(this.lease.pid, this.lease.procStart, rt.now())) {
        this.log('another daemon took the lease: exiting');
        this.stopping = true;
        this.kick();
      }
    } catch (error) {
      this.log(`heartbeat failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private shutdown(): DaemonExit {
    const { rt } = this;
    for (const timer of this.timers) clearInterval(timer);
    this.watcher?.close();
    try {
      rt.store.tx(() => {
        rt.store.lease.release(this.lease.pid, this.lease.procStart);
        rt.store.events.append({ at: rt.now(), type: 'daemon-stopped', data: { pid: process.pid } });
      });
      rmSync(rt.paths.daemonPid, { force: true });
    } catch {
      // the home may be gone already
    }
    rt.store.close();
    this.log(`daemon ${process.pid} stopped`);
    return { code: 0 };
  }
}
