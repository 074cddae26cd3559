/**
 * One look at the world for a pass: the deaths tmux's hook wrote to `pane-events.log`, and when it
 * is due one `list-panes -a` for every pane at once. `paneFact` turns that into what the decider
 * needs to know about one open run.
 */
import type { PaneFact } from '../core/decide.js';
import type { PaneRun } from '../store/runs.js';
import type { PaneInfo } from '../tmux/panes.js';
import { type EventsCursor, type PaneEvents, readPaneEvents } from './pane-events.js';
import { isLive, processStartTime } from './process.js';
import { launchingClients } from './process-tree.js';
import type { Runtime } from './runtime.js';
import { RUN_OPTION } from './steps/launch.js';

export interface Snapshot {
  at: number;
  events: PaneEvents;
  /** Whether tmux was listed in this snapshot. */
  listed: boolean;
  /** Panes by the run id they are tagged with; null when no tmux server runs. */
  panes: Map<number, PaneInfo> | null;
  list: PaneInfo[] | null;
  serverPid: number | null;
  /**
   * The open runs already in tmux (their pid recorded) before the listing was taken: only those can
   * be missing from it. A run launched while the listing was under way is simply not in it yet.
   */
  launchedBefore: ReadonlySet<number>;
  /** Runs whose pane is dead but not reaped by tmux yet (status unknown). */
  unreaped: number[];
  /**
   * The open runs without a pid that were being put into tmux when the listing was taken: their
   * starter was alive, or a tmux client of theirs was still running. Looked at before the listing,
   * so a run in neither and not in the listing never reached tmux and nothing will put it there.
   */
  launching: ReadonlySet<number>;
  /** The listed tmux server (`pid:start time`); null when none runs or it cannot be told. */
  server: string | null;
  /**
   * Whether it is another server than the one the daemon listed last (the store's SERVER_KEY): the
   * panes missing from it went with the server that died, not with a session killed in this one.
   */
  serverChanged: boolean;
}

/** The tmux server the daemon's last listing came from, in the store's meta table. */
export const SERVER_KEY = 'tmux-server';

export async function takeSnapshot(
  rt: Runtime,
  at: number,
  list: boolean,
  eventsFrom: EventsCursor | null = null,
): Promise<Snapshot> {
  const events = readPaneEvents(rt, eventsFrom);
  const snap: Snapshot = {
    at,
    events,
    listed: false,
    panes: new Map(),
    list: null,
    serverPid: null,
    launchedBefore: new Set(),
    unreaped: [],
    launching: new Set(),
    server: null,
    serverChanged: false,
  };
  if (!list) return snap;
  const open = rt.store.runs.openPanes();
  const launchedBefore = new Set(open.filter((r) => r.pid !== null).map((r) => r.id));
  const launching = new Set<number>();
  const pending = open.filter((r) => r.pid === null);
  for (const r of pending) if (r.starterPid !== null && isLive(r.starterPid)) launching.add(r.id);
  if (pending.some((r) => !launching.has(r.id)))
    for (const id of launchingClients(rt.paths.socket, RUN_OPTION)) launching.add(id);
  const panes = await rt.tmux.listPanes();
  snap.listed = true;
  snap.list = panes;
  snap.launchedBefore = launchedBefore;
  snap.launching = launching;
  snap.serverPid = panes?.[0]?.serverPid ?? null;
  if (panes === null) {
    snap.panes = null;
    return snap;
  }
  const start = snap.serverPid === null ? null : processStartTime(snap.serverPid);
  snap.server = start === null ? null : `${snap.serverPid}:${start}`;
  const seen = rt.store.meta.get(SERVER_KEY);
  snap.serverChanged = snap.server !== null && seen !== null && seen !== snap.server;
  for (const pane of panes) {
    if (pane.runId === null) continue;
    snap.panes!.set(pane.runId, pane);
    if (pane.dead && pane.deadStatus === null && pane.deadSignal === null) snap.unreaped.push(pane.runId);
  }
  return snap;
}

export interface LaunchFailure {
  message: string;
  at: number;
}

/** What the snapshot says about one open run (`none`: nothing new). */
export function paneFact(
  run: Pick<PaneRun, 'id' | 'pid' | 'starterPid'>,
  snap: Snapshot,
  launchFailures: ReadonlyMap<number, LaunchFailure>,
): PaneFact {
  const death = snap.events.deaths.get(run.id);
  if (death) return { kind: 'dead', exitCode: death.exitCode, signal: death.signal, at: death.at, pid: null };
  // A launch that reported an error may still have put the pane into tmux (the client died after
  // the server ran its command, the pid could not be read or recorded): tmux is asked first, and
  // only a listing without the pane tagged with this run makes it a failed launch.
  const failure = launchFailures.get(run.id);
  // A run whose starter is alive and has not recorded a pid yet is being put into tmux right now (a
  // killed starter not reaped yet is no longer doing anything).
  const launching = run.pid === null && run.starterPid !== null && isLive(run.starterPid);
  if (!snap.listed) return launching || failure ? { kind: 'launching' } : { kind: 'none' };
  const pane = snap.panes?.get(run.id);
  if (!pane && failure) return { kind: 'launch-failed', error: failure.message, at: failure.at };
  if (pane) {
    if (!pane.dead) return { kind: 'alive', pid: pane.pid };
    if (pane.deadStatus === null && pane.deadSignal === null) return { kind: 'awaiting-reap', pid: pane.pid };
    return { kind: 'dead', exitCode: pane.deadStatus, signal: pane.deadSignal, at: snap.at, pid: pane.pid };
  }
  if (launching || snap.launching.has(run.id)) return { kind: 'launching' };
  // Its starter died before recording a pid, no client of its is still at work, and no server has
  // the pane: with no server at all too (the starter died with the server it launched into).
  if (run.pid === null) return { kind: 'unlaunched' };
  if (!snap.launchedBefore.has(run.id)) return { kind: 'none' };
  const reason = snap.panes === null || snap.serverChanged ? 'server-lost' : 'pane-lost';
  return { kind: 'lost', reason, at: snap.at };
}
