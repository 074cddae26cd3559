/**
 * Whether a daemon supervises the home, as the hook can tell without opening the store: its pid
 * file names a running process, and the file is fresh. The daemon touches the file at each
 * heartbeat of its lease (supervisor/host.ts), so a fresh file means what a live lease means: a
 * daemon that took the lease and still beats it. A killed daemon leaves its file behind; its pid
 * is gone, or, reused by then, the file is stale.
 */
import { readFileSync, statSync } from 'node:fs';

/** The lease's STALE_AFTER_MS (supervisor/lease.ts): a beat older than this is a daemon gone. */
export const PID_FILE_STALE_MS = 10_000;

export function daemonLive(pidFile: string, now: number): boolean {
  try {
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 0) return false;
    if (now - statSync(pidFile).mtimeMs > PID_FILE_STALE_MS) return false;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
