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
    // The entries it missed first: a page cut off between the two messages then asks again from
    // its old id, instead of from the snapshot's, past entries it never got.
    if (since !== null && since < snap.journalId) {
      client.send({ type: 'journal', entries: this.entriesBetween(since, snap.journalId, REPLAY_LIMIT) });
    }
    client.send({ type: 'snapshot', ...snap });
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
    // Everything is read before anything is kept: a read that fails leaves the last state as it
    // was, so the next tick finds the same change again instead of losing it.
    const signature = storeSignature(src.store);
    const next = snapshot(src, this.lastLines, this.options.daemon());
    const entries =
      broadcast && before !== null && next.journalId > before.journalId
        ? this.entriesBetween(before.journalId, next.journalId, Number.POSITIVE_INFINITY)
        : [];
    const rows = new Map(next.tasks.map((r) => [r.name, JSON.stringify(r)]));
    const upsert: TaskRow[] = next.tasks.filter((r) => this.rows.get(r.name) !== rows.get(r.name));
    const remove = [...this.rows.keys()].filter((name) => !rows.has(name));
    const missionsKey = JSON.stringify(next.missions);
    const missionsChanged = missionsKey !== this.missionsKey;
    this.signature = signature;
    this.current = next;
    this.builtAt = src.now();
    this.rows = rows;
    this.missionsKey = missionsKey;
    if (!broadcast || before === null) {
      this.daemonKey = JSON.stringify(next.daemon);
      return;
    }
    for (let i = 0; i < entries.length; i += REPLAY_LIMIT) {
      this.broadcast({ type: 'journal', entries: entries.slice(i, i + REPLAY_LIMIT) });
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

  /** The entries after `after` up to `upTo`, the newest `limit` of them. */
  private entriesBetween(after: number, upTo: number, limit: number): JournalEntry[] {
    let from = after;
    if (Number.isFinite(limit)) {
      const rows = this.options.src.store.db
        .prepare('SELECT id FROM events WHERE id > ? AND id <= ? ORDER BY id DESC LIMIT ?')
        .all(after, upTo, limit) as { id: number }[];
      if (rows.length === 0) return [];
      from = rows.at(-1)!.id - 1;
    }
    const out: JournalEntry[] = [];
    for (;;) {
      const page = this.options.src.store.events
        .all(from, REPLAY_LIMIT)
        .filter((e: JournalEvent) => e.id <= upTo);
      out.push(...page.map(journalEntry));
      if (page.length < REPLAY_LIMIT) return out;
      from = page.at(-1)!.id;
    }
  }

  private broadcast(message: ServerMessage): void {
    for (const client of this.clients) client.send(message);
  }
}
