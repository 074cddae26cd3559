/**
 * The daemon process around the loop, once it holds the lease (daemon-start.ts takes it, then
 * loads this): one per home (the lease in the store, beaten every 2 s), its pid file, its
 * signals, the watch on `pane-events.log` that wakes it within milliseconds of a death or a CLI's
 * intent (and the loop's on the runs' logs, log-watch.ts), and a clean shutdown. Everything it decides is in the store, so a `kill -9` at any
 * instant loses nothing: the next daemon reads the same store and the same tmux.
 */
import { existsSync, type FSWatcher, rmSync, utimesSync, watch } from 'node:fs';
import { DEFAULT_BOOT_STAGGER_MS, daemonSettings } from '../config/daemon.js';
import { configPath } from '../config/path.js';
import { type Config, EMPTY_CONFIG } from '../config/schema.js';
import type { DaemonQuestion } from '../core/daemon-socket.js';
import { event } from '../core/events.js';
import { touchPrivateFile, writePrivateFile } from '../fs-safe.js';
import { Notifier } from '../notify/index.js';
import { isBusyError } from '../store/db.js';
import type { Lease } from '../store/lease.js';
import type { PaneInfo } from '../tmux/panes.js';
import { errorText, retryDelay } from './daemon-retry.js';
import type { DaemonSignals } from './daemon-signals.js';
import { type DaemonSocket, serveDaemonSocket } from './daemon-socket.js';
import { HOUSEKEEPING_EVERY_MS, housekeep } from './housekeeping.js';
import { HEARTBEAT_MS, STALE_AFTER_MS } from './lease.js';
import { type Clock, Loop } from './loop.js';
import { advanceMissions } from './missions.js';
import { isRunning, processStartTime } from './process.js';
import type { Runtime } from './runtime.js';
import { Courier } from './steps/deliver.js';

export interface DaemonOptions {
  home: string;
  /** Keep the watchdog session alive (off under systemd, which restarts the daemon itself). */
  watchdog: boolean;
  /**
   * Between the starts of the runs a reboot cut short (`daemon run --boot-stagger`); when absent,
   * the config file's `daemon.boot-stagger`, else 500 ms.
   */
  bootStaggerMs?: number;
  log?: (line: string) => void;
  clock?: Clock;
  /**
   * What the daemon's socket answers a CLI of `version` with (supervisor/daemon-socket.ts); given
   * by the CLI, which owns what its commands print, and loaded after the first pass (a CLI asks
   * the store until then). Without it the daemon has no socket.
   */
  answers?: { version: string; load: () => Promise<DaemonReply> };
}

export type DaemonReply = (rt: Runtime, question: DaemonQuestion) => string;

export type DaemonExit = { code: 0 } | { code: 3; holder: Lease };

/** A daemon whose loop has completed no pass for this long stops beating: it is not supervising. */
export const STUCK_AFTER_MS = 10_000;

/**
 * A config file that does not parse must not keep the daemon from supervising (the watchdog or
 * systemd would only start it again into the same error): it is said in the daemon's log, and the
 * built-in default is used; `holdfast config check` names the line. Read once the lease is held,
 * and its parser (yaml, as much code as the rest of the daemon) loaded only when there is a file
 * to parse: a daemon started after a crash supervises sooner (issue 14).
 */
export async function configuredBootStagger(log: (line: string) => void): Promise<number> {
  try {
    return daemonSettings(await readConfig()).bootStaggerMs;
  } catch (error) {
    log(`${(error as Error).message}; --boot-stagger is the default 500ms`);
    return DEFAULT_BOOT_STAGGER_MS;
  }
}

/** loadConfig, with the parser loaded only when there is a file (an absent one is the defaults). */
async function readConfig(): Promise<Config> {
  if (!existsSync(configPath())) return EMPTY_CONFIG;
  return (await import('../config/load.js')).loadConfig(process.env);
}

export class Host {
  private stopping = false;
  private wake: (() => void) | null = null;
  private kicked = true;
  private watcher: FSWatcher | null = null;
  private socket: DaemonSocket | null = null;
  private socketTried = false;
  private readonly answers: DaemonOptions['answers'];
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private readonly loop: Loop;
  /** Types queued input into the agents' panes, beside the loop (a delivery takes a second or two). */
  private readonly courier: Courier;
  /** Sends the outbox's notifications beside the loop: a pass pokes it and never waits for it. */
  private readonly notifier: Notifier;
  /** When the loop last completed a pass (wall time): the heartbeat beats only while this is recent. */
  private progressAt = Date.now();
  /** When this daemon's lease was last beaten (wall time). */
  private beatAt = Date.now();
  private stuck = false;
  /** When retention, rotation and vacuum last ran (the loop's clock). */
  private housekeptAt: number | null = null;

