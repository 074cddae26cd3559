import { resolve } from 'node:path';
import { minimalEnvironment } from '../core/minimal-env.js';
import { touchPrivateFile } from '../fs-safe.js';
import { PACKAGE_ROOT } from '../paths.js';
import { cwdArg, escapeTmuxArg } from '../tmux/argv.js';
import { TmuxError } from '../tmux/errors.js';
import type { PaneInfo } from '../tmux/panes.js';
import { launcherArgv, type Runtime, WATCHDOG_SESSION } from './runtime.js';
import { writeEnvFile } from './steps/env-file.js';

export { WATCHDOG_SESSION } from './runtime.js';

const WATCHDOG_SCRIPT = resolve(PACKAGE_ROOT, 'libexec', 'watchdog.sh');
const CLI = resolve(PACKAGE_ROOT, 'bin', 'holdfast.js');

/**
 * Makes sure the watchdog session runs (creating the tmux server if there is none). Cheap when it
 * does: one look at the pane list the caller usually has already.
 */
export async function ensureWatchdog(rt: Runtime, panes?: PaneInfo[] | null): Promise<'running' | 'started'> {
  const list = panes === undefined ? await rt.tmux.listPanes() : panes;
  const pane = list?.find((p) => p.session === WATCHDOG_SESSION);
  if (pane && !pane.dead) return 'running';
  // The watchdog's shell appends to it by name: made here, 0600, and never a link.
  touchPrivateFile(rt.paths.daemonLog);
  writeEnvFile(rt.paths.daemonEnv, minimalEnvironment(process.env));
  // Through the launcher, like a task: whatever environment the tmux server has (one started by
  // an older holdfast, or by hand), the watchdog and so the daemon start with the minimal one.
  const argv = [
    ...launcherArgv(),
    rt.paths.home,
    rt.paths.daemonEnv,
    '-',
    '077',
    '--',
    'bash',
    WATCHDOG_SCRIPT,
    rt.paths.home,
    process.execPath,
    CLI,
  ].map(escapeTmuxArg);
  try {
    if (pane) {
      await rt.tmux.exec(['respawn-pane', '-k', '-t', `=${WATCHDOG_SESSION}:`, '--', ...argv]);
    } else {
      await rt.tmux.exec([
        'new-session',
        '-d',
        '-s',
        WATCHDOG_SESSION,
        '-c',
        cwdArg(rt.paths.home),
        '--',
        ...argv,
      ]);
    }
  } catch (error) {
    // Several starters raced and another one created it: that is the outcome wanted.
    if (error instanceof TmuxError && /duplicate session/i.test(error.stderr)) return 'running';
    throw error;
  }
  return 'started';
}

/** Written whole under another name and renamed, so a watchdog starting meanwhile never reads half. */
export async function stopWatchdog(rt: Runtime): Promise<void> {
  await rt.tmux.killSession(WATCHDOG_SESSION);
}
