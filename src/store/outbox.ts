/**
 * The notification outbox: a row per notification, written in the transaction of the change that
 * causes it (UNIQUE key: a decision made again enqueues nothing), then moved along by the daemon's
 * notifier: `pending` → `sending` (claimed by one live process, attempts counted) → `sent`, or back
 * to `pending` with its next attempt's time, or `failed` once it may not be tried again.
 */
import * as z from 'zod';
import type { NotificationBody, NotificationDraft, RecentNotification } from '../core/notifications.js';
import { NOTIFY_EVENTS, type NotifyEvent, type SinkSpec } from '../core/notify.js';
import { type Db, enumOf, int, intOrNull, json, jsonObject, parseRow, textOrNull } from './rows.js';
import { sinkSpec } from './schemas.js';

export const OUTBOX_STATES = ['pending', 'sending', 'sent', 'failed'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

/** What the latest attempt to one sink did. */
export interface Delivery {
  state: 'sent' | 'failed' | 'retry' | 'skipped';
  attempts: number;
  at: number;
  detail: string;
}

export interface OutboxRecord {
  id: number;
  key: string;
  event: NotifyEvent;
  taskId: number | null;
  taskName: string;
  runId: number | null;
  /** The task's own sinks at enqueue; null = the config's global sinks, read when sending. */
  sinks: SinkSpec[] | null;
  body: NotificationBody;
  createdAt: number;
  state: OutboxState;
  attempts: number;
  nextAttemptAt: number;
  sendingAt: number | null;
  ownerPid: number | null;
  ownerStart: string | null;
  sentAt: number | null;
  error: string | null;
  /** By sink label. */
  deliveries: Record<string, Delivery>;
}

const delivery = z.looseObject({
  state: z.enum(['sent', 'failed', 'retry', 'skipped']),
  attempts: int,
  at: z.number(),
  detail: z.string(),
});

const outboxRow = z.object({
  id: int,
  key: z.string(),
  event: z.enum(NOTIFY_EVENTS),
  task_id: intOrNull,
  task_name: z.string(),
  run_id: intOrNull,
  sinks: json(z.array(sinkSpec)).nullable(),
  body: json(jsonObject),
  created_at: int,
  state: enumOf<OutboxState>()(OUTBOX_STATES),
  attempts: int,
  next_attempt_at: int,
  sending_at: intOrNull,
  owner_pid: intOrNull,
  owner_start: textOrNull,
  sent_at: intOrNull,
  error: textOrNull,
  deliveries: json(z.record(z.string(), delivery)),
});

export interface Owner {
  pid: number;
  start: string;
}

export class OutboxRepo {
  constructor(private readonly db: Db) {}

  /** Enqueues a notification unless one with its key exists; true if this call added it. */
  enqueue(n: NotificationDraft, taskName: string, sinks: SinkSpec[] | null, now: number): boolean {
    const result = this.db
      .prepare(
        `INSERT INTO outbox (key, event, task_id, task_name, run_id, sinks, body, created_at, state, next_attempt_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT (key) DO NOTHING`,
      )
      .run(
        n.key,
        n.event,
        n.taskId,
        taskName,
        n.runId,
        sinks === null ? null : JSON.stringify(sinks),
        JSON.stringify(n.body),
        now,
        now,
      );
    return result.changes > 0;
  }

  byId(id: number): OutboxRecord | null {
    const raw = this.db.prepare('SELECT * FROM outbox WHERE id = ?').get(id);
    return raw === undefined ? null : toRecord(raw);
  }

  /** Pending rows due by `now` and every row being sent (its sender may be dead), oldest first. */
  open(now: number, limit = 100): OutboxRecord[] {
    return this.db
      .prepare(
        `SELECT * FROM outbox WHERE (state = 'pending' AND next_attempt_at <= ?) OR state = 'sending'
         ORDER BY id LIMIT ?`,
      )
      .all(now, limit)
      .map(toRecord);
  }

  /** When the next pending row is due (null: none is). */
  nextDueAt(): number | null {
    const row = this.db
      .prepare("SELECT min(next_attempt_at) AS at FROM outbox WHERE state = 'pending'")
      .get() as { at: number | null };
    return row.at;
  }

  /** Makes `owner` the row's sender for one more attempt, if it is still as the caller saw it. */
  claim(id: number, seen: Pick<OutboxRecord, 'state' | 'attempts'>, owner: Owner, now: number): boolean {
    return (
      this.db
        .prepare(
          `UPDATE outbox SET state = 'sending', attempts = attempts + 1, sending_at = ?, owner_pid = ?, owner_start = ?
           WHERE id = ? AND state = ? AND attempts = ?`,
        )
        .run(now, owner.pid, owner.start, id, seen.state, seen.attempts).changes > 0
    );
  }

  /** What an attempt ended in, written only by the row's sender. */
  settle(
    id: number,
    owner: Owner,
    result: {
      state: 'pending' | 'sent' | 'failed';
      nextAttemptAt: number;
      error: string | null;
      deliveries: Record<string, Delivery>;
      now: number;
    },
  ): boolean {
    return (
      this.db
        .prepare(
          `UPDATE outbox SET state = ?, next_attempt_at = ?, error = ?, deliveries = ?, sent_at = ?,
             sending_at = NULL, owner_pid = NULL, owner_start = NULL
           WHERE id = ? AND state = 'sending' AND owner_pid = ? AND owner_start = ?`,
        )
        .run(
          result.state,
          result.nextAttemptAt,
          result.error,
          JSON.stringify(result.deliveries),
          result.state === 'sent' ? result.now : null,
          id,
          owner.pid,
          owner.start,
        ).changes > 0
    );
  }

  /** The task's notifications enqueued since `since` (what core/notifications.ts compares a flap with). */
  recent(taskId: number, since: number): RecentNotification[] {
    return this.db
      .prepare('SELECT * FROM outbox WHERE task_id = ? AND created_at >= ? ORDER BY id')
      .all(taskId, since)
      .map(toRecord)
      .map((r) => ({
        key: r.key,
        event: r.event,
        runId: r.runId,
        createdAt: r.createdAt,
        data: r.body.data,
      }));
  }

  /**
   * Forgets notifications done (sent or failed for good) before `before`, so the outbox stays
   * bounded; pending and sending rows are kept whatever their age. Returns how many went.
   */
  prune(before: number): number {
    return this.db
      .prepare("DELETE FROM outbox WHERE state IN ('sent', 'failed') AND created_at < ?")
      .run(before).changes;
  }

  /** Newest last; a task's only, when given. */
  list(options: { taskId?: number; limit?: number } = {}): OutboxRecord[] {
    const limit = options.limit ?? 1000;
    const rows =
      options.taskId === undefined
        ? this.db
            .prepare('SELECT * FROM (SELECT * FROM outbox ORDER BY id DESC LIMIT ?) ORDER BY id')
            .all(limit)
        : this.db
            .prepare(
              'SELECT * FROM (SELECT * FROM outbox WHERE task_id = ? ORDER BY id DESC LIMIT ?) ORDER BY id',
            )
            .all(options.taskId, limit);
    return rows.map(toRecord);
  }
}

function toRecord(raw: unknown): OutboxRecord {
  const r = parseRow(outboxRow, 'outbox', raw, (row) => `notification ${String(row.key)}`);
  return {
    id: r.id,
    key: r.key,
    event: r.event,
    taskId: r.task_id,
    taskName: r.task_name,
    runId: r.run_id,
    sinks: r.sinks,
    body: r.body as unknown as NotificationBody,
    createdAt: r.created_at,
    state: r.state,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    sendingAt: r.sending_at,
    ownerPid: r.owner_pid,
    ownerStart: r.owner_start,
    sentAt: r.sent_at,
    error: r.error,
    deliveries: r.deliveries,
  };
}
