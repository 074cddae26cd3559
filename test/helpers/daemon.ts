import { readdirSync, readFileSync } from 'node:fs';
import type { Home } from './home.js';
import { daemonPid, isAlive } from './home.js';
import { waitFor } from './wait.js';

export interface DaemonStatusJson {
  running: boolean;
  state: string;
  pid: number | null;
  heartbeatAt: string | null;
  pendingEventBytes: number;
  tasksSupervised: number;
}

export async function daemonStatus(h: Home): Promise<DaemonStatusJson> {
  const r = await h.cli(['daemon', 'status', '--json']);
  return JSON.parse(r.stdout) as DaemonStatusJson;
}

/** Waits for a live daemon (other than `not`, if given) and returns its pid. */
export async function waitForDaemon(h: Home, not?: number | null, timeoutMs = 10_000): Promise<number> {
  const status = await waitFor(
    () => daemonStatus(h),
    (s) => s.running && s.pid !== null && s.pid !== not,
    { what: 'a live daemon', timeoutMs },
  );
  return status.pid!;
}

/** Every `holdfast daemon run` process of this home, found through /proc (our own processes only). */
export function daemonProcesses(home: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const at = cmdline.indexOf('daemon');
      if (at === -1 || cmdline[at + 1] !== 'run' || !cmdline.some((a) => a.endsWith('holdfast.js'))) continue;
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0');
      if (environ.includes(`HOLDFAST_HOME=${home}`) && isAlive(Number(entry))) found.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return found;
}

export function currentDaemonPid(h: Home): number | null {
  const pid = daemonPid(h.dir);
  return pid !== null && isAlive(pid) ? pid : null;
}

/** The pane pid of a task's session and whether it is dead, read from tmux without the CLI. */
/** A process's parent, from /proc: a task's is its pane's process (libexec/launch.pl). */
export function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

export function paneOf(h: Home, name: string): { pid: number; dead: boolean } | null {
  try {
    const [pid, dead] = h
      .tmux(['display-message', '-p', '-t', `=${name}:`, '#{pane_pid} #{pane_dead}'])
      .trim()
      .split(' ');
    return { pid: Number(pid), dead: dead === '1' };
  } catch {
    return null;
  }
}
