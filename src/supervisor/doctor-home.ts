/** The home's own health: file modes, the store, the daemon's lease, `startup`. */
import { existsSync, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { formatDuration } from '../core/duration.js';
import type { Lease } from '../store/lease.js';
import { MIGRATIONS } from '../store/migrations.js';
import { type Check, check } from './doctor-check.js';
import { HEARTBEAT_MS, leaseState } from './lease.js';
import { startupStatus } from './startup.js';

/** holdfast's own files at the top of the home (rotated ones too); anything else there is not its. */
const OWN = /^(holdfast\.db|daemon\.|pane-events\.log|tmux\.|tasks$)/;

/**
 * The home is 0700 and holdfast's files in it 0600 (or 0700), owned by this user (DESIGN rule 3).
 * Files a task or an agent wrote (the demo's progress file, what an agent keeps in the folder
 * holdfast points it at) are theirs, made with their own umask, and not looked at.
 */
export function checkModes(home: string): Check {
  if (!existsSync(home)) return check('file modes', 'ok', `${home} does not exist yet`);
  const uid = process.getuid?.() ?? null;
  const bad: string[] = [];
  const look = (path: string, descend: (name: string, depth: number) => boolean, depth: number) => {
    const st = lstatSync(path);
    // Links are made by holdfast on purpose (an agent's files in its own home) and point outside.
    if (st.isSymbolicLink()) return;
    if ((st.mode & 0o077) !== 0) bad.push(`${path} is ${(st.mode & 0o777).toString(8).padStart(4, '0')}`);
    else if (uid !== null && st.uid !== uid) bad.push(`${path} belongs to uid ${st.uid}`);
    if (!st.isDirectory()) return;
    for (const entry of readdirSync(path))
      if (descend(entry, depth)) look(join(path, entry), descend, depth + 1);
  };
  // Under tasks/: every task's folder, except what its agent writes under agent/.
  look(home, (name, depth) => (depth === 0 ? OWN.test(name) : !(depth === 2 && name === 'agent')), 0);
  if (bad.length === 0) return check('file modes', 'ok', `${home} is 0700, its files 0600`);
  const shown = bad.slice(0, 5).join('; ') + (bad.length > 5 ? `; and ${bad.length - 5} more` : '');
  return check('file modes', 'fail', shown, `chmod -R go-rwx ${home} (task env files hold secrets)`);
}

export interface StoreFacts {
  check: Check;
  /** Whether the store can be opened for the checks that read it. */
  usable: boolean;
}

/** `PRAGMA integrity_check` and the schema version, on a read-only connection: nothing is migrated. */
export function checkStore(path: string): StoreFacts {
  if (!existsSync(path)) return { check: check('store', 'ok', `${path} not created yet`), usable: false };
  let db: Database.Database | null = null;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    const rows = db.pragma('integrity_check') as { integrity_check: string }[];
    const problems = rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (problems.length > 0)
      return {
        check: check(
          'store',
          'fail',
          `integrity_check: ${problems.slice(0, 3).join('; ')}`,
          `stop the daemon, move ${path} aside and restore a backup (holdfast never replaces it)`,
        ),
        usable: false,
      };
    if (version > MIGRATIONS.length)
      return {
        check: check(
          'store',
          'fail',
          `schema version ${version}, newer than this holdfast knows (${MIGRATIONS.length})`,
          'upgrade holdfast',
        ),
        usable: false,
      };
    const behind =
      version < MIGRATIONS.length ? ` (upgraded to ${MIGRATIONS.length} by the next command)` : '';
    return { check: check('store', 'ok', `integrity ok, schema version ${version}${behind}`), usable: true };
  } catch (error) {
    return {
      check: check(
        'store',
        'fail',
        `cannot read ${path}: ${(error as Error).message}`,
        `stop the daemon, move ${path} aside and restore a backup (holdfast never replaces it)`,
      ),
      usable: false,
    };
  } finally {
    db?.close();
  }
}

/** The daemon's lease and how long ago it beat; `wanted`: some task should be running. */
export function checkDaemon(lease: Lease | null, now: number, wanted: boolean, disabled = false): Check {
  const state = leaseState(lease, now);
  if (state.live) {
    const age = now - state.lease.heartbeatAt;
    const detail = `pid ${state.lease.pid}, up ${formatDuration(now - state.lease.startedAt)}, heartbeat ${formatDuration(age)} ago`;
    return age > 2 * HEARTBEAT_MS
      ? check(
          'daemon',
          'warn',
          `${detail} (it beats every ${formatDuration(HEARTBEAT_MS)})`,
          'a loaded machine, or a hung daemon: see daemon.log',
        )
      : check('daemon', 'ok', detail);
  }
  const why =
    state.why === 'none'
      ? 'no daemon holds the lease'
      : state.why === 'dead'
        ? `the lease's daemon (pid ${state.lease!.pid}) is gone`
        : `the lease's daemon (pid ${state.lease!.pid}) has not beaten for ${formatDuration(now - state.lease!.heartbeatAt)}`;
  if (disabled)
    return check(
      'daemon',
      'warn',
      `${why}: HOLDFAST_NO_DAEMON=1, so tasks are looked at only while a holdfast command runs`,
      'unset HOLDFAST_NO_DAEMON for a daemon that supervises them',
    );
  return wanted
    ? check('daemon', 'fail', `${why}: tasks that should run are not supervised`, 'holdfast daemon start')
    : check('daemon', 'ok', `${why}; no task needs one (the next run starts it)`);
}

export function checkStartup(env: NodeJS.ProcessEnv): Check {
  const status = startupStatus(env);
  if (status.installed === 'systemd') return check('startup', 'ok', `systemd unit ${status.path}`);
  if (status.installed === 'cron') return check('startup', 'ok', 'an @reboot line in your crontab');
  return check(
    'startup',
    'warn',
    'not installed: after a reboot nothing runs until a holdfast command',
    'holdfast startup',
  );
}
