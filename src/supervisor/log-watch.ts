/**
 * The daemon's watch on the open runs' logs (inotify, through fs.watch), so that what a run prints
 * is read within milliseconds of reaching its log instead of at the next periodic tail: an agent's
 * session id, a usage limit, a denial. A watch is put on the folder of a run's log, not the file:
 * the pipe cuts the log into segments (log-segments.ts), and `run-N.1.log` is a new file the watch
 * of `run-N.log` would never hear of; the folder also exists before the log does. A change only
 * marks the run due; the loop reads it (tailer.ts, in the tailer's transaction as ever), paced by
 * core/tail-pace.ts so that a task printing all the time cannot make the daemon spin. A folder
 * that cannot be watched (inotify's `max_user_watches` reached, a folder gone) leaves its runs to
 * the periodic tail, which is the safety net under every watch anyway.
 */
import { type FSWatcher, watch as fsWatch } from 'node:fs';
import { dirname } from 'node:path';
import { dueAt, freshPace, type PaceState, type TailPace, tookRead } from '../core/tail-pace.js';
import { isInteractive, type TaskRecord } from '../core/task.js';
import { logSegmentIndex } from '../paths.js';

export interface WatchedRun {
  id: number;
  logPath: string;
  pace: TailPace;
}

export type WatchFolder = (dir: string, onChange: (file: string | null) => void) => FSWatcher;

export interface LogWatchOptions {
  now: () => number;
  /** A watched run's log changed and the run may be read now: the host runs a pass. */
  wake: () => void;
  log: (line: string) => void;
  /** How a folder is watched (fs.watch; a test gives one that fails). */
  watchFolder?: WatchFolder;
}

/** fs.watch on the folder: inotify on Linux, one watch descriptor per folder (no file descriptor). */
export const watchWithFs: WatchFolder = (dir, onChange) =>
  fsWatch(dir, { persistent: false }, (_event, file) => onChange(typeof file === 'string' ? file : null));

interface Folder {
  /**
   * Null while its runs wait to be read: the first change disarms the watch, and reading a run of
   * the folder puts it back (before the read), so a log written all the time costs one inotify
   * event per read, not one per write.
   */
  watcher: FSWatcher | null;
  /** The runs whose logs are in it. */
  runs: number[];
}

interface Run {
  logPath: string;
  pace: TailPace;
  state: PaceState;
}

export class LogWatch {
  private readonly folders = new Map<string, Folder>();
  /** Folders whose watch could not be put, with why (said once, not at every retry). */
  private readonly failed = new Map<string, string>();
  private readonly runs = new Map<number, Run>();
  /** Runs whose log changed since they were last read. */
  private readonly pending = new Set<number>();
  private timer: NodeJS.Timeout | null = null;
  private timerAt = Number.POSITIVE_INFINITY;
  private readonly watchFolder: WatchFolder;

  constructor(private readonly options: LogWatchOptions) {
    this.watchFolder = options.watchFolder ?? watchWithFs;
  }

  /**
   * Watches exactly these runs: the folders of new ones are watched (and the runs read once, for
   * what they wrote before the watch was there), those left with no run are closed, and a folder
   * whose watch failed is tried again. Returns the runs no longer watched (they ended).
   */
  sync(wanted: readonly WatchedRun[]): number[] {
    const now = this.options.now();
    const ids = new Set(wanted.map((r) => r.id));
    const dropped: number[] = [];
    for (const id of this.runs.keys()) {
      if (ids.has(id)) continue;
      this.runs.delete(id);
      this.pending.delete(id);
      dropped.push(id);
    }
    const byDir = new Map<string, number[]>();
    let added = false;
    for (const r of wanted) {
      if (!this.runs.has(r.id)) {
        this.runs.set(r.id, { logPath: r.logPath, pace: r.pace, state: freshPace(r.pace, now) });
        this.pending.add(r.id);
        added = true;
      }
      const dir = dirname(r.logPath);
      const list = byDir.get(dir);
      if (list) list.push(r.id);
      else byDir.set(dir, [r.id]);
    }
    for (const [dir, folder] of this.folders) {
      if (byDir.has(dir)) continue;
      folder.watcher?.close();
      this.folders.delete(dir);
    }
    for (const dir of this.failed.keys()) if (!byDir.has(dir)) this.failed.delete(dir);
    for (const [dir, runs] of byDir) {
      const folder = this.folders.get(dir);
      if (folder) folder.runs = runs;
      else this.open(dir, runs);
    }
    if (added) this.schedule();
    return dropped;
  }

  /** Whether a run's log is watched (false: only the periodic tail reads it). */
  covers(runId: number): boolean {
    const run = this.runs.get(runId);
    return run !== undefined && this.folders.has(dirname(run.logPath));
  }

  /** Whether a run's log changed and its read is arranged (the periodic tail can leave it). */
  changedSinceRead(runId: number): boolean {
    return this.pending.has(runId);
  }

