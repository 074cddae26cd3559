import { readFileSync } from 'node:fs';

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `pid` is a process that still runs: alive, and not a zombie. A process killed whose parent
 * has not reaped it yet (one re-parented to an init that reaps every few seconds, or to a parent
 * that never does) answers signal 0 all the same, though it will never do anything again.
 */
export function isLive(pid: number): boolean {
  if (!isAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    // No /proc (or the process ended meanwhile): signal 0 is all there is to go by.
    return isAlive(pid);
  }
}

/** Sends a signal to a whole process group (agent launchers fork their real binary). */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    try {
      process.kill(pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

/** Whether `pid` is the process that started at `start` (see processStartTime), and not a zombie. */
export function isRunning(pid: number, start: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] !== 'Z' && fields[0] !== 'X' && fields[19] === start;
  } catch {
    return false;
  }
}

/**
 * The start time of a process in clock ticks since boot (field 22 of /proc/PID/stat), which
 * tells a live process from a later one that reuses its pid. Null when the process is gone.
 */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count from after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** Wakes the tmux server's SIGCHLD handler so it reaps a pane whose exit signal it missed. */
export function nudgeReap(serverPid: number): void {
  try {
    process.kill(serverPid, 'SIGCHLD');
  } catch {
    // the server is gone: the next observation says so
  }
}
