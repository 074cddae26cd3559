/**
 * The supervision loop, keyed and level-triggered: a hook line, a CLI's intent, a timer or new log
 * output marks a task dirty, and a pass decides for the dirty tasks only, from the store plus a
 * fresh look (observe → decide → apply → execute). The daemon runs it forever; a CLI runs it for
 * its own tasks until what it asked for is done, or one pass over everything when no daemon runs.
 * Time comes from a `Clock`, so a test can run a pass at any `now` it likes.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { type ScreenLook, wantsScreen } from '../agents/tui-state.js';
import type { CaptureFacts, PaneFact } from '../core/decide.js';
import { event } from '../core/events.js';
import { INITIAL_TUI } from '../core/interactive.js';
import {
  isInteractive,
  type RunExit,
  type RunRecord,
  recoversAtBoot,
  type TaskRecord,
} from '../core/task.js';
import { type Applied, applyDecision, type DecisionContext, endStrayRun } from '../store/apply.js';
import { noSpaceAt } from '../store/disk-full.js';
import type { PaneRun } from '../store/runs.js';
import { Executor, launchErrors } from './execute.js';
import { logSize } from './log-segments.js';
import { LogWatch, type WatchedRun, type WatchFolder, watchPace } from './log-watch.js';
import { paneFact, SERVER_KEY, type Snapshot, takeSnapshot } from './observe.js';
import { commitPaneEvents, type EventsCursor } from './pane-events.js';
import { isLive, isRunning, nudgeReap, processStartTime } from './process.js';
import type { Clock, Runtime } from './runtime.js';
import { StatusLine } from './status-line.js';
import { claudeRegistryFile, readClaudeRegistry, registryMtime } from './steps/claude-registry.js';
import { agentFacts, interactiveAgentFacts, makeAgentLineConsumer } from './steps/session.js';
import { lookAtScreen, tuiObservation } from './steps/signals.js';
import { type LineConsumer, tailRun } from './tailer.js';
import { ensureWatchdog } from './watchdog.js';

export type { Clock };

export const systemClock: Clock = { now: () => Date.now() };

export interface LoopOptions {
  clock?: Clock;
  log?: (line: string) => void;
  /** Only these tasks are decided (a CLI acting on its own); every task when absent. */
  scope?: ReadonlySet<number>;
  /** The mission runner's step, taken each pass (given by the daemon; a CLI's loop has none). */
  missions?: (rt: Runtime, log: (line: string) => void) => Promise<void>;
  /** A lost tmux server is started again, with the watchdog (the daemon). */
  keepServer?: boolean;
  /** Keep the watchdog session alive when the server is up. */
  watchdog?: boolean;
  random?: () => number;
  /** Take checkpoints (the daemon); a CLI leaves them to it. */
  checkpoints?: boolean;
  /** How often tmux is listed (default `LIST_MS`; a CLI waiting for an outcome looks more often). */
  listMs?: number;
  /** Between the starts of the runs a reboot cut short (`daemon run --boot-stagger`; default BOOT_STAGGER_MS). */
  bootStaggerMs?: number;
  /** Keep each task session's status line up to date (the daemon). */
  statusLine?: boolean;
  /** Called when this loop applied a decision (a CLI wakes the daemon so it learns the new timers). */
  onApplied?: (taskId: number) => void;
  /**
   * Watch the open runs' logs (log-watch.ts), and call this when one grew and may be read: the
   * daemon wakes its loop. Without it (a CLI) logs are read every TAIL_MS.
   */
  wakeOnOutput?: () => void;
  /** How a log's folder is watched (fs.watch; a test gives one that fails). */
  watchFolder?: WatchFolder;
}

/**
 * How often every pane is listed when nothing happens: the safety net under tmux's pane-died hook
 * and the launchers' `gone` lines, each of which makes a listing due at once anyway.
 */
export const LIST_MS = 10_000;
/** A listing that failed while the server runs is tried again this soon. */
const SERVER_RETRY_MS = 200;

/** A launcher's `gone` line is followed by a listing this soon, unless tmux's hook has said it all. */
const GONE_LIST_MS = 50;
/**
 * How often logs are checked for new bytes (agent facts and last output in `ls`; a stall reads its
 * log fresh) when they are not watched: a CLI's loop, a log inotify could not watch, an interactive
 * agent's, and the runs ended in the last minute (ENDED_TAIL_MS), whose pipe may still be writing.
 */
export const TAIL_MS = 2000;
/**
 * While the daemon watches every open log, the periodic read is only the safety net under the
 * watch. It is also what makes an idle daemon pass: under host.ts's STUCK_AFTER_MS (10 s without
 * a completed pass stops the heartbeat) with room to spare, as LIST_MS alone is not.
 */
