/**
 * `holdfast doctor`: every check, each ok / warn / fail (or skip) with what to do. Reads the home
 * without changing it: the store through a read-only connection (nothing is migrated), tmux only
 * listed. `fix` removes orphan panes holdfast stamped, and nothing else.
 */
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { minimalEnvironment } from '../core/minimal-env.js';
import { FINAL_STATES, type TaskState } from '../core/task.js';
import { makePaths } from '../paths.js';
import type { Lease } from '../store/lease.js';
import { TmuxClient } from '../tmux/client.js';
import type { Check } from './doctor-check.js';
import { checkDaemon, checkModes, checkStartup, checkStore } from './doctor-home.js';
import { checkPanes, readKnown } from './doctor-panes.js';
import { checkNotifySend, checkSinks, type DoctorSink } from './doctor-sinks.js';
import { checkAgents, checkDisk, checkGit, checkSocketPath, checkTmux } from './doctor-system.js';

export type { Check, CheckStatus } from './doctor-check.js';

export interface DoctorOptions {
  home: string;
  env: NodeJS.ProcessEnv;
  now: number;
  fix: boolean;
  /** `HOLDFAST_NO_DAEMON=1`: no daemon is expected. */
  daemonDisabled: boolean;
  /** The configured notification sinks (the config file's `notify`). */
  sinks: readonly DoctorSink[];
}

export async function runDoctor(o: DoctorOptions): Promise<Check[]> {
  const paths = makePaths(o.home);
  const [tmux, git, agents] = await Promise.all([checkTmux(o.env), checkGit(o.env), checkAgents(o.env)]);
  const checks: Check[] = [tmux, git, ...agents];
  const store = checkStore(paths.store);
  const known = store.usable ? readKnown(paths.store) : null;
  const wanted = (known?.tasks ?? []).some((t) => !FINAL_STATES.has(t.state as TaskState));
  checks.push(checkDaemon(store.usable ? readLease(paths.store) : null, o.now, wanted, o.daemonDisabled));
  checks.push(store.check, checkModes(o.home), checkSocketPath(paths.socket));
  if (tmux.status !== 'fail') {
    const client = new TmuxClient({
      socket: paths.socket,
      configFile: paths.tmuxConf,
      eventsFile: paths.eventsFile,
      serverEnv: minimalEnvironment(o.env),
    });
    checks.push(...(await checkPanes(client, known, o.fix)));
  }
  checks.push(checkDisk(existingAncestor(o.home)), checkStartup(o.env));
  checks.push(...(await checkSinks(o.sinks, o.env)), ...checkNotifySend(o.sinks, o.env));
  return checks;
}

function readLease(store: string): Lease | null {
  const db = new Database(store, { readonly: true, fileMustExist: true });
  try {
    const row = db
      .prepare('SELECT pid, proc_start, started_at, heartbeat_at FROM lease WHERE id = 1')
      .get() as { pid: number; proc_start: string; started_at: number; heartbeat_at: number } | undefined;
    return row
      ? { pid: row.pid, procStart: row.proc_start, startedAt: row.started_at, heartbeatAt: row.heartbeat_at }
      : null;
  } finally {
    db.close();
  }
}

/** The home, or the nearest folder above it that exists (a home not created yet is on that disk). */
function existingAncestor(dir: string): string {
  let d = dir;
  while (!existsSync(d) && dirname(d) !== d) d = dirname(d);
  return d;
}
