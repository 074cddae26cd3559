import type { Lease, LeaseRepo } from '../store/lease.js';
import { isRunning, processStartTime } from './process.js';
import type { Runtime } from './runtime.js';

export const HEARTBEAT_MS = 2000;
/** A lease whose holder is alive but silent this long is taken over (a hung daemon). */
export const STALE_AFTER_MS = 10_000;

export type LeaseState =
  | { live: true; lease: Lease }
  | { live: false; lease: Lease | null; why: 'none' | 'dead' | 'stale' };

/** Whether a lease is held by a running daemon: the same pid *and* process start time, beating recently. */
export function leaseState(lease: Lease | null, now: number): LeaseState {
  if (!lease) return { live: false, lease: null, why: 'none' };
  // A zombie is dead too: a daemon killed after its parent (the watchdog) stays one where nothing
  // reaps orphans (a container's init), and must not hold the lease until it is stale.
  if (!isRunning(lease.pid, lease.procStart)) return { live: false, lease, why: 'dead' };
  if (now - lease.heartbeatAt > STALE_AFTER_MS) return { live: false, lease, why: 'stale' };
  return { live: true, lease };
}

/** What taking the lease needs of the store: its transaction and the lease's row (a Store has both). */
export interface LeaseStore {
  tx<T>(fn: () => T): T;
  lease: LeaseRepo;
}

/** Takes the lease if no live daemon holds it; one transaction, so of many racing starters one wins. */
export function acquireLease(
  store: LeaseStore,
  now: () => number,
): { acquired: true; lease: Lease } | { acquired: false; holder: Lease } {
  const pid = process.pid;
  const procStart = processStartTime(pid) ?? '0';
  return store.tx(() => {
    const at = now();
    const state = leaseState(store.lease.get(), at);
    if (state.live && state.lease.pid !== pid) return { acquired: false as const, holder: state.lease };
    const lease = { pid, procStart, startedAt: at, heartbeatAt: at };
    store.lease.put(lease);
    return { acquired: true as const, lease };
  });
}

export function currentLease(rt: Runtime): LeaseState {
  return leaseState(rt.store.lease.get(), rt.now());
}
