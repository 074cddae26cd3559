import type { Command } from 'commander';
import { formatDuration, parseDuration } from '../../core/duration.js';
import { HoldfastError } from '../../core/errors.js';
import { FINAL_STATES } from '../../core/task.js';
import { currentLease, STALE_AFTER_MS } from '../../supervisor/lease.js';
import { paneEventsBacklog } from '../../supervisor/pane-events.js';
import { isAlive, isLive } from '../../supervisor/process.js';
import { sleep } from '../../supervisor/sleep.js';
import { ensureWatchdog, stopWatchdog } from '../../supervisor/watchdog.js';
import { action } from '../action.js';
import type { Context } from '../context.js';
import { daemonRun } from '../daemon-run.js';

export function register(program: Command): void {
  const daemon = program.command('daemon').summary('the supervisor daemon: start, stop, status, run');

  daemon
    .command('start')
    .summary('start the daemon (and its watchdog) unless one runs; tasks are adopted')
    .option('--json', 'print the daemon status as JSON')
    .action(
      action<{ json?: boolean }>(async (ctx) => {
        const before = currentLease(ctx.rt);
        if (!before.live) await ensureWatchdog(ctx.rt);
        const lease = await waitForLease(ctx, true, 15_000);
        if (!lease)
          throw new HoldfastError('EDAEMON', `the daemon did not start; see ${ctx.rt.paths.daemonLog}`);
        const status = daemonStatus(ctx);
        ctx.out.result(
          status,
          () => `daemon ${before.live ? 'already running' : 'started'} (pid ${status.pid})`,
        );
        return 0;
      }),
    );

  daemon
    .command('stop')
    .summary('stop the daemon only: tasks keep running, and a new daemon adopts them')
    .option('--json', 'print the result as JSON')
    .action(
      action<{ json?: boolean }>(async (ctx) => {
        await stopWatchdog(ctx.rt);
        const lease = currentLease(ctx.rt);
        if (!lease.live && lease.why === 'none') {
          ctx.out.result({ stopped: false, running: false }, () => 'no daemon was running');
          return 0;
        }
        const pid = lease.lease!.pid;
        if (isAlive(pid)) process.kill(pid, 'SIGTERM');
        // A zombie has stopped: the daemon its watchdog started stays one until that watchdog,
        // whose session was just killed, ends and it is reaped (a second or more).
        const deadline = Date.now() + 10_000;
        while (isLive(pid) && Date.now() < deadline) await sleep(20);
        if (isLive(pid)) process.kill(pid, 'SIGKILL');
        ctx.out.result({ stopped: true, pid }, () => `daemon ${pid} stopped; tasks keep running`);
        return 0;
      }),
    );

  daemon
    .command('status')
    .summary('pid, uptime, heartbeat, tasks supervised, pending events')
    .option('--json', 'print the status as JSON')
    .action(
      action<{ json?: boolean }>(async (ctx) => {
        const status = daemonStatus(ctx);
        ctx.out.result(status, () => renderStatus(status));
        return status.running ? 0 : 3;
      }),
    );

  daemon
    .command('run')
    .summary('run the daemon in the foreground (for systemd); exits 3 if another one runs')
    .option('--no-watchdog', 'do not keep the watchdog session (systemd restarts the daemon)')
    .option(
      '--boot-stagger <duration>',
      'after a reboot, start the tasks it cut short this far apart (default 500ms)',
    )
    .action(
      action<{ watchdog: boolean; bootStagger?: string }>(async (ctx, _args, options) => {
        const home = ctx.home;
        // The flag, else (read once the lease is held) the config file's daemon.boot-stagger.
        const bootStaggerMs =
          options.bootStagger === undefined
            ? undefined
            : parseDuration(options.bootStagger, '--boot-stagger');
        ctx.close();
        return daemonRun(home, {
          watchdog: options.watchdog,
          ...(bootStaggerMs === undefined ? {} : { bootStaggerMs }),
        });
      }),
    );
}

export interface DaemonStatus {
  running: boolean;
  state: 'running' | 'stopped' | 'dead' | 'stale';
  pid: number | null;
  startedAt: string | null;
  uptimeMs: number | null;
  heartbeatAt: string | null;
  heartbeatAgeMs: number | null;
  tasksSupervised: number;
  pendingEventBytes: number;
  /** Deaths tmux reported that the daemon has not processed yet. */
  pendingEvents: number;
  log: string;
}

function daemonStatus(ctx: Context): DaemonStatus {
  const now = ctx.rt.now();
  const state = currentLease(ctx.rt);
  const lease = state.lease;
  const backlog = paneEventsBacklog(ctx.rt);
  return {
    running: state.live,
    state: state.live ? 'running' : state.why === 'none' ? 'stopped' : state.why,
    pid: lease?.pid ?? null,
    startedAt: lease ? new Date(lease.startedAt).toISOString() : null,
    uptimeMs: lease && state.live ? now - lease.startedAt : null,
    heartbeatAt: lease ? new Date(lease.heartbeatAt).toISOString() : null,
    heartbeatAgeMs: lease ? now - lease.heartbeatAt : null,
    tasksSupervised: ctx.rt.store.tasks.all().filter((t) => !FINAL_STATES.has(t.state)).length,
    pendingEventBytes: backlog.pendingBytes,
    pendingEvents: backlog.pendingEvents,
    log: ctx.rt.paths.daemonLog,
  };
}

function renderStatus(s: DaemonStatus): string {
  const headline = {
    running: `daemon running (pid ${s.pid}, up ${formatDuration(s.uptimeMs ?? 0)})`,
    stopped: 'daemon not running',
    dead: `daemon DEAD: pid ${s.pid} is gone (last heartbeat ${formatDuration(s.heartbeatAgeMs ?? 0)} ago)`,
    stale: `daemon STALE: pid ${s.pid} has not beaten for ${formatDuration(s.heartbeatAgeMs ?? 0)} (limit ${formatDuration(STALE_AFTER_MS)})`,
  }[s.state];
  return [
    headline,
    `last heartbeat  ${s.heartbeatAt ?? '-'}`,
    `tasks supervised  ${s.tasksSupervised}`,
    `pending events  ${s.pendingEvents}`,
    `log  ${s.log}`,
  ].join('\n');
}

async function waitForLease(ctx: Context, live: boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (currentLease(ctx.rt).live === live) return true;
    await sleep(25);
  }
  return false;
}