  constructor(
    private readonly rt: Runtime,
    private readonly lease: Lease,
    options: DaemonOptions,
    private readonly log: (line: string) => void,
    private readonly signals: DaemonSignals,
    /** The listing daemon-start asked for once it held the lease: the first adopt's, if it comes. */
    private firstPanes: Promise<PaneInfo[] | null> | null = null,
  ) {
    this.answers = options.answers;
    this.loop = new Loop(rt, {
      log,
      missions: advanceMissions,
      checkpoints: true,
      keepServer: true,
      statusLine: true,
      watchdog: options.watchdog,
      // A run's new output is read within milliseconds (its log is watched), not at the next tail.
      wakeOnOutput: () => this.kick(),
      bootStaggerMs: options.bootStaggerMs ?? DEFAULT_BOOT_STAGGER_MS,
      ...(options.clock ? { clock: options.clock } : {}),
    });
    this.courier = new Courier(rt, { log });
    this.notifier = new Notifier(rt.store, {
      env: process.env,
      now: rt.now,
      me: { pid: process.pid, start: processStartTime(process.pid) ?? '' },
      running: (owner) => isRunning(owner.pid, owner.start),
      config: readConfig,
      log,
    });
    rt.supervisor = {
      markDirty: (id) => {
        this.loop.markDirty(id);
        this.kick();
      },
    };
  }

  async run(): Promise<DaemonExit> {
    try {
      return await this.supervise();
    } finally {
      // Whatever ended the daemon, nothing of it may keep the process alive (and beating).
      if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
      this.watcher?.close();
      this.socket?.close();
      this.loop.close();
      this.rt.tmux.closeControl();
    }
  }

  private async supervise(): Promise<DaemonExit> {
    const { rt } = this;
    writePrivateFile(rt.paths.daemonPid, `${process.pid}\n`);
    touchPrivateFile(rt.paths.eventsFile);
    this.log(`daemon ${process.pid} started for ${rt.paths.home}`);

    this.signals.listen(
      (signal) => {
        this.log(`received ${signal}: finishing the current step, then exiting (tasks keep running)`);
        this.stopping = true;
        this.kick();
      },
      () => this.kick(),
    );
    this.watcher = watch(rt.paths.eventsFile, () => this.kick());
    this.heartbeatTimer = setInterval(() => this.heartbeat(), HEARTBEAT_MS);

    let adopted = false;
    let failures = 0;
    while (!this.stopping) {
      try {
        // The first step is retried like any pass: a store busy at that moment must not leave a
        // daemon that holds the lease and never supervises.
        if (!adopted) {
          await this.adopt();
          adopted = true;
        }
        this.kicked = false;
        const { wakeAt } = await this.loop.pass();

        this.courier.poke();
        this.notifier.poke();
        failures = 0;
        // After the first pass, which a daemon started after a crash owes its tasks first.
        if (!this.socketTried) {
          this.socketTried = true;
          await this.serveSocket();
        }
        this.progressAt = Date.now();
        const due = this.housekeep();
        await this.sleepUntil(Math.min(wakeAt, due));
      } catch (error) {
        failures++;
        const delay = retryDelay(failures);
        const why = isBusyError(error) ? `the store is busy (${errorText(error)})` : errorText(error, true);
        this.log(`${adopted ? 'pass' : 'start'} failed: ${why}; trying again in ${delay} ms`);
        await this.pause(delay);
      }
    }
    return this.shutdown();
  }