  /**
   * The runs due to be read at `now`, taken: their folders are watched again first, so a change
   * from here on marks them again, and what came before is in the read that follows.
   */
  take(now: number): number[] {
    const due: number[] = [];
    for (const id of this.pending) {
      const run = this.runs.get(id)!;
      if (dueAt(run.pace, run.state, now) > now) continue;
      this.pending.delete(id);
      run.state = tookRead(run.pace, run.state, now);
      due.push(id);
    }
    for (const id of due) {
      const dir = dirname(this.runs.get(id)!.logPath);
      const folder = this.folders.get(dir);
      if (folder && folder.watcher === null) this.arm(dir, folder);
    }
    return due;
  }

  /** When the next changed run may be read (infinity when none changed). */
  nextDue(now: number): number {
    let at = Number.POSITIVE_INFINITY;
    for (const id of this.pending) {
      const run = this.runs.get(id)!;
      at = Math.min(at, dueAt(run.pace, run.state, now));
    }
    return at;
  }

  /** How many folders are watched (armed or waiting to be). */
  get watching(): number {
    return this.folders.size;
  }

  close(): void {
    for (const folder of this.folders.values()) folder.watcher?.close();
    this.folders.clear();
    this.runs.clear();
    this.pending.clear();
    this.clearTimer();
  }

  private open(dir: string, runs: number[]): void {
    const folder: Folder = { watcher: null, runs };
    this.folders.set(dir, folder);
    if (!this.arm(dir, folder)) return;
    if (this.failed.delete(dir)) {
      this.options.log(`watching ${dir} again: its logs are read as they grow`);
      // What was written while nothing watched.
      for (const id of runs) this.pending.add(id);
      this.schedule();
    }
  }

  /** Puts the folder's watch; one that cannot be put leaves its runs to the periodic tail. */
  private arm(dir: string, folder: Folder): boolean {
    let watcher: FSWatcher;
    try {
      watcher = this.watchFolder(dir, (file) => this.changed(dir, folder, watcher, file));
    } catch (error) {
      this.folders.delete(dir);
      this.failedAt(dir, error);
      return false;
    }
    // A folder removed under its watch, or a watch the kernel dropped: the periodic tail takes
    // over, and the next sync tries again.
    watcher.on('error', (error) => {
      watcher.close();
      if (folder.watcher !== watcher || this.folders.get(dir) !== folder) return;
      this.folders.delete(dir);
      this.failedAt(dir, error);
      for (const id of folder.runs) if (this.runs.has(id)) this.pending.add(id);
      this.schedule();
    });
    folder.watcher = watcher;
    return true;
  }

  private failedAt(dir: string, error: unknown): void {
    const why = (error as NodeJS.ErrnoException)?.code ?? String(error);
    if (this.failed.get(dir) === why) return;
    this.failed.set(dir, why);
    const hint = why === 'ENOSPC' ? ' (inotify watches exhausted: fs.inotify.max_user_watches)' : '';
    this.options.log(`cannot watch ${dir}: ${why}${hint}; its logs are read every few seconds instead`);
  }

  private changed(dir: string, folder: Folder, watcher: FSWatcher, file: string | null): void {
    // An event already queued when the watch was disarmed or the folder dropped.
    if (folder.watcher !== watcher || this.folders.get(dir) !== folder) return;
    // Not a segment of one of its runs' logs: signals.jsonl, a prompt file, another run's log.
    if (
      file !== null &&
      !folder.runs.some((id) => {
        const run = this.runs.get(id);
        return run !== undefined && logSegmentIndex(run.logPath, file) !== null;
      })
    )
      return;
    watcher.close();
    folder.watcher = null;
    // Unwatched now: every run of the folder waits to be read, which watches it again.
    for (const id of folder.runs) if (this.runs.has(id)) this.pending.add(id);
    this.schedule();
  }

  /** Wakes the host now if a changed run may be read now, or arms the timer for the first that may. */
  private schedule(): void {
    const now = this.options.now();
    const at = this.nextDue(now);
    if (at <= now) {
      this.clearTimer();
      this.options.wake();
      return;
    }
    if (at >= this.timerAt) return;
    this.clearTimer();
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerAt = Number.POSITIVE_INFINITY;
      this.options.wake();
    }, at - now);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerAt = Number.POSITIVE_INFINITY;
  }
}

/**
 * A headless agent's output is what its facts come from (session id, usage limit, denials, the
 * verdict), a line per event: it is read within 25 ms of each write, up to 10 reads a second
 * when it writes all the time.
 */
export const AGENT_PACE: TailPace = { minGapMs: 25, burst: 40, ratePerS: 10 };
/**
 * A command's output gives `ls` its last output and `log --timestamps` its times: read within
 * 25 ms while it writes now and then; one that writes all the time is read every 2 s once its
 * burst is spent, as the periodic tail did, so it costs no more reads (nor `log_times` rows).
 */
export const PLAIN_PACE: TailPace = { minGapMs: 25, burst: 10, ratePerS: 0.5 };

/** How a task's run is paced; null: not watched (an interactive agent's facts come from its hooks). */
export function watchPace(task: TaskRecord): TailPace | null {
  if (isInteractive(task)) return null;
  return task.spec.agent ? AGENT_PACE : PLAIN_PACE;
}
