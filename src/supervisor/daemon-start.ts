/**
 * The daemon's start, up to holding the lease: the store's connection opened and the lease taken,
 * with only the code that needs (zod/mini for the lease's row, not zod). The runtime (the
 * repositories, the tmux client) and the loop's own code (host.ts: the loop, its steps, agents,
 * missions, checkpoints, notifications) are loaded after, so a daemon the watchdog starts after a `kill -9`
 * holds the lease sooner (issue 14). Either step retries a busy store or ends the process, so the
 * watchdog or systemd starts a new one: none leaves a daemon that holds the lease and supervises
 * nothing (a failure to load the rest ends the process too).
 */
import { existsSync } from 'node:fs';
import { makePaths } from '../paths.js';
import { immediate, isBusyError } from '../store/connection.js';
import { LeaseRepo } from '../store/lease.js';
import { daemonLogger } from './daemon-log.js';
import { errorText, retryDelay } from './daemon-retry.js';
import { DaemonSignals } from './daemon-signals.js';
import { openHomeStore } from './home-store.js';
import type { DaemonExit, DaemonOptions } from './host.js';
import { acquireLease } from './lease.js';
import type { Runtime } from './runtime.js';
import { sleep } from './sleep.js';

export async function runDaemon(options: DaemonOptions): Promise<DaemonExit> {
  const signals = new DaemonSignals();
  try {
    return await startDaemon(options, signals);
  } finally {
    signals.dispose();
  }
}

async function startDaemon(options: DaemonOptions, signals: DaemonSignals): Promise<DaemonExit> {
  const log = options.log ?? daemonLogger();
  // The watchdog's daemon never creates a home: one whose store is gone (deleted) has nothing left
  // to supervise. A daemon a user starts may begin in a new home.
  const paths = makePaths(options.home);
  if (process.env.HOLDFAST_WATCHDOG_CHILD === '1' && !existsSync(paths.store)) {
    log(`no store in ${options.home}: nothing to supervise`);
    return { code: 0 };
  }
  // The lease first, on the store's connection alone: the runtime's code (the repositories with
  // their schemas, the tmux client) is loaded once it is held (issue 14).
  const db = await whileBusy(
    () => openHomeStore(paths, { busyTimeoutMs: DAEMON_BUSY_TIMEOUT_MS }),
    'opening the store',
    log,
    signals.stopped,
  );
  if (db === null) return stoppedEarly(signals, log);
  const leaseStore = { tx: <T>(fn: () => T) => immediate(db, fn), lease: new LeaseRepo(db) };
  const now = options.clock ? () => options.clock!.now() : Date.now;
  let got: ReturnType<typeof acquireLease> | null;
  try {
    got = await whileBusy(() => acquireLease(leaseStore, now), 'taking the lease', log, signals.stopped);
  } catch (error) {
    db.close();
    throw error;
  }
  if (got === null) {
    db.close();
    return stoppedEarly(signals, log);
  }
  if (!got.acquired) {
    db.close();
    return { code: 3, holder: got.holder };
  }
  const held = got.lease;
  let rt: Runtime;
  let watchdogSession: string;
  try {
    const runtime = await import('./runtime.js');
    rt = runtime.runtimeOn(paths, db, options.clock);
    watchdogSession = runtime.WATCHDOG_SESSION;
  } catch (error) {
    // Given back, so that the next daemon need not wait to see this one's process gone.
    leaseStore.lease.release(held.pid, held.procStart);
    db.close();
    throw error;
  }
  // A stop that came before this point is the Host's first thing to act on: it releases the lease.
  // Asked of tmux before the rest of the daemon loads (issue 14): tmux lists the panes, and starts
  // the control client that launches go through, while node compiles the loop.
  const panes = rt.tmux.listPanes();
  panes.catch(() => undefined);
  // Launches go through one tmux client that stays attached (to the watchdog's session, which
  // outlives any daemon); HOLDFAST_TMUX_CONTROL=0 spawns a client per call, as the CLI does.
  if (process.env.HOLDFAST_TMUX_CONTROL !== '0') {
    rt.tmux.useControl(watchdogSession);
    rt.tmux.connectControl();
  }
  const { Host, configuredBootStagger } = await import('./host.js');
  const bootStaggerMs = options.bootStaggerMs ?? (await configuredBootStagger(log));
  return new Host(rt, held, { ...options, bootStaggerMs }, log, signals, panes).run();
}

/**
 * The daemon waits this long for another connection's write lock, not SQLite's usual 15 s: a
 * statement waits synchronously, and a daemon frozen that long misses its heartbeats and signals.
 * A busy store fails the step instead, which is retried with backoff.
 */
export const DAEMON_BUSY_TIMEOUT_MS = 2000;

function stoppedEarly(signals: DaemonSignals, log: (line: string) => void): DaemonExit {
  log(`received ${signals.stopSignal} before taking the lease: exiting`);
  return { code: 0 };
}

/** Tries `step` while the store is busy, until it works or a stop signal comes (then null: a stop is not held up by a lock). */
async function whileBusy<T>(
  step: () => T,
  what: string,
  log: (line: string) => void,
  stopped: AbortSignal,
): Promise<T | null> {
  for (let failures = 1; !stopped.aborted; failures++) {
    try {
      return step();
    } catch (error) {
      if (!isBusyError(error)) throw error;
      const delay = retryDelay(failures);
      log(`${what}: the store is busy (${errorText(error)}); trying again in ${delay} ms`);
      await sleep(delay, stopped);
    }
  }
  return null;
}