export const SAFETY_TAIL_MS = 5000;
/** Runs ended this recently are read at every periodic look, to the last partial line. */
const ENDED_TAIL_MS = 60_000;
/** While a dead pane waits for tmux to reap it, it is nudged and listed this often. */
const REAP_RETRY_MS = 25;
/** An agent's log unchanged this long after its death: its last words are in. */
const OUTPUT_SETTLE_MS = 40;
/**
 * While a run's pipe is lost, tmux is listed this soon after the last listing, doubling each time
 * up to the max (a full disk may last); and this soon after a pipe was attached again, to see it took.
 */
const CAPTURE_LIST_MS = 250;
const CAPTURE_LIST_MAX_MS = 5000;
/**
 * How often the screen of an interactive agent is looked at while no signal can tell what it does
 * (agents/tui-state.ts `wantsScreen`); an idle agent's is not looked at.
 */
export const SCREEN_MS = 250;
/** How often claude's session registry is looked at meanwhile: a stat, so sooner than the screen. */
export const REGISTRY_MS = 100;
/** While a lost pipe waits for room on a full disk, the disk is looked at this often. */
const SPACE_POLL_MS = 100;
/** The default `--boot-stagger`: a dozen agents started after a reboot do not all start in the same second. */
export const BOOT_STAGGER_MS = 500;
/** At most this many launches at once (a server restart starts every task). */
const LAUNCH_CONCURRENCY = 8;
/** From this many first runs due in one pass, they are launched together (Executor.launchMany). */
const BATCH_LAUNCH_MIN = 4;

export interface PassResult {
  /** When the next pass is due at the latest. */
  wakeAt: number;
  applied: Applied[];
}

