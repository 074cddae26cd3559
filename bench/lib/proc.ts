import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second for /proc/<pid>/stat times. */
export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

function statFields(pid: number): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which may hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** Alive and not a zombie. */
export function isAlive(pid: number): boolean {
  const fields = statFields(pid);
  return fields !== null && fields[0] !== 'Z' && fields[0] !== 'X';
}

/** utime + stime in clock ticks. */
export function cpuTicks(pid: number): number | null {
  const fields = statFields(pid);
  // utime and stime are fields 14 and 15 of stat; state (field 3) is index 0 here.
  return fields ? Number(fields[11]) + Number(fields[12]) : null;
}

/** VmRSS in KiB. */
export function rssKiB(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1);
  } catch {
    return [];
  }
}

/** Direct children of a process, from every one of its threads. */
export function childrenOf(pid: number): number[] {
  const found: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
        if (text) for (const c of text.split(' ')) found.push(Number(c));
      } catch {
        // thread ended while we looked
      }
    }
  } catch {
    // process gone
  }
  return found;
}

/** Live children of `parent` whose argv is exactly `argv`. */
export function childrenRunning(parent: number, argv: readonly string[]): number[] {
  return childrenOf(parent).filter((pid) => {
    const args = cmdline(pid);
    return args.length === argv.length && args.every((a, i) => a === argv[i]) && isAlive(pid);
  });
}

/**
 * Live processes running exactly `argv` among the children of `ancestor` and their children: a
 * holdfast task is its pane process's child, and the pane process the tmux server's.
 */
export function grandchildrenRunning(ancestor: number, argv: readonly string[]): number[] {
  return childrenOf(ancestor).flatMap((child) => childrenRunning(child, argv));
}

export function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/**
 * Processes whose environment holds `name=value` exactly. With a value such as a fresh mkdtemp path,
 * these can only be processes the bench itself started (directly or through tmux or pm2).
 */
export function processesWithEnv(name: string, value: string): number[] {
  const entry = `${name}=${value}`;
  const found: number[] = [];
  for (const dir of readdirSync('/proc')) {
    if (!/^\d+$/.test(dir) || Number(dir) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${dir}/environ`, 'utf8').split('\0').includes(entry)) found.push(Number(dir));
    } catch {
      // exited while we looked, or not ours to read
    }
  }
  return found;
}

/** Last resort of a teardown: kills whatever still runs with this home in its environment. */
export function sweep(name: string, value: string): number[] {
  const left = processesWithEnv(name, value).filter(isAlive);
  for (const pid of left) killQuietly(pid);
  return left;
}
