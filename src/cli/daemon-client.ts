import { currentLease } from '../supervisor/lease.js';
import { kickDaemon as kickRuntime } from '../supervisor/pane-events.js';
import type { Runtime } from '../supervisor/runtime.js';
import { ensureWatchdog } from '../supervisor/watchdog.js';

/** What these need of a command's context (not the Context itself: it uses daemonDisabled). */
interface HasRuntime {
  rt: Runtime;
}

/** Tests and `--no-daemon` users run holdfast as a plain tmux front end. */
export const daemonDisabled = (): boolean => process.env.HOLDFAST_NO_DAEMON === '1';

/**
 * Starts the supervisor when none runs (as pm2 does): the watchdog session starts it within a
 * moment and keeps it alive after that. Returns at once.
 */
export async function ensureDaemon(ctx: HasRuntime): Promise<void> {
  if (daemonDisabled()) return;
  if (currentLease(ctx.rt).live) {
    kickDaemon(ctx);
    return;
  }
  await ensureWatchdog(ctx.rt);
}

/** Wakes the daemon for an immediate pass: a line in the file it watches that names no run. */
export function kickDaemon(ctx: HasRuntime): void {
  kickRuntime(ctx.rt);
}
