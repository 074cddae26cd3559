/**
 * The page's one connection to the dashboard: a WebSocket that reconnects with backoff and, on
 * every (re)connect, says the last journal id it saw, so the server sends what it missed.
 */
import { useEffect, useState } from 'preact/hooks';
import type {
  DaemonStatus,
  JournalEntry,
  MissionRow,
  ScreenFrame,
  ServerMessage,
  TaskRow,
} from '../protocol.js';

/** The journal entries a page keeps: the newest, so a page open for days stays small. */
const KEEP_ENTRIES = 500;
const BACKOFF_FIRST_MS = 250;
const BACKOFF_MAX_MS = 5000;

export type ConnState = 'connecting' | 'open' | 'closed';
export type ScreenEvent = ScreenFrame | { none: string };

export class Live {
  tasks = new Map<string, TaskRow>();
  missions: MissionRow[] = [];
  daemon: DaemonStatus | null = null;
  entries: JournalEntry[] = [];
  conn: ConnState = 'connecting';
  /** Whether a snapshot has arrived since the page loaded. */
  loaded = false;
  /** Server clock minus ours, so countdowns follow the server's. */
  skewMs = 0;
  private journalId: number | null = null;
  private version = 0;
  private readonly listeners = new Set<() => void>();
  private readonly screenListeners = new Set<(e: ScreenEvent) => void>();
  private socket: WebSocket | null = null;
  private backoffMs = BACKOFF_FIRST_MS;
  private notifyScheduled = false;

  constructor(private readonly screenTask: string | null) {}

  connect(): void {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/api/live`);
    this.socket = ws;
    ws.onopen = () => {
      this.backoffMs = BACKOFF_FIRST_MS;
      ws.send(JSON.stringify({ type: 'hello', since: this.journalId, screen: this.screenTask }));
      this.conn = 'open';
      this.changed();
    };
    ws.onmessage = (e) => this.apply(JSON.parse(String(e.data)) as ServerMessage);
    ws.onclose = () => {
      if (this.socket !== ws) return;
      this.conn = 'closed';
      this.changed();
      setTimeout(() => this.connect(), this.backoffMs);
      this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
    };
  }

  now(): number {
    return Date.now() + this.skewMs;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onScreen(listener: (e: ScreenEvent) => void): () => void {
    this.screenListeners.add(listener);
    return () => this.screenListeners.delete(listener);
  }

  get stamp(): number {
    return this.version;
  }

  private apply(m: ServerMessage): void {
    switch (m.type) {
      case 'snapshot':
        this.tasks = new Map(m.tasks.map((t) => [t.name, t]));
        this.missions = m.missions;
        this.daemon = m.daemon;
        this.journalId = m.journalId;
        this.skewMs = Date.parse(m.now) - Date.now();
        this.loaded = true;
        break;
      case 'tasks':
        for (const row of m.upsert) this.tasks.set(row.name, row);
        for (const name of m.remove) this.tasks.delete(name);
        this.journalId = Math.max(this.journalId ?? 0, m.journalId);
        this.skewMs = Date.parse(m.now) - Date.now();
        break;
      case 'missions':
        this.missions = m.missions;
        break;
      case 'daemon':
        this.daemon = m.daemon;
        break;
      case 'journal': {
        const newest = this.entries.at(-1)?.id ?? 0;
        const fresh = m.entries.filter((e) => e.id > newest);
        this.entries = [...this.entries, ...fresh].slice(-KEEP_ENTRIES);
        const last = m.entries.at(-1);
        if (last) this.journalId = Math.max(this.journalId ?? 0, last.id);
        break;
      }
      case 'screen':
        for (const l of this.screenListeners) l(m);
        return;
      case 'screen-none':
        for (const l of this.screenListeners) l({ none: m.why });
        return;
    }
    this.changed();
  }

  /** Listeners hear of a burst of messages once, at the next frame. */
  private changed(): void {
    this.version += 1;
    if (this.notifyScheduled) return;
    this.notifyScheduled = true;
    requestAnimationFrame(() => {
      this.notifyScheduled = false;
      for (const l of this.listeners) l();
    });
  }
}

/** Re-renders the component whenever the connection's state changed. */
export function useLive(live: Live): number {
  const [stamp, setStamp] = useState(live.stamp);
  useEffect(() => live.subscribe(() => setStamp(live.stamp)), [live]);
  return stamp;
}

/** One clock for every countdown on the page: one timer, however many rows. */
const tickers = new Set<() => void>();
let tickTimer: number | null = null;

export function useSecond(): void {
  const [, setN] = useState(0);
  useEffect(() => {
    const bump = () => setN((n) => n + 1);
    tickers.add(bump);
    tickTimer ??= window.setInterval(() => {
      for (const t of tickers) t();
    }, 1000);
    return () => {
      tickers.delete(bump);
      if (tickers.size === 0 && tickTimer !== null) {
        clearInterval(tickTimer);
        tickTimer = null;
      }
    };
  }, []);
}
