/**
 * The live feed: every tick (100 ms) while a page is open, one cheap query says whether anything in
 * the store changed; if so (and every second anyway, for the logs' last lines), the overview is
 * rebuilt once and only its changed rows go to every page. Pages cost one diff per change, not a
 * query each, and nothing at all while none is open.
 */
import type { JournalEvent } from '../store/events.js';
import type { ViewSource } from '../views/tasks.js';
import { journalEntry, LastLines, snapshot, storeSignature } from './overview.js';
import type { DaemonStatus, JournalEntry, ServerMessage, Snapshot, TaskRow } from './protocol.js';

/** At most this many journal entries are replayed to a page that reconnects (the newest). */
export const REPLAY_LIMIT = 500;

export interface LiveClient {
  send(message: ServerMessage): void;
}

export interface LiveOptions {
  src: ViewSource;
  daemon: () => DaemonStatus;
  tickMs?: number;
  fullEveryMs?: number;
}

export class LiveHub {
  private readonly clients = new Set<LiveClient>();
  private readonly lastLines = new LastLines();
  private current: Snapshot | null = null;
  private rows = new Map<string, string>();
  private missionsKey = '';
  private daemonKey = '';
  private signature = '';
  private builtAt = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly tickMs: number;
  private readonly fullEveryMs: number;

  constructor(private readonly options: LiveOptions) {
    this.tickMs = options.tickMs ?? 100;
    this.fullEveryMs = options.fullEveryMs ?? 1000;
  }

  /** The overview as of now (rebuilt if a tick has not just done it). */
  overview(): Snapshot {
    // Pages already connected get what this rebuild finds changed, before anyone is sent the result.
    if (this.current === null || this.options.src.now() - this.builtAt >= this.tickMs) {
      this.rebuild(this.clients.size > 0);
    }
    return this.current!;
  }

  /**
   * A page (re)connected: it gets the overview, then the journal entries it missed after `since`,
   * then every change as it happens.
   */
  join(client: LiveClient, since: number | null): void {
    const snap = this.overview();
    client.send({ type: 'snapshot', ...snap });
    if (since !== null && since < snap.journalId) {
      client.send({ type: 'journal', entries: this.entriesBetween(since, snap.journalId) });
    }
    this.clients.add(client);
    this.timer ??= setInterval(() => this.tick(), this.tickMs);
  }

  leave(client: LiveClient): void {
    this.clients.delete(client);
    if (this.clients.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = null;
    }
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.clients.clear();
  }

  /** One tick: rebuild and broadcast when the store changed or a second has passed. */
  tick(): void {
    try {
      const signature = storeSignature(this.options.src.store);
      const due = this.options.src.now() - this.builtAt >= this.fullEveryMs;
      if (signature === this.signature && !due) {
        this.broadcastDaemon();
        return;
      }
      this.rebuild(true);
    } catch {
      // A busy or briefly unreadable store (a migration, a full disk): the next tick tries again.
    }
  }

  private rebuild(broadcast: boolean): void {
    const src = this.options.src;
    const before = this.current;
    this.signature = storeSignature(src.store);
    const next = snapshot(src, this.lastLines, this.options.daemon());
    this.current = next;
    this.builtAt = src.now();
    const rows = new Map(next.tasks.map((r) => [r.name, JSON.stringify(r)]));
    const upsert: TaskRow[] = next.tasks.filter((r) => this.rows.get(r.name) !== rows.get(r.name));
    const remove = [...this.rows.keys()].filter((name) => !rows.has(name));
    this.rows = rows;
    const missionsKey = JSON.stringify(next.missions);
    const missionsChanged = missionsKey !== this.missionsKey;
    this.missionsKey = missionsKey;
    if (!broadcast || before === null) {
      this.daemonKey = JSON.stringify(next.daemon);
      return;
    }
    if (next.journalId > before.journalId) {
      this.broadcast({ type: 'journal', entries: this.entriesBetween(before.journalId, next.journalId) });
    }
    if (upsert.length > 0 || remove.length > 0) {
      this.broadcast({ type: 'tasks', journalId: next.journalId, upsert, remove, now: next.now });
    }
    if (missionsChanged) this.broadcast({ type: 'missions', missions: next.missions });
    this.broadcastDaemon(next.daemon);
  }

  private broadcastDaemon(daemon: DaemonStatus = this.options.daemon()): void {
    const key = JSON.stringify(daemon);
    if (key === this.daemonKey) return;
    this.daemonKey = key;
    if (this.current) this.current = { ...this.current, daemon };
    this.broadcast({ type: 'daemon', daemon });
  }

  private entriesBetween(after: number, upTo: number): JournalEntry[] {
    const rows = this.options.src.store.db
      .prepare('SELECT id FROM events WHERE id > ? AND id <= ? ORDER BY id DESC LIMIT ?')
      .all(after, upTo, REPLAY_LIMIT) as { id: number }[];
    if (rows.length === 0) return [];
    const from = rows.at(-1)!.id - 1;
    return this.options.src.store.events
      .all(from, REPLAY_LIMIT)
      .filter((e: JournalEvent) => e.id <= upTo)
      .map(journalEntry);
  }

  private broadcast(message: ServerMessage): void {
    for (const client of this.clients) client.send(message);
  }
}
