/**
 * The daemon's notifier: sends what the outbox holds, beside the supervision loop and never awaited
 * by it. At most `concurrency` notifications are under way at once, each bounded in time (a
 * command 30 s, a webhook 10 s per attempt), so a slow or hanging sink costs a worker, never a
 * pass. A row is claimed (`sending`, attempts + 1, this process as owner) in a transaction before
 * anything is sent, so a killed daemon leaves at most the rows it was sending, which the next
 * notifier takes over once their owner is gone, with the same key.
 */

import { type Config, EMPTY_CONFIG } from '../config/schema.js';
import { sinkLabel } from '../core/notify.js';
import type { Store } from '../store/db.js';
import type { Delivery, OutboxRecord, Owner } from '../store/outbox.js';
import { sinksOf, takes } from './resolve.js';
import { nextAttemptAt } from './retry.js';
import { type SendOptions, type SinkResult, sendToSink } from './sinks.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface NotifierOptions {
  env: Env;
  now: () => number;
  /** This process, as it claims rows. */
  me: Owner;
  /** Whether a row's owner still runs (pid and start time: a reused pid is not the owner). */
  running: (owner: Owner) => boolean;
  /** The config's global sinks, read each time a notification is sent (a bad file: logged, none). */
  config: () => Config | Promise<Config>;
  log?: (line: string) => void;
  concurrency?: number;
  send?: (
    sink: Parameters<typeof sendToSink>[0],
    body: OutboxRecord['body'],
    options: SendOptions,
  ) => Promise<SinkResult>;
  sendOptions?: Partial<SendOptions>;
}

export const NOTIFY_CONCURRENCY = 4;

export class Notifier {
  private readonly inFlight = new Map<number, Promise<void>>();
  private stopping = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly log: (line: string) => void;
  private readonly concurrency: number;

  constructor(
    private readonly store: Store,
    private readonly options: NotifierOptions,
  ) {
    this.log = options.log ?? (() => undefined);
    this.concurrency = options.concurrency ?? NOTIFY_CONCURRENCY;
  }

  /** Starts sending what is due, up to the cap; returns at once. */
  poke(): void {
    if (this.stopping) return;
    try {
      this.fill();
    } catch (error) {
      // A busy store: the next poke (every pass, and the timer) tries again.
      this.log(`notifications: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.arm();
  }

  get busy(): number {
    return this.inFlight.size;
  }

  /** Resolves once nothing is being sent (tests; `stop` for the daemon). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values());
  }

  /** Lets the sends under way finish (bounded), starts no new one. */
  async stop(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.race([
      Promise.all(this.inFlight.values()),
      new Promise((r) => setTimeout(r, timeoutMs).unref()),
    ]);
  }

  private fill(): void {
    if (this.inFlight.size >= this.concurrency) return;
    const now = this.options.now();
    for (const row of this.store.outbox.open(now, 50)) {
      if (this.inFlight.size >= this.concurrency) return;
      if (this.inFlight.has(row.id)) continue;
      if (row.state === 'sending' && !this.orphaned(row)) continue;
      if (!this.store.tx(() => this.store.outbox.claim(row.id, row, this.options.me, now))) continue;
      const work = this.send(row)
        .catch((error) =>
          this.log(`notification ${row.key}: ${error instanceof Error ? error.message : String(error)}`),
        )
        .finally(() => {
          this.inFlight.delete(row.id);
          this.poke();
        });
      this.inFlight.set(row.id, work);
    }
  }

  /**
   * A row being sent by no one: its owner is gone (a daemon killed mid-send), or it is this
   * process's and no send of it is under way (the send's last write failed, e.g. the store busy
   * or full): either way it is taken again, with the same key.
   */
  private orphaned(row: OutboxRecord): boolean {
    if (row.ownerPid === null || row.ownerStart === null) return true;
    const owner = { pid: row.ownerPid, start: row.ownerStart };
    if (owner.pid === this.options.me.pid && owner.start === this.options.me.start)
      return !this.inFlight.has(row.id);
    return !this.options.running(owner);
  }

  /** Wakes at the next row's due time (unref'd: it never keeps a process alive). */
  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.stopping) return;
    let at: number | null;
    try {
      at = this.store.outbox.nextDueAt();
    } catch {
      at = this.options.now() + 1000;
    }
    if (at === null) return;
    const ms = Math.min(Math.max(0, at - this.options.now()), 60_000);
    this.timer = setTimeout(() => this.poke(), ms);
    this.timer.unref();
  }

  private async send(row: OutboxRecord): Promise<void> {
    const attempts = row.attempts + 1;
    let global: Config = EMPTY_CONFIG;
    if (row.sinks === null) {
      try {
        global = await this.options.config();
      } catch (error) {
        // The config is read again at the next attempt: a fixed file still delivers it.
        return this.finish(
          row,
          attempts,
          {},
          `config: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    const sinks = sinksOf(row.sinks, global.notify);
    const deliveries: Record<string, Delivery> = { ...row.deliveries };
    const send = this.options.send ?? sendToSink;
    const sendOptions: SendOptions = { env: this.options.env, ...this.options.sendOptions };
    await Promise.all(
      sinks.map(async (sink) => {
        const label = sinkLabel(sink);
        const before = deliveries[label];
        if (before?.state === 'sent' || before?.state === 'failed') return;
        const at = this.options.now();
        if (!takes(sink, row.event)) {
          deliveries[label] = { state: 'skipped', attempts: 0, at, detail: 'not in its events' };
          return;
        }
        const result = await send(sink, row.body, sendOptions).catch(
          (error: unknown): SinkResult => ({
            ok: false,
            detail: error instanceof Error ? error.message : String(error),
          }),
        );
        const tries = (before?.attempts ?? 0) + 1;
        deliveries[label] = {
          state: result.ok ? 'sent' : result.permanent ? 'failed' : 'retry',
          attempts: tries,
          at: this.options.now(),
          detail: result.detail,
        };
        if (!result.ok) this.log(`notification ${row.key} to ${label}: ${result.detail}`);
      }),
    );
    this.finish(row, attempts, deliveries, null);
  }

  private finish(
    row: OutboxRecord,
    attempts: number,
    deliveries: Record<string, Delivery>,
    error: string | null,
  ): void {
    const now = this.options.now();
    const retrying = error !== null || Object.values(deliveries).some((d) => d.state === 'retry');
    const failed = Object.values(deliveries).filter((d) => d.state === 'failed' || d.state === 'retry');
    const next = retrying ? nextAttemptAt(attempts, row.createdAt, now) : null;
    const state =
      retrying && next !== null ? 'pending' : failed.length > 0 || error !== null ? 'failed' : 'sent';
    const why = error ?? (failed.length > 0 ? failed.map((d) => d.detail).join('; ') : null);
    this.store.tx(() =>
      this.store.outbox.settle(row.id, this.options.me, {
        state,
        nextAttemptAt: next ?? now,
        error: why,
        deliveries: state === 'failed' ? markFailed(deliveries) : deliveries,
        now,
      }),
    );
  }
}

/** Out of retries: what would have been tried again has failed. */
function markFailed(deliveries: Record<string, Delivery>): Record<string, Delivery> {
  return Object.fromEntries(
    Object.entries(deliveries).map(([k, d]) => [
      k,
      d.state === 'retry' ? { ...d, state: 'failed' as const } : d,
    ]),
  );
}
