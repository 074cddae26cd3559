/**
 * The daemon process around the loop: one per home (a lease in the store, beaten every 2 s), its
 * pid file, its signals, the watch on `pane-events.log` that wakes it within milliseconds of a
 * death or a CLI's intent, and a clean shutdown. Everything it decides is in the store, so a
 * `kill -9` at any instant loses nothing: the next daemon reads the same store and the same tmux.
 */
import { existsSync, type FSWatcher, rmSync, watch } from 'node:fs';
import { event } from '../core/events.js';
import { touchPrivateFile, writePrivateFile } from '../fs-safe.js';
import { makePaths } from '../paths.js';
import type { Lease } from '../store/lease.js';
import { acquireLease, HEARTBEAT_MS } from './lease.js';
import { type Clock, Loop, systemClock } from './loop.js';
import { advanceMissions } from './missions.js';
import { openRuntime, type Runtime } from './runtime.js';

export interface DaemonOptions {
  home: string;
  /** Keep the watchdog session alive (off under systemd, which restarts the daemon itself). */
  watchdog: boolean;
  log?: (line: string) => void;
  clock?: Clock;
}

export type DaemonExit = { code: 0 } | { code: 3; holder: Lease };

export async function runDaemon(options: DaemonOptions): Promise<DaemonExit> {
  const log =
    options.log ?? ((line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`));
  // The watchdog's daemon never creates a home: one whose store is gone (deleted) has nothing left
  // to supervise. A daemon a user starts may begin in a new home.
  if (process.env.HOLDFAST_WATCHDOG_CHILD === '1' && !existsSync(makePaths(options.home).store)) {
    log(`no store in ${options.home}: nothing to supervise`);
    return { code: 0 };
  }
  const rt = openRuntime(options.home, options.clock ?? systemClock);
  const got = acquireLease(rt);
  if (!got.acquired) {
    rt.store.close();
    return { code: 3, holder: got.holder };
  }
  return new Host(rt, got.lease, options, log).run();
}

class Host {
  private stopping = false;
  private wake: (() => void) | null = null;
  private kicked = true;
  private watcher: FSWatcher | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private readonly loop: Loop;

  constructor(
    private readonly rt: Runtime,
    private readonly lease: Lease,
    options: DaemonOptions,
    private readonly log: (line: string) => void,
  ) {
    this.loop = new Loop(rt, {
      log,
      missions: advanceMissions,
      checkpoints: true,
      keepServer: true,
      watchdog: options.watchdog,
      ...(options.clock ? { clock: options.clock } : {}),
    });
    rt.supervisor = {
      markDirty: (id) => {
        this.loop.markDirty(id);
        this.kick();
      },
    };
  }

  async run(): Promise<DaemonExit> {
    const { rt } = this;
    writePrivateFile(rt.paths.daemonPid, `${process.pid}\n`);
    touchPrivateFile(rt.paths.eventsFile);
    rt.store.tx(() =>
      rt.store.events.record({ at: rt.now() }, event('daemon-started', { pid: process.pid })),
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
    this.heartbeatTimer = setInterval(() => this.heartbeat(), HEARTBEAT_MS);

    await this.adopt();
    while (!this.stopping) {
      try {
        this.kicked = false;
        const { wakeAt } = await this.loop.pass();
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
    const ms = Math.max(0, wakeAt - this.rt.now());
    if (ms === 0) return Promise.resolve();
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
    const alive = new Set((panes ?? []).filter((p) => !p.dead && p.runId !== null).map((p) => p.runId));
    rt.store.tx(() => {
      for (const run of rt.store.runs.open()) {
        if (!alive.has(run.id)) continue;
        const task = rt.store.tasks.byId(run.taskId);
        rt.store.events.record(
          { taskId: run.taskId, taskName: task?.name ?? null, runId: run.id, at: rt.now() },
          event('adopted', { run: run.n, pid: run.taskPid ?? run.pid, logOffset: run.logOffset }),
        );
      }
    });
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

  private async shutdown(): Promise<DaemonExit> {
    const { rt } = this;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.watcher?.close();
    // A checkpoint under way finishes (bounded): it would be asked for again anyway.
    try {
      await this.loop.executor.drain(
        rt.store.tasks.all().map((t) => t.id),
        5000,
      );
      rt.store.tx(() => {
        rt.store.lease.release(this.lease.pid, this.lease.procStart);
        rt.store.events.record({ at: rt.now() }, event('daemon-stopped', { pid: process.pid }));
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