export class Loop {
  readonly executor: Executor;
  readonly clock: Clock;
  readonly statusLine: StatusLine | null;
  private readonly dirty = new Set<number>();
  private readonly wakes = new Map<number, number>();
  /** `updated_at` of each task as this loop last saw it: a change by another process makes it dirty. */
  private readonly seen = new Map<number, number>();
  private lastList = Number.NEGATIVE_INFINITY;
  private lastTail = Number.NEGATIVE_INFINITY;
  private listSoon = true;
  /** When a listing is due early (a launcher said its task is gone), and for which runs. */
  private listAt = Number.POSITIVE_INFINITY;
  /** The tmux server the last good listing came from (pid and start time). */
  private server: { pid: number; start: string } | null = null;
  private gone: { task: string; n: number | null }[] = [];
  private unreapedSince: number | null = null;
  private serverWasUp: boolean | null = null;
  /** Whether a listing has told this loop whether a server runs (a good one, or one that found none). */
  private listedOnce = false;
  /**
   * The first listing found no server: what is lost was lost to a reboot (or a server and daemon
   * killed together, the same to a task). The runs it found lost, by run id → when they were found
   * lost and when they start again (null: they do not).
   */
  private bootLoss: {
    at: number;
    slots: Map<number, { at: number; startAt: number | null }>;
  } | null = null;
  /** Open runs whose live pane had no pipe at the last listing, by run id → task id. */
  private lostPipes = new Map<number, number>();
  /** When the next listing is due for a lost pipe, and how many listings in a row have found one. */
  private captureListAt = Number.POSITIVE_INFINITY;
  private captureListings = 0;
  /**
   * The folders of those runs' logs that were full at that listing. A pipe cannot be attached again
   * before there is room, and the listings for it back off while the disk stays full: the moment
   * there is room again (a statfs, cheap) is a listing at once, so the gap in the log ends there.
   */
  private fullLogDirs: string[] = [];
  /** Agent runs whose death waits for their log to stop growing (see `settled`). */
  private readonly settling = new Map<
    number,
    { taskId: number; fact: PaneFact; size: number; since: number }
  >();
  /** How far a loop that never commits the events offset (a CLI's) has read the file. */
  private eventsCursor: EventsCursor | null = null;
  private readonly consume: LineConsumer;
  /** The last look at each interactive task's screen, by task id. */
  private readonly screens = new Map<number, ScreenLook>();
  /** Claude's registry file of each open interactive run (by run id), and its mtime at the last look. */
  private readonly registries = new Map<number, { file: string | null; mtime: number | null }>();
  /** When the next screen look is due (while any interactive agent's state needs one). */
  private screenAt = Number.POSITIVE_INFINITY;
  private readonly log: (line: string) => void;
  private readonly random: () => number;
  private readonly listMs: number;
  /** The daemon's watch on the open runs' logs; null in a CLI's loop. */
  private readonly logWatch: LogWatch | null;
  /** How each open run is watched (by run id; null: it is not), from its task, looked up once. */
  private readonly paces = new Map<number, ReturnType<typeof watchPace>>();
  /** Open runs, of this loop's tasks, whose log no watch covers: the periodic read stays at TAIL_MS. */
  private unwatched = 0;
  /** When this loop last saw a run end (the periodic read stays at TAIL_MS for a minute after). */
  private lastEndAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly rt: Runtime,
    private readonly options: LoopOptions = {},
  ) {
    this.clock = options.clock ?? { now: rt.now };
    this.log = options.log ?? (() => undefined);
    this.random = options.random ?? rt.random;
    this.listMs = options.listMs ?? LIST_MS;
    this.consume = makeAgentLineConsumer(rt);
    this.executor = new Executor(rt, { log: this.log, changed: (id) => this.markDirty(id) });
    this.statusLine = options.statusLine ? new StatusLine(rt, this.log) : null;
    this.logWatch = options.wakeOnOutput
      ? new LogWatch({
          now: () => this.clock.now(),
          wake: options.wakeOnOutput,
          log: this.log,
          ...(options.watchFolder ? { watchFolder: options.watchFolder } : {}),
        })
      : null;
  }

  /** Closes the watches on the logs (the daemon's shutdown). */
  close(): void {
    this.logWatch?.close();
  }

  markDirty(taskId: number): void {
    this.dirty.add(taskId);
  }

  /** The next pass lists tmux (a kick, a SIGHUP from a killed server). */
  requestListing(): void {
    this.listSoon = true;
  }

  /** The next pass lists tmux and reads every log, whatever the clock says. */
  lookAgain(): void {
    this.listSoon = true;
    this.lastTail = Number.NEGATIVE_INFINITY;
  }

  get hasDirty(): boolean {
    return this.dirty.size > 0;
  }

  async pass(): Promise<PassResult> {
    const { rt } = this;
    const now = this.clock.now();
    // A listing a launcher's `gone` asked for is not needed once tmux's hook has told how it ended.
    if (now >= this.listAt && !this.goneUnexplained()) this.listAt = Number.POSITIVE_INFINITY;
    const list =
      this.listSoon ||
      // A launch that reported an error is judged on a listing: its pane may be there all the same.
      this.executor.launchFailures.size > 0 ||
      this.unreapedSince !== null ||
      now >= this.listAt ||
      now >= this.captureListAt ||
      this.spaceBack() ||
      now - this.lastList >= this.listMs;
    let snap = await takeSnapshot(rt, now, list, this.eventsCursor);
    // A listing that says "no server" while the server seen last is still running is a client that
    // failed (killed, starved, `server exited unexpectedly`), not a lost server: ending every run
    // for it would restart every task. Looked at again shortly instead.
    if (
      snap.listed &&
      snap.panes === null &&
      this.server !== null &&
      isRunning(this.server.pid, this.server.start)
    ) {
      this.log(`tmux did not answer a listing, but its server (pid ${this.server.pid}) runs: looking again`);
      this.listAt = Math.min(this.listAt, now + SERVER_RETRY_MS);
      snap = { ...snap, listed: false, panes: new Map(), list: null };
    } else if (snap.listed) {
      const pid = snap.serverPid;
      const start = pid === null ? null : processStartTime(pid);
      this.server = pid === null || start === null ? null : { pid, start };
    }
    if (this.options.scope !== undefined && snap.events.end !== null) this.eventsCursor = snap.events.end;
    if (snap.events.gone.length > 0 && !snap.listed) {
      this.gone.push(...snap.events.gone);
      this.listAt = Math.min(this.listAt, now + GONE_LIST_MS);
    }
    if (snap.listed && !this.listedOnce) {
      this.listedOnce = true;
      if (snap.panes === null) this.bootLoss = { at: now, slots: new Map() };
    }
    if (snap.listed) {
      this.listSoon = false;
      this.listAt = Number.POSITIVE_INFINITY;
      this.gone = [];
      this.lastList = now;
      this.reconcileLaunches(snap);
      this.watchCapture(snap, now);
      try {
        await this.afterListing(snap, now);
      } catch (error) {
        // A server or watchdog that could not be started (a full disk, a failed tmux call) is looked
        // for again at the next pass, which comes after the daemon's backoff, not 10 s on.
        this.listSoon = true;
        throw error;
      }
    }
    if (now - this.lastTail >= this.tailEvery(now)) this.tail(now);
    // Before the watched logs are read: their runs are no interactive agent's, whose screen matters.
    const screens = now >= this.screenAt || this.dirty.size > 0 || snap.events.kicks.size > 0;
    this.tailChanged(now);
    if (screens) await this.lookAtScreens(now);
    // Missions first: a session or gate they hand over to is then started in this same pass.
    if (this.options.missions) await this.options.missions(rt, this.log);
    const applied = this.decide(this.candidates(snap, now), snap, now);
    // Before the launches: a new run's folder is watched before its first byte.
    if (applied.length > 0 || snap.events.deaths.size > 0) this.watchLogs(now);
    this.screensWanted(applied, now);
    await this.execute(applied);
    // After the actions: a launch's new session exists, and the line costs the launch nothing.
    this.statusLine?.update(applied, snap.listed ? snap.server : null, now);
    if (applied.some((a) => a.decision.actions.some((x) => x.type === 'capture')))
      this.captureListAt = Math.min(this.captureListAt, now + CAPTURE_LIST_MS);
    // What the dead wrote last, read after their deaths were acted on (an agent's was read before).
    if (snap.events.deaths.size > 0) this.tail(now);
    let wakeAt = Math.min(
      this.lastList + this.listMs,
      this.listAt,
      this.captureListAt,
      this.lastTail + this.tailEvery(now),
      this.screenAt,
      this.logWatch?.nextDue(now) ?? Number.POSITIVE_INFINITY,
    );
    for (const at of this.wakes.values()) wakeAt = Math.min(wakeAt, at);
    if (this.unreapedSince !== null) wakeAt = Math.min(wakeAt, now + REAP_RETRY_MS);
    if (this.settling.size > 0) wakeAt = Math.min(wakeAt, now + OUTPUT_SETTLE_MS / 2);
    if (this.fullLogDirs.length > 0) wakeAt = Math.min(wakeAt, now + SPACE_POLL_MS);
    if (this.dirty.size > 0 || this.listSoon) wakeAt = now;
    return { wakeAt, applied };
  }

  /**
   * Looks at the screens of the interactive agents whose state needs one (no more often than
   * SCREEN_MS each); a screen whose reading changed makes its task dirty.
   */
  private async lookAtScreens(now: number): Promise<void> {
    const { rt } = this;
    this.screenAt = Number.POSITIVE_INFINITY;
    const live = new Set<number>();
    const liveRuns = new Set<number>();
    for (const run of rt.store.runs.openPanes()) {
      if (!this.inScope(run.taskId) || run.pid === null) continue;
      const task = rt.store.tasks.byId(run.taskId);
      if (!task || !isInteractive(task) || task.currentRunId !== run.id) continue;
      live.add(task.id);
      liveRuns.add(run.id);
      if (!wantsScreen(task.tui ?? INITIAL_TUI)) continue;
      const registry = this.registryOf(task, run.id);
      if (registry) {
        const seen = this.registries.get(run.id)!;
        const mtime = registryMtime(registry);
        if (mtime !== seen.mtime) this.markDirty(task.id);
        seen.mtime = mtime;
        this.screenAt = Math.min(this.screenAt, now + REGISTRY_MS);
      }
      const last = this.screens.get(task.id);
      if (last && now - last.at < SCREEN_MS) {
        this.screenAt = Math.min(this.screenAt, last.at + SCREEN_MS);
        continue;
      }
      const reading = await lookAtScreen(rt, task);
      this.screenAt = Math.min(this.screenAt, now + SCREEN_MS);
      if (reading === null) continue;
      this.screens.set(task.id, { reading, at: now });
      const seen = task.tui?.screen;
      if (!seen || seen.state !== reading.state || seen.hash !== reading.hash || reading.state !== 'unknown')
        this.markDirty(task.id);
    }
    for (const id of this.screens.keys()) if (!live.has(id)) this.screens.delete(id);
    for (const id of this.registries.keys()) if (!liveRuns.has(id)) this.registries.delete(id);
  }

  /** Claude's registry file of an interactive run, once claude has written it. */
  private registryOf(task: TaskRecord, runId: number): string | null {
    if (!isInteractive(task) || task.spec.agent?.kind !== 'claude') return null;
    const known = this.registries.get(runId);
    if (known?.file) return known.file;
    const taskPid = this.rt.store.runs.byId(runId)?.taskPid ?? null;
    const file = taskPid === null ? null : claudeRegistryFile(this.rt, task, taskPid);
    this.registries.set(runId, { file, mtime: known?.mtime ?? null });
    return file;
  }

  /**
   * A decision that made a screen worth a look (a signal said `working`, and the next may never
   * come: a usage limit, an Esc interrupt) has it looked at: the looks before it were skipped.
   */
  private screensWanted(applied: Applied[], now: number): void {
    for (const { task } of applied) {
      if (!task || !isInteractive(task) || !wantsScreen(task.tui ?? INITIAL_TUI)) continue;
      const last = this.screens.get(task.id);
      this.screenAt = Math.min(this.screenAt, last ? last.at + SCREEN_MS : now);
    }
  }

  /**
   * A launch that reported an error but whose pane is in tmux, tagged with its run, did launch: the
   * pane is what it is (alive, or dead with its exit), and the error is forgotten.
   */
  private reconcileLaunches(snap: Snapshot): void {
    const failures = this.executor.launchFailures;
    for (const [runId, failure] of failures) {
      const run = this.rt.store.runs.byId(runId);
      // Ended by another process (or removed): nothing is left to judge, and no listing to force.
      if (run === null || run.endedAt !== null) {
        failures.delete(runId);
        continue;
      }
      if (!snap.panes?.has(runId)) continue;
      failures.delete(runId);
      launchErrors.delete(runId);
      const task = this.rt.store.tasks.byId(run.taskId);
      this.log(
        `${task?.name ?? '?'}: run ${run.n} is in tmux although its launch reported "${failure.message}": adopted`,
      );
    }
  }

  /**
   * The open runs whose live pane has no pipe (its process died: a full disk, a kill): their tasks
   * are decided (a loss to journal, a pipe to attach), and so are those of runs whose pipe is back.
   * Listings come sooner while any is lost.
   */
  private watchCapture(snap: Snapshot, now: number): void {
    const lost = new Map<number, number>();
    const dirs = new Set<string>();
    for (const run of this.rt.store.runs.openPanes()) {
      const pane = snap.panes?.get(run.id);
      if (!pane || pane.dead || pane.piped) continue;
      lost.set(run.id, run.taskId);
      dirs.add(dirname(run.logPath));
    }
    for (const taskId of [...this.lostPipes.values(), ...lost.values()]) this.markDirty(taskId);
    this.lostPipes = lost;
    this.fullLogDirs = [...dirs].filter((dir) => noSpaceAt(dir));
    this.captureListAt = Number.POSITIVE_INFINITY;
    if (lost.size === 0) {
      this.captureListings = 0;
      return;
    }
    this.captureListAt = now + Math.min(CAPTURE_LIST_MS * 2 ** this.captureListings, CAPTURE_LIST_MAX_MS);
    this.captureListings++;
  }

  /** Whether a log folder that was full when a run's pipe was found lost has room again. */
  private spaceBack(): boolean {
    return this.fullLogDirs.some((dir) => !noSpaceAt(dir));
  }

  /** Whether a launcher said a run is gone whose end nothing has recorded yet (a listing will tell). */
  private goneUnexplained(): boolean {
    const { rt } = this;
    this.gone = this.gone.filter(({ task, n }) => {
      const t = task === '' || n === null ? null : rt.store.tasks.byName(task);
      if (!t) return task === '' || n === null;
      const run = rt.store.runs.forTask(t.id).find((r) => r.n === n);
      return run !== undefined && run.endedAt === null;
    });
    return this.gone.length > 0;
  }

  private inScope(id: number): boolean {
    return this.options.scope === undefined || this.options.scope.has(id);
  }

  private candidates(snap: Snapshot, now: number): Set<number> {
    const { rt } = this;
    const ids = new Set<number>();
    const add = (id: number) => {
      if (this.inScope(id)) ids.add(id);
    };
    for (const id of this.dirty) add(id);
    this.dirty.clear();
    for (const { taskId } of this.settling.values()) add(taskId);
    for (const id of snap.events.kicks) add(id);
    for (const [id, at] of this.wakes) if (at <= now) add(id);
    for (const id of rt.store.intents.taskIds()) add(id);
    for (const { id, updatedAt } of rt.store.tasks.versions()) {
      if (this.seen.get(id) !== updatedAt) add(id);
    }
    if (snap.events.deaths.size > 0 || snap.listed) {
      for (const run of rt.store.runs.openPanes()) {
        if (snap.events.deaths.has(run.id)) {
          add(run.taskId);
          continue;
        }
        if (!snap.listed) continue;
        const fact = this.paneOf(run, snap);
        if (fact.kind === 'none' || fact.kind === 'launching') continue;
        if (fact.kind === 'alive' && run.pid !== null) continue;
        add(run.taskId);
      }
    }
    for (const runId of this.executor.launchFailures.keys()) {
      const run = rt.store.runs.byId(runId);
      if (run) add(run.taskId);
    }
    return ids;
  }

  private decide(ids: Set<number>, snap: Snapshot, now: number): Applied[] {
    const { rt } = this;
    const applied: Applied[] = [];
    const commit = this.options.scope === undefined && snap.events.end !== null;
    const seenServer = snap.server === null ? null : rt.store.meta.get(SERVER_KEY);
    const newServer = this.options.scope === undefined && snap.server !== null && snap.server !== seenServer;
    // Nothing to decide and nothing to commit: no transaction (an idle daemon's usual pass).
    if (ids.size === 0 && snap.events.deaths.size === 0 && !commit && !newServer) return applied;
    const ctx: DecisionContext = {
      now,
      jitter: this.random(),
      self: process.pid,
      logPath: (task, n) => rt.paths.runLog(task.name, n),
      facts: (task, run) => this.facts(task, run, snap, now),
      checkpoints: this.options.checkpoints ?? false,
    };
    rt.store.tx(() => {
      // Deaths of runs that are no task's current one: only their run rows end.
      const open = snap.events.deaths.size > 0 ? new Set(rt.store.runs.openPanes().map((r) => r.id)) : null;
      for (const [runId, death] of snap.events.deaths) {
        if (!open?.has(runId)) continue;
        endStrayRun(
          rt.store,
          runId,
          { exitCode: death.exitCode, signal: death.signal, endedAt: Math.min(death.at, now), reason: null },
          now,
        );
      }
      for (const id of ids) {
        const result = applyDecision(rt.store, id, { ...ctx, jitter: this.random() });
        if (!result) {
          this.forget(id);
          continue;
        }
        applied.push(result);
      }
      // A task's pid its launch did not wait long enough for (it records the ones it sees itself).
      for (const { task, n, pid } of snap.events.pids) rt.store.runs.setTaskPidOf(task, n, pid);
      if (commit) commitPaneEvents(rt, snap.events.end!);
      // The server the runs just decided were judged against: the daemon decides every task, so a
      // run missing from a later server is told lost with its server from one killed in this one.
      if (newServer) rt.store.meta.set(SERVER_KEY, snap.server!);
    });
    for (const a of applied) {
      const id = a.before.id;
      if (a.decision.endRun) {
        this.executor.launchFailures.delete(a.decision.endRun.runId);
        this.settling.delete(a.decision.endRun.runId);
        this.executor.captureSettled(a.decision.endRun.runId);
      }
      for (const e of a.decision.events)
        if (e.type === 'capture-resumed' && typeof e.runId === 'number')
          this.executor.captureSettled(e.runId);
      if (a.task === null) {
        this.forget(id);
        continue;
      }
      this.seen.set(id, a.task.updatedAt);
      if (a.decision.wakeAt === null) this.wakes.delete(id);
      else this.wakes.set(id, a.decision.wakeAt);
      if (this.options.onApplied && a.decision.events.length + a.decision.actions.length > 0)
        this.options.onApplied(id);
    }
    return applied;
  }

  private forget(id: number): void {
    this.wakes.delete(id);
    this.seen.delete(id);
    for (const [runId, s] of this.settling) if (s.taskId === id) this.settling.delete(runId);
  }

  /**
   * What the snapshot says about an open run. A run whose starter died before it recorded a pid,
   * that no tmux client was still putting into tmux, and that is in no pane, never will be: the
   * snapshot looked for both before listing (observe.ts). If it had reached a tmux server (its task
   * reported a pid, or wrote to its log), it ended with that server: the starter died together with
   * it (a daemon killed with the server, or killed mid-launch before the server died). It is lost,
   * and the restart policy starts a new run with a log of its own; launching the same run again
   * would put its first lines into its log twice. A run that never got that far is launched again.
   */
  private paneOf(
    run: Pick<PaneRun, 'id' | 'pid' | 'starterPid' | 'taskPid' | 'logPath'>,
    snap: Snapshot,
  ): PaneFact {
    const fact = paneFact(run, snap, this.executor.launchFailures);
    if (fact.kind === 'unlaunched' && (run.taskPid !== null || logSize(run.logPath) > 0))
      return { kind: 'lost', reason: 'server-lost', at: snap.at };
    return fact;
  }

  /**
   * A run lost at boot gets its place in the stagger: each run that will start again
   * (recoversAtBoot) `bootStaggerMs` after the one before, the first at once. The place before is
   * the latest this loop gave or the journal's latest `boot-recovered` (another process, a CLI with
   * no daemon yet, may have begun the train). The same place on every later look, so a decision put
   * off (an agent's last words settling) keeps it.
   */
  private bootFact(task: TaskRecord, run: RunRecord, pane: PaneFact, now: number): PaneFact {
    const boot = this.bootLoss;
    if (boot === null || pane.kind !== 'lost' || pane.reason !== 'server-lost') return pane;
    let place = boot.slots.get(run.id);
    if (place === undefined) {
      // Only the boot's own listing finds runs lost to it; a server lost later is no reboot.
      if (now !== boot.at) return pane;
      const stagger = this.options.bootStaggerMs ?? BOOT_STAGGER_MS;
      let before = Number.NEGATIVE_INFINITY;
      for (const p of boot.slots.values()) if (p.startAt !== null) before = Math.max(before, p.startAt);
      const journaled = this.rt.store.events.newestOfType('boot-recovered')?.data.nextStartAt;
      if (typeof journaled === 'number') before = Math.max(before, journaled);
      const startAt = recoversAtBoot(task.spec) ? Math.max(pane.at, before + stagger) : null;
      place = { at: pane.at, startAt };
      boot.slots.set(run.id, place);
    }
    return {
      ...pane,
      at: place.at,
      boot: { delayMs: place.startAt === null ? 0 : place.startAt - place.at },
    };
  }

  private facts(task: TaskRecord, run: RunRecord | null, snap: Snapshot, now: number) {
    // An interactive agent's signals are read whether or not its run is live: the offset is
    // committed with the decision, so each is consumed once.
    const registry = run && run.endedAt === null ? this.registryOf(task, run.id) : null;
    const seen = isInteractive(task)
      ? tuiObservation(
          this.rt,
          task,
          this.screens.get(task.id) ?? null,
          registry === null ? null : readClaudeRegistry(registry),
        )
      : null;
    const tui = seen?.tui ?? null;
    const approvals = seen?.approvals ?? [];
    if (run === null || run.endedAt !== null)
      return { pane: { kind: 'none' } as PaneFact, agent: null, tui, approvals };
    let pane = this.bootFact(task, run, this.paneOf(run, snap), now);
    if (task.spec.agent) pane = this.settled(run, pane);
    const exit = exitOf(pane, now);
    // A stall is decided on the log as it is now, not as the last periodic look saw it.
    if (
      exit === null &&
      task.spec.stallTimeoutMs !== null &&
      (task.state === 'running' || task.state === 'stalled')
    )
      tailRun(this.rt, run, this.consume);
    return {
      pane,
      agent: tui
        ? interactiveAgentFacts(tui, exit)
        : task.spec.agent
          ? agentFacts(this.rt, task, run, exit)
          : null,
      capture: this.captureFacts(task, run, pane, snap),
      tui,
      approvals,
    };
  }

  /** What a listing says about the capture of a live run's output (see CaptureFacts). */
  private captureFacts(
    task: TaskRecord,
    run: RunRecord,
    pane: PaneFact,
    snap: Snapshot,
  ): CaptureFacts | null {
    const info = snap.panes?.get(run.id);
    if (!snap.listed || pane.kind !== 'alive' || !info) return null;
    const last = this.rt.store.events.lastOf(task.id, run.id, ['capture-lost', 'capture-resumed']);
    return {
      piped: info.piped,
      logBytes: logSize(run.logPath),
      // dd writes up to 64 KiB at a time: a log's filesystem with less than that would kill it again.
      writable: info.piped || !noSpaceAt(dirname(run.logPath)),
      lostAt: last?.type === 'capture-lost' ? Number(last.data.offset) : null,
      resumedAt: this.executor.reattached.get(run.id) ?? null,
    };
  }

  /**
   * An agent's death is judged from what it printed last, and tmux's pipe may still be writing that
   * to the log when the death is reported: the verdict waits until the log has stopped growing.
   */
  private settled(run: RunRecord, pane: PaneFact): PaneFact {
    const seen = this.settling.get(run.id);
    const death = pane.kind === 'dead' || pane.kind === 'lost' ? pane : seen?.fact;
    if (!death) return pane;
    const size = logSize(run.logPath);
    const at = Date.now();
    if (!seen || seen.size !== size) {
      this.settling.set(run.id, { taskId: run.taskId, fact: death, size, since: at });
      return { kind: 'awaiting-reap', pid: run.pid ?? 0 };
    }
    if (at - seen.since < OUTPUT_SETTLE_MS) return { kind: 'awaiting-reap', pid: run.pid ?? 0 };
    this.settling.delete(run.id);
    return death;
  }

  private async execute(applied: Applied[]): Promise<void> {
    const acting = applied.filter((a) => a.decision.actions.length > 0);
    // Many first runs at once (`holdfast up`) go into tmux together; a few, one by one as before.
    const first = acting.filter((a) => Executor.firstLaunch(a));
    const batch = first.length >= BATCH_LAUNCH_MIN ? first : [];
    const queue = acting.filter((a) => !batch.includes(a));
    if (batch.length > 0) await this.executor.launchMany(batch);
    const worker = async () => {
      for (let a = queue.shift(); a !== undefined; a = queue.shift()) await this.executor.execute(a);
    };
    await Promise.all(Array.from({ length: Math.min(LAUNCH_CONCURRENCY, queue.length) }, worker));
  }

  private tail(now: number): void {
    const { rt } = this;
    this.lastTail = now;
    const open = rt.store.runs.openLogs();
    for (const log of open) {
      if (!this.inScope(log.taskId)) continue;
      // The watch has it read at its pace: read here too, a chatty run would be read more often.
      if (this.logWatch?.changedSinceRead(log.id)) continue;
      // Most logs have not changed since the last look: a stat says so without reading the run.
      const size = logSize(log.logPath);
      if (size === log.bytes && size >= log.logOffset) continue;
      const run = rt.store.runs.byId(log.id);
      if (run && tailRun(rt, run, this.consume)) this.markDirty(run.taskId);
    }
    for (const run of rt.store.runs.endedSince(now - ENDED_TAIL_MS)) {
      if (!this.inScope(run.taskId)) continue;
      tailRun(rt, run, this.consume, true);
      if (run.endedAt !== null) this.lastEndAt = Math.max(this.lastEndAt, run.endedAt);
    }
    this.watchLogs(now, open);
  }

  /** How long after the last periodic read of every log the next is due. */
  private tailEvery(now: number): number {
    if (this.logWatch === null || this.unwatched > 0 || now - this.lastEndAt < ENDED_TAIL_MS) return TAIL_MS;
    return SAFETY_TAIL_MS;
  }

  /** Reads the watched logs that changed and may be read now (log-watch.ts paces them). */
  private tailChanged(now: number): void {
    if (this.logWatch === null) return;
    const { rt } = this;
    for (const id of this.logWatch.take(now)) {
      const run = rt.store.runs.byId(id);
      if (!run || !this.inScope(run.taskId)) continue;
      if (tailRun(rt, run, this.consume, run.endedAt !== null)) this.markDirty(run.taskId);
    }
  }

  /**
   * Watches the logs of the open runs (those of interactive agents excepted) and no others: a run
   * that ended has its watch closed. `open` is `runs.openLogs()` when the caller has it.
   */
  private watchLogs(now: number, open?: ReturnType<Runtime['store']['runs']['openLogs']>): void {
    if (this.logWatch === null) return;
    const { rt } = this;
    const wanted: WatchedRun[] = [];
    const ids = new Set<number>();
    this.unwatched = 0;
    for (const log of open ?? rt.store.runs.openLogs()) {
      if (!this.inScope(log.taskId)) continue;
      ids.add(log.id);
      let pace = this.paces.get(log.id);
      if (pace === undefined) {
        const task = rt.store.tasks.byId(log.taskId);
        pace = task ? watchPace(task) : null;
        this.paces.set(log.id, pace);
      }
      if (pace === null) this.unwatched++;
      else wanted.push({ id: log.id, logPath: log.logPath, pace });
    }
    for (const id of this.paces.keys()) {
      if (ids.has(id)) continue;
      this.paces.delete(id);
      this.lastEndAt = now;
    }
    this.logWatch.sync(wanted);
    for (const { id } of wanted) if (!this.logWatch.covers(id)) this.unwatched++;
  }

  /** What a listing says beyond single runs: a dead pane to reap, a lost server, the watchdog. */
  private async afterListing(snap: Snapshot, now: number): Promise<void> {
    const { rt } = this;
    if (snap.unreaped.length > 0 && snap.serverPid !== null) {
      // tmux can miss a child's exit (docs/architecture.md, "Missed reaps"): a SIGCHLD makes it reap.
      nudgeReap(snap.serverPid);
      this.unreapedSince ??= now;
      // Nudged every pass while it lasts; after 2 s, only at each listing.
      if (now - this.unreapedSince > 2000) this.unreapedSince = null;
    } else this.unreapedSince = null;
    if (!this.options.keepServer) return;
    if (snap.panes === null) {
      const open = rt.store.runs.open();
      const runsEnded = open.filter((r) => snap.launchedBefore.has(r.id)).length;
      // Runs whose starter died before they reached tmux (with the server they were launched into,
      // often) need a server as much as lost ones do: it comes with its watchdog, before they are
      // launched into it, so that no server runs tasks while nothing brings the daemon back.
      const stranded = open.some(
        (r) => r.pid === null && r.endedAt === null && (r.starterPid === null || !isLive(r.starterPid)),
      );
      // A home that never had a server (no task has run yet) has nothing to bring back.
      if (this.serverWasUp !== true && runsEnded === 0 && !stranded) {
        this.serverWasUp = false;
        return;
      }
      if (this.serverWasUp === true || (this.serverWasUp === null && runsEnded > 0)) {
        this.log('the tmux server is gone: starting a fresh one and restarting what should run');
        rt.store.tx(() => rt.store.events.record({ at: rt.now() }, event('server-lost', { runsEnded })));
      } else if (this.serverWasUp === null) {
        this.log('no tmux server runs: starting one for the runs still to be put into tmux');
      }
      this.serverWasUp = false;
      // Without the watchdog (systemd), the tasks' launches start the server they need.
      if (!existsSync(rt.paths.store) || !this.options.watchdog) return;
      await ensureWatchdog(rt, null);
      rt.store.tx(() => rt.store.events.record({ at: rt.now() }, event('server-restarted', {})));
      this.serverWasUp = true;
      return;
    }
    this.serverWasUp = true;
    if (this.options.watchdog) await ensureWatchdog(rt, snap.list);
  }

  /**
   * Passes for the loop's tasks until `done` holds (checked after each pass) or the deadline: what
   * a CLI does after recording an intent, whether or not a daemon is doing the same.
   */
  async until(done: () => boolean, deadlineMs: number): Promise<boolean> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const { wakeAt } = await this.pass();
      if (done()) return true;
      if (Date.now() >= deadline) return false;
      // Deaths reach the events file within milliseconds: it is read every 20 ms.
      const wait = Math.max(0, Math.min(wakeAt - this.clock.now(), 20));
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

function exitOf(pane: PaneFact, now: number): RunExit | null {
  if (pane.kind === 'dead')
    return { exitCode: pane.exitCode, signal: pane.signal, endedAt: Math.min(pane.at, now), reason: null };
  if (pane.kind === 'lost')
    return { exitCode: null, signal: null, endedAt: Math.min(pane.at, now), reason: pane.reason };
  return null;
}