  /**
   * Retention, rotation and vacuum (housekeeping.ts), once a minute between passes. A failure is
   * logged and tried again next time: it never stops supervision. Returns when it is next due.
   */
  private housekeep(): number {
    const { rt } = this;
    const now = rt.now();
    if (this.housekeptAt !== null && now - this.housekeptAt < HOUSEKEEPING_EVERY_MS)
      return this.housekeptAt + HOUSEKEEPING_EVERY_MS;
    this.housekeptAt = now;
    try {
      const done = housekeep(rt, now, (line) => this.log(line));
      if (done.eventsRotated) {
        // The watch follows the file it was put on, which is `.1` now.
        this.watcher?.close();
        this.watcher = watch(rt.paths.eventsFile, () => this.kick());
        this.kick();
      }
      if (done.logsRemoved > 0) this.log(`retention: removed the logs of ${done.logsRemoved} run(s)`);
      if (done.vacuumed) this.log('the store was vacuumed (it had grown by half since the last time)');
    } catch (error) {
      this.log(`housekeeping failed: ${errorText(error)}; trying again in a minute`);
    }
    return now + HOUSEKEEPING_EVERY_MS;
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

  /** A wait between failed steps that only a stop cuts short (a kick must not undo the backoff). */
  private pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = () => {
        if (this.stopping) done();
      };
    });
  }

  /**
   * Journals this daemon's start and an `adopted` entry for every run that was alive when it took
   * over, in one transaction, so a retried start journals each once.
   */
  private async adopt(): Promise<void> {
    const { rt } = this;
    const first = this.firstPanes;
    // Only the first try's: a retried start (a busy store) lists afresh.
    this.firstPanes = null;
    const panes = await (first ?? rt.tmux.listPanes());

    const alive = new Set((panes ?? []).filter((p) => !p.dead && p.runId !== null).map((p) => p.runId));
    rt.store.tx(() => {
      rt.store.events.record({ at: rt.now() }, event('daemon-started', { pid: process.pid }));
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

  /**
   * Beats the lease while the loop makes progress. A loop that has completed no pass for
   * `STUCK_AFTER_MS` (a step that never returns, a store that fails every pass) is not
   * supervising: it stops beating, so `daemon status` says stale, and once its lease is stale the
   * process ends, so that the watchdog or systemd starts a daemon that can work.
   */
  private heartbeat(): void {
    const { rt } = this;
    if (!existsSync(rt.paths.store)) {
      this.log('the home is gone: exiting');
      this.stopping = true;
      this.kick();
      return;
    }
    const at = Date.now();
    const quiet = at - this.progressAt;
    if (quiet >= STUCK_AFTER_MS) {
      if (!this.stuck) this.log(`no pass has completed for ${quiet} ms: the heartbeat stops`);
      this.stuck = true;
      if (at - this.beatAt > STALE_AFTER_MS) {
        this.log(
          `the lease is stale after ${at - this.beatAt} ms without a beat: exiting so a new daemon takes over`,
        );
        process.exit(1);
      }
      return;
    }
    if (this.stuck) this.log('passes complete again: the heartbeat resumes');
    this.stuck = false;
    try {
      if (!rt.store.lease.beat(this.lease.pid, this.lease.procStart, rt.now())) {
        this.log('another daemon took the lease: exiting');
        this.stopping = true;
        this.kick();
        return;
      }
      this.beatAt = at;
      this.beatPidFile(at);
    } catch (error) {
      this.log(`heartbeat failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** The pid file's mtime is the beat for those who cannot read the store (hook/daemon-live.ts). */
  private beatPidFile(at: number): void {
    try {
      utimesSync(this.rt.paths.daemonPid, new Date(at), new Date(at));
    } catch {
      writePrivateFile(this.rt.paths.daemonPid, `${process.pid}\n`);
    }
  }

  /** The socket CLIs ask (never fatal: without it they read the store, as with no daemon). */
  private async serveSocket(): Promise<void> {
    const { answers } = this;
    if (!answers) return;
    try {
      const reply = await answers.load();
      this.socket = await serveDaemonSocket(
        this.rt.paths.daemonSocket,
        answers.version,
        (question) => reply(this.rt, question),
        this.log,
      );
    } catch (error) {
      this.log(`not answering CLIs on ${this.rt.paths.daemonSocket}: ${errorText(error)}`);
    }
  }

  private async shutdown(): Promise<DaemonExit> {
    const { rt } = this;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.watcher?.close();
    // A CLI asking from now on reads the store, which is where this daemon's last word is.
    this.socket?.close();
    this.socket = null;
    // A checkpoint under way finishes (bounded): it would be asked for again anyway. So does an
    // input being typed (the next daemon would take it over from its state either way).
    try {
      await this.courier.stop(5000);
      await this.notifier.stop(2000);
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
