/**
 * The chaos suite's home: a private HOLDFAST_HOME (on a small tmpfs when root can mount one, so the
 * disk can be filled), every pid the faults need read from it, and a teardown that stops only what
 * this home started.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { track } from '../../bench/lib/cleanup.js';
import { isAlive, killQuietly, processesWithEnv } from '../../bench/lib/proc.js';

export const WATCHDOG = '_holdfast-watchdog';

export interface Pane {
  session: string;
  dead: boolean;
  runId: number | null;
  pid: number;
}

export class ChaosHome {
  readonly dir: string;
  readonly socket: string;
  readonly env: NodeJS.ProcessEnv;
  readonly tmpfs: boolean;
  /**
   * The interactive agent's user HOME and the fake TUI's records, off the tmpfs: a full disk is a
   * fault of holdfast's home, and the records that check it must not be lost to it.
   */
  readonly tuiDir: string;
  private readonly untrack: () => void;
  private readonly untrackTui: () => void;
  private database: Database.Database | null = null;

  constructor() {
    this.tuiDir = realpathSync(mkdtempSync('/tmp/hfc-tui-'));
    // Tracked first, so the guardian removes it after it has stopped the home's processes.
    this.untrackTui = track({ kind: 'dir', path: this.tuiDir });
    this.dir = realpathSync(mkdtempSync('/tmp/hfc-'));
    this.socket = join(this.dir, 'tmux.sock');
    this.tmpfs = mountTmpfs(this.dir);
    // A config of its own (absent): the developer's config file must not change what is measured.
    this.env = { ...process.env, HOLDFAST_HOME: this.dir, HOLDFAST_CONFIG: join(this.dir, 'config.yaml') };
    delete this.env.TMUX;
    delete this.env.TMUX_PANE;
    delete this.env.HOLDFAST_NO_DAEMON;
    // The bench's guardian undoes the processes if this suite is killed outright.
    this.untrack = track({ kind: 'holdfast', path: this.dir });
  }

  get db(): Database.Database {
    this.database ??= new Database(join(this.dir, 'holdfast.db'), { readonly: true, fileMustExist: true });
    return this.database;
  }

  tmux(args: readonly string[]): Promise<string> {
    return new Promise((res, rej) =>
      execFile('tmux', ['-S', this.socket, ...args], { timeout: 5000 }, (error, stdout) =>
        error ? rej(error) : res(stdout),
      ),
    );
  }

  async panes(): Promise<Pane[] | null> {
    try {
      const out = await this.tmux([
        'list-panes',
        '-a',
        '-F',
        '#{session_name}|#{pane_dead}|#{@hf_run}|#{pane_pid}',
      ]);
      return out
        .split('\n')
        .filter(Boolean)
        .map((l) => {
          const [session, dead, run, pid] = l.split('|');
          return { session: session!, dead: dead === '1', runId: run ? Number(run) : null, pid: Number(pid) };
        });
    } catch {
      return null;
    }
  }

  async serverPid(): Promise<number | null> {
    try {
      const pid = Number((await this.tmux(['display-message', '-p', '#{pid}'])).trim());
      return pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }

  /** The daemon named by this home's pid file, if that process lives and is a holdfast daemon. */
  daemonPid(): number | null {
    try {
      const pid = Number(readFileSync(join(this.dir, 'daemon.pid'), 'utf8').trim());
      return pid > 0 && isAlive(pid) && this.isOurs(pid) ? pid : null;
    } catch {
      return null;
    }
  }

  /** Whether a pid is a process with this home in its environment (so one this suite started). */
  isOurs(pid: number): boolean {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`HOLDFAST_HOME=${this.dir}`);
    } catch {
      return false;
    }
  }

  /** Live `holdfast daemon run` processes of this home. */
  daemonProcesses(): number[] {
    return processesWithEnv('HOLDFAST_HOME', this.dir).filter((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        const at = argv.indexOf('daemon');
        return at !== -1 && argv[at + 1] === 'run' && isAlive(pid);
      } catch {
        return false;
      }
    });
  }

  dispose(): void {
    this.database?.close();
    this.database = null;
    // The watchdog's session first, then its pid: tmux respawns a watchdog a signal kills.
    try {
      const pid = Number(
        execFileSync(
          'tmux',
          ['-S', this.socket, 'display-message', '-p', '-t', `=${WATCHDOG}:`, '#{pane_pid}'],
          {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'ignore'],
          },
        ).trim(),
      );
      execFileSync('tmux', ['-S', this.socket, 'kill-session', '-t', `=${WATCHDOG}:`], { stdio: 'ignore' });
      if (pid > 0) killQuietly(pid);
    } catch {
      // no server, or no watchdog
    }
    for (let i = 0; i < 3; i++)
      for (const pid of processesWithEnv('HOLDFAST_HOME', this.dir)) killQuietly(pid);
    if (this.tmpfs) {
      try {
        // Lazy: a file some dying process still holds does not keep the mount.
        execFileSync('umount', ['-l', this.dir], { stdio: 'ignore' });
      } catch {
        // left for the guardian's rm
      }
    }
    this.untrack();
    rmSync(this.dir, { recursive: true, force: true });
    this.untrackTui();
  }
}

function mountTmpfs(dir: string): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=96m,mode=0700', 'tmpfs', dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Field 22 of /proc/<pid>/stat: the process's start time, so a signal never reaches a reused pid. */
export function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

export function parentPid(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return null;
  }
}

export function procState(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? null;
  } catch {
    return null;
  }
}

/** Signals a pid only if it is still the process that was seen (same start time). */
export function signalSame(pid: number, start: string | null, signal: NodeJS.Signals): boolean {
  if (start === null || startTime(pid) !== start) return false;
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}
