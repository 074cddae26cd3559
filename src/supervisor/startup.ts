/**
 * `holdfast startup`: what brings the daemon back after a reboot, as `pm2 startup` does. A systemd
 * unit where systemd runs (a user unit; a system unit with `User=` when root installs it for
 * another user), else an `@reboot` line in the user's crontab. Both start `daemon run`; the first
 * listing of that daemon finds no tmux server and brings back what the reboot cut short (boot
 * recovery: core/lifecycle.ts `SERVER_LOST_ROWS`).
 *
 * The programs it runs are `crontab` and `systemctl` unless `HOLDFAST_CRONTAB` / `HOLDFAST_SYSTEMCTL`
 * name others (tests and unusual systems), and systemd counts as running when
 * `HOLDFAST_SYSTEMD_RUNDIR` (default `/run/systemd/system`, sd_booted(3)'s test) exists.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { HoldfastError } from '../core/errors.js';
import { PACKAGE_ROOT, resolveHome } from '../paths.js';

export type StartupMethod = 'systemd' | 'cron';

export interface StartupStatus {
  installed: StartupMethod | null;
  /** The unit file; for cron, absent (the line is in the user's crontab). */
  path?: string;
}

/** What ends our crontab line (and heads our unit file): one per home. */
export function startupMarker(home: string): string {
  return `# holdfast startup HOLDFAST_HOME=${home}`;
}

export const CLI_PATH = resolve(PACKAGE_ROOT, 'bin', 'holdfast.js');

/** The user unit, or for root installing for another user, the system unit with `User=`. */
export function unitPath(env: NodeJS.ProcessEnv, forUser: string | null): string {
  if (forUser !== null) return `/etc/systemd/system/holdfast-${forUser}.service`;
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return join(config, 'systemd', 'user', 'holdfast.service');
}

export function systemdRunning(env: NodeJS.ProcessEnv): boolean {
  return existsSync(env.HOLDFAST_SYSTEMD_RUNDIR || '/run/systemd/system');
}

export interface UnitOptions {
  home: string;
  node: string;
  cli: string;
  path: string;
  /** A system unit running as this user; null: a user unit. */
  user: string | null;
}

/**
 * systemd's quoting for one word of a unit file (systemd.syntax(7)): `\` and `"` are quoting, `%`
 * starts a specifier everywhere; `$` starts a variable only on a command line (systemd.service(5)
 * "Command lines"), while in `Environment=` it means itself (systemd.exec(5)).
 */
function unitWord(text: string, where: 'command' | 'environment' = 'command'): string {
  if (/[\n\r]/.test(text))
    throw new HoldfastError('EUSAGE', `a newline cannot go into a unit file: ${JSON.stringify(text)}`);
  const quoted = text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%');
  return `"${where === 'command' ? quoted.replace(/\$/g, '$$$$') : quoted}"`;
}

/**
 * The unit: `daemon run --no-watchdog` (systemd restarts it instead), and KillMode=process, so that
 * stopping or restarting the unit signals the daemon alone and every task keeps running.
 */
export function unitFile(o: UnitOptions): string {
  const lines = [
    startupMarker(o.home),
    '[Unit]',
    'Description=holdfast supervisor daemon',
    '',
    '[Service]',
    'Type=simple',
    ...(o.user === null ? [] : [`User=${o.user}`]),
    `ExecStart=${[o.node, o.cli, 'daemon', 'run', '--no-watchdog'].map((word) => unitWord(word)).join(' ')}`,
    `Environment=${unitWord(`HOLDFAST_HOME=${o.home}`, 'environment')}`,
    `Environment=${unitWord(`PATH=${o.path}`, 'environment')}`,
    // The daemon's log, as under the watchdog (`append:` takes a path unquoted: none with blanks).
    ...(/\s|%/.test(o.home)
      ? []
      : [`StandardOutput=append:${join(o.home, 'daemon.log')}`, 'StandardError=inherit']),
    'UMask=0077',
    'Restart=always',
    'RestartSec=1',
    'KillMode=process',
    '',
    '[Install]',
    `WantedBy=${o.user === null ? 'default.target' : 'multi-user.target'}`,
    '',
  ];
  return lines.join('\n');
}

