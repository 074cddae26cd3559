/**
 * Every process a run started, found in /proc: the descendants of the pane's pid (by parent pid),
 * and any process carrying the run's own variables (HOLDFAST_HOME, HOLDFAST_TASK, HOLDFAST_RUN,
 * set by the launcher) in its environment. The second finds what left the process group and was
 * re-parented to init once its parent died (`setsid cmd &`, a double fork), which no walk by parent
 * can. No cgroup: `systemd-run --user --scope` needs a user session bus, which a container or an
 * ssh login without lingering does not have. Linux only; elsewhere nothing is found.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcessInfo {
  pid: number;
  ppid: number;
  /** The process group. */
  pgid: number;
  /** Field 22 of /proc/PID/stat: tells a process from a later one reusing its pid. */
  start: string;
}

/** What tells a run's processes from everyone else's. */
export interface RunCookie {
  home: string;
  task: string;
  /** The run's number (HOLDFAST_RUN). */
  n: number;
}

interface Entry extends ProcessInfo {
  zombie: boolean;
}

function readStat(pid: number): Entry | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ppid = Number(fields[1]);
    const pgid = Number(fields[2]);
    const start = fields[19];
    if (!Number.isInteger(ppid) || !Number.isInteger(pgid) || start === undefined) return null;
    return { pid, ppid, pgid, start, zombie: fields[0] === 'Z' || fields[0] === 'X' };
  } catch {
    return null;
  }
}

function readNulList(path: string): string[] {
  try {
    return readFileSync(path, 'latin1').split('\0');
  } catch {
    return [];
  }
}

function allProcesses(): Entry[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: Entry[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readStat(Number(name));
    if (entry) out.push(entry);
  }
  return out;
}

function carries(pid: number, cookie: RunCookie): boolean {
  const env = new Set(readNulList(`/proc/${pid}/environ`));
  return (
    env.has(`HOLDFAST_HOME=${cookie.home}`) &&
    env.has(`HOLDFAST_TASK=${cookie.task}`) &&
    env.has(`HOLDFAST_RUN=${cookie.n}`)
  );
}

/**
 * The launcher's reap watcher (docs/architecture.md, "Missed reaps") is holdfast's, not the
 * task's: it must outlive the task to say it is gone. It is the one process that names the events
 * file: as an argument (launch.sh's), or as its whole command line (launch.pl's, set by `$0`).
 */
function isWatcher(pid: number, home: string): boolean {
  const events = `${home}/pane-events.log`;
  const argv = readNulList(`/proc/${pid}/cmdline`);
  return argv.includes(events) || argv[0] === `${WATCHER_NAME} ${events}`;
}

/** What libexec/launch.pl calls its reap watcher, before the events file's path. */
const WATCHER_NAME = 'holdfast reap watcher';

/**
 * The live processes of a run: `root` (the pane's pid, when it is still the run's) and its
 * descendants, and every process with the run's variables. Zombies, this process and the reap
 * watcher (with its own children) are left out.
 */
export function runProcesses(root: number | null, cookie: RunCookie): ProcessInfo[] {
  const all = allProcesses();
  const children = new Map<number, Entry[]>();
  for (const p of all) {
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  const excluded = new Set<number>([process.pid]);
  const exclude = (pid: number) => {
    excluded.add(pid);
    for (const child of children.get(pid) ?? []) exclude(child.pid);
  };
  for (const p of all) if (isWatcher(p.pid, cookie.home)) exclude(p.pid);

  const found = new Map<number, Entry>();
  const walk = (pid: number) => {
    for (const child of children.get(pid) ?? []) {
      if (excluded.has(child.pid) || found.has(child.pid)) continue;
      found.set(child.pid, child);
      walk(child.pid);
    }
  };
  if (root !== null) {
    const self = all.find((p) => p.pid === root);
    if (self && !excluded.has(root)) {
      found.set(root, self);
      walk(root);
    }
  }
  for (const p of all) {
    if (found.has(p.pid) || excluded.has(p.pid)) continue;
    if (carries(p.pid, cookie)) {
      found.set(p.pid, p);
      walk(p.pid);
    }
  }
  return [...found.values()]
    .filter((p) => !p.zombie)
    .map(({ pid, ppid, pgid, start }) => ({ pid, ppid, pgid, start }));
}

/** Whether this very process (not a later one with its pid) is still running (a zombie is not). */
export function stillRunning(p: ProcessInfo): boolean {
  const now = readStat(p.pid);
  return now !== null && !now.zombie && now.start === p.start;
}

/** Sends a signal to each process that is still the one that was found. */
export function signalEach(processes: readonly ProcessInfo[], signal: NodeJS.Signals): void {
  for (const p of processes) {
    if (!stillRunning(p)) continue;
    try {
      process.kill(p.pid, signal);
    } catch {
      // gone since, or not ours to signal: a survivor check reports it
    }
  }
}

/**
 * Sends a stop's signal to a run: the pane's process group, and each of its processes outside it
 * (found before the group is signalled, while their parents still live). Returns what was found.
 */
export function signalRun(panePid: number, cookie: RunCookie, signal: NodeJS.Signals): ProcessInfo[] {
  const found = runProcesses(panePid, cookie);
  try {
    process.kill(-panePid, signal);
  } catch {
    try {
      process.kill(panePid, signal);
    } catch {
      // gone already
    }
  }
  // The group has it already: a second SIGINT is a "force quit" to many CLIs.
  signalEach(
    found.filter((p) => p.pgid !== panePid),
    signal,
  );
  return found;
}

/**
 * The runs that a tmux client still running is putting into tmux on this socket: a launch's
 * client (new-session or respawn-pane, chained with `set-option … @hf_run <run id>`) is a process
 * of its own, detached, so it outlives a starter killed mid-launch and may still put the pane
 * there. Zombies are done and left out.
 */
export function launchingClients(socket: string, option: string): Set<number> {
  const found = new Set<number>();
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const argv = readNulList(`/proc/${name}/cmdline`);
    const at = argv.indexOf(option);
    if (at === -1 || !argv.includes(socket)) continue;
    const runId = Number(argv[at + 1]);
    if (!Number.isInteger(runId)) continue;
    if (readStat(Number(name))?.zombie === false) found.add(runId);
  }
  return found;
}