/** One word for /bin/sh, in a crontab (crontab(5): an unescaped `%` ends the command). */
function cronWord(text: string): string {
  if (/[\n\r]/.test(text))
    throw new HoldfastError('EUSAGE', `a newline cannot go into a crontab: ${JSON.stringify(text)}`);
  return `'${text.replace(/'/g, `'\\''`)}'`.replace(/%/g, '\\%');
}

/**
 * The `@reboot` line: `daemon run` in the foreground under cron (nothing else restarts it there,
 * so it keeps its watchdog), its output appended to the daemon's log.
 */
export function cronLine(o: Omit<UnitOptions, 'user'>): string {
  const log = join(o.home, 'daemon.log');
  const cmd = [
    'umask 077;',
    `HOLDFAST_HOME=${cronWord(o.home)}`,
    `PATH=${cronWord(o.path)}`,
    cronWord(o.node),
    cronWord(o.cli),
    'daemon run',
    `>>${cronWord(log)} 2>&1`,
  ].join(' ');
  return `@reboot ${cmd} ${startupMarker(o.home).replace(/%/g, '\\%')}`;
}

/** The crontab with our line for `home` in it once (in place of an old one), every other byte kept. */
export function withCronLine(crontab: string, line: string, home: string): string {
  const marker = startupMarker(home).replace(/%/g, '\\%');
  const lines = splitLines(crontab);
  const at = lines.findIndex((l) => isOurs(l, marker));
  if (at >= 0) {
    const kept = lines.filter((l, i) => i === at || !isOurs(l, marker));
    return kept.map((l) => (isOurs(l, marker) ? `${line}\n` : l)).join('');
  }
  // crontab(1) refuses a file whose last line has no newline: one is added before ours.
  const body = crontab.length === 0 || crontab.endsWith('\n') ? crontab : `${crontab}\n`;
  return `${body}${line}\n`;
}

/** The crontab without our line for `home`; every other byte kept. */
export function withoutCronLine(crontab: string, home: string): string {
  const marker = startupMarker(home).replace(/%/g, '\\%');
  return splitLines(crontab)
    .filter((l) => !isOurs(l, marker))
    .join('');
}

/** Lines with their own line ends, so that joining them gives the very bytes back. */
function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

function isOurs(line: string, marker: string): boolean {
  return line.replace(/\r?\n$/, '').endsWith(` ${marker}`);
}

function run(
  env: NodeJS.ProcessEnv,
  program: string,
  args: string[],
  input?: string,
): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(program, args, {
    env,
    encoding: 'utf8',
    ...(input === undefined ? {} : { input }),
  });
  if (result.error) {
    throw new HoldfastError('EUSAGE', `could not run ${program}: ${result.error.message}`);
  }
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

const crontabProgram = (env: NodeJS.ProcessEnv): string => env.HOLDFAST_CRONTAB || 'crontab';
export const systemctlProgram = (env: NodeJS.ProcessEnv): string => env.HOLDFAST_SYSTEMCTL || 'systemctl';

/** The user's crontab; '' when they have none (`crontab -l` exits 1 with "no crontab for <user>"). */
export function readCrontab(env: NodeJS.ProcessEnv, user: string | null = null): string {
  const r = run(env, crontabProgram(env), [...(user ? ['-u', user] : []), '-l']);
  if (r.status === 0) return r.stdout;
  if (/no crontab for/i.test(r.stderr)) return '';
  throw new HoldfastError('EUSAGE', `crontab -l failed: ${r.stderr.trim() || `exit ${r.status}`}`);
}

/** Installs `text` as the crontab (`crontab -`), or removes it (`crontab -r`) when nothing is left. */
export function writeCrontab(env: NodeJS.ProcessEnv, text: string, user: string | null = null): void {
  const u = user ? ['-u', user] : [];
  const r =
    text.length === 0
      ? run(env, crontabProgram(env), [...u, '-r'])
      : run(env, crontabProgram(env), [...u, '-'], text);
  if (r.status !== 0)
    throw new HoldfastError('EUSAGE', `crontab failed: ${r.stderr.trim() || `exit ${r.status}`}`);
}

/** Whether `holdfast startup` is installed for the home `env` names (what `doctor` reports). */
export function startupStatus(env: NodeJS.ProcessEnv = process.env): StartupStatus {
  const home = resolveHome(env);
  const marker = startupMarker(home);
  const user = env.USER || safeUser();
  for (const path of [unitPath(env, null), ...(user ? [unitPath(env, user)] : [])]) {
    if (fileStartsWith(path, marker)) return { installed: 'systemd', path };
  }
  try {
    const cron = readCrontab(env);
    if (splitLines(cron).some((l) => isOurs(l, marker.replace(/%/g, '\\%')))) return { installed: 'cron' };
  } catch {
    // No crontab program (a minimal container): nothing is installed through it.
  }
  return { installed: null };
}

function safeUser(): string | null {
  try {
    return userInfo().username;
  } catch {
    return null;
  }
}

function fileStartsWith(path: string, marker: string): boolean {
  try {
    return readFileSync(path, 'utf8').split('\n', 1)[0] === marker;
  } catch {
    return false;
  }
}

export interface StartupPlan {
  method: StartupMethod;
  home: string;
  /** systemd: the unit file and its text; cron: the line. */
  path: string | null;
  content: string;
  /** What is run to put it into effect (or to do by hand). */
  commands: string[][];
  /** Steps left to the user (`loginctl enable-linger`, systemd not running). */
  notes: string[];
}

export interface StartupRequest {
  env: NodeJS.ProcessEnv;
  method: StartupMethod | null;
  /** `--user NAME`: root installs a system unit for another user. */
  user: string | null;
  node: string;
  cli: string;
}

/** What `startup` would write and run, decided without writing anything (`--print` shows it). */
export function planStartup(req: StartupRequest): StartupPlan {
  const { env } = req;
  const method = req.method ?? (systemdRunning(env) ? 'systemd' : 'cron');
  if (req.user !== null && method !== 'systemd')
    throw new HoldfastError('EUSAGE', '--user installs a system unit: it goes with --systemd');
  if (req.user !== null && process.getuid?.() !== 0)
    throw new HoldfastError('EUSAGE', '--user NAME installs a system unit, which only root can write', {
      hint: 'run it with sudo, or without --user for a user unit of your own',
    });
  const home = req.user !== null && !env.HOLDFAST_HOME ? homeOf(req.user) : resolveHome(env);
  const base = { home, node: req.node, cli: req.cli, path: env.PATH || '/usr/local/bin:/usr/bin:/bin' };
  if (method === 'cron') {
    return { method, home, path: null, content: cronLine(base), commands: [['crontab', '-']], notes: [] };
  }
  const path = unitPath(env, req.user);
  const scope = req.user === null ? ['--user'] : [];
  const unit = req.user === null ? 'holdfast.service' : `holdfast-${req.user}.service`;
  const notes: string[] = [];
  const commands = [
    ['systemctl', ...scope, 'daemon-reload'],
    ['systemctl', ...scope, 'enable', '--now', unit],
  ];
  if (!systemdRunning(env))
    notes.push(
      `systemd is not running here: once it is, run ${commands.map((c) => c.join(' ')).join(' && ')}`,
    );
  const user = req.user ?? env.USER ?? safeUser();
  if (req.user === null && user && !existsSync(join('/var/lib/systemd/linger', user)))
    notes.push(
      `a user unit runs only while ${user} is logged in: to start it at boot, run  sudo loginctl enable-linger ${user}`,
    );
  return { method, home, path, content: unitFile({ ...base, user: req.user }), commands, notes };
}

function homeOf(user: string): string {
  const r = spawnSync('getent', ['passwd', user], { encoding: 'utf8' });
  const dir = r.status === 0 ? r.stdout.split(':')[5] : undefined;
  if (!dir) throw new HoldfastError('EUSAGE', `--user ${user}: no such user`);
  return join(dir, '.local', 'state', 'holdfast');
}

export interface StartupResult extends StartupPlan {
  /** Whether anything was changed (a second install of the same line changes nothing). */
  changed: boolean;
  /** Whether the unit was enabled and started. */
  started: boolean;
}

/** Writes the plan: the unit (enabled and started when systemd runs), or our crontab line. */
export function installStartup(plan: StartupPlan, env: NodeJS.ProcessEnv): StartupResult {
  if (plan.method === 'cron') {
    const before = readCrontab(env);
    const after = withCronLine(before, plan.content, plan.home);
    if (after !== before) writeCrontab(env, after);
    return { ...plan, changed: after !== before, started: false };
  }
  const path = plan.path!;
  const changed = !existsSync(path) || readFileSync(path, 'utf8') !== plan.content;
  if (changed) {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, plan.content, { mode: 0o644 });
  }
  let started = false;
  if (systemdRunning(env)) {
    for (const [, ...args] of plan.commands) {
      const r = run(env, systemctlProgram(env), args);
      if (r.status !== 0)
        throw new HoldfastError(
          'EDAEMON',
          `systemctl ${args.join(' ')} failed: ${r.stderr.trim() || `exit ${r.status}`}`,
          {
            hint: `the unit is in ${path}`,
          },
        );
    }
    started = true;
  }
  return { ...plan, changed, started };
}

export interface UninstallResult {
  removed: StartupMethod[];
  path: string | null;
}

/** Removes what `startup` installed for this home, and only that: our unit, our crontab line. */
export function uninstallStartup(
  env: NodeJS.ProcessEnv,
  method: StartupMethod | null,
  user: string | null,
  print: boolean,
): UninstallResult & { commands: string[][] } {
  const home = user !== null && !env.HOLDFAST_HOME ? homeOf(user) : resolveHome(env);
  const removed: StartupMethod[] = [];
  const commands: string[][] = [];
  const path = unitPath(env, user);
  if (method !== 'cron' && fileStartsWith(path, startupMarker(home))) {
    const scope = user === null ? ['--user'] : [];
    const unit = user === null ? 'holdfast.service' : `holdfast-${user}.service`;
    commands.push(
      ['systemctl', ...scope, 'disable', '--now', unit],
      ['rm', path],
      ['systemctl', ...scope, 'daemon-reload'],
    );
    if (!print) {
      // KillMode=process: stopping the unit ends the daemon alone; the tasks keep running.
      if (systemdRunning(env)) run(env, systemctlProgram(env), [...scope, 'disable', '--now', unit]);
      rmSync(path, { force: true });
      if (systemdRunning(env)) run(env, systemctlProgram(env), [...scope, 'daemon-reload']);
    }
    removed.push('systemd');
  }
  if (method !== 'systemd' && user === null) {
    const before = safeCrontab(env);
    if (before !== null) {
      const after = withoutCronLine(before, home);
      if (after !== before) {
        commands.push(['crontab', after.length === 0 ? '-r' : '-']);
        if (!print) writeCrontab(env, after);
        removed.push('cron');
      }
    }
  }
  return { removed, path: removed.includes('systemd') ? path : null, commands };
}

function safeCrontab(env: NodeJS.ProcessEnv): string | null {
  try {
    return readCrontab(env);
  } catch (error) {
    // No crontab program at all: there is no line of ours to remove.
    if (error instanceof HoldfastError && /could not run/.test(error.message)) return null;
    throw error;
  }
}
