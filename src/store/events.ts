import * as z from 'zod';
import type { JournalDraft } from '../core/events.js';
import { type Db, int, intOrNull, json, jsonObject, parseRow, textOrNull } from './rows.js';

export interface JournalEvent {
  id: number;
  taskId: number | null;
  taskName: string | null;
  runId: number | null;
  at: number;
  type: string;
  data: Record<string, unknown>;
}

const eventRow = z.object({
  id: int,
  task_id: intOrNull,
  task_name: textOrNull,
  run_id: intOrNull,
  at: int,
  type: z.string(),
  data: json(jsonObject),
});

/** Where an entry belongs: its task and run, and when. */
export interface EventPlace {
  taskId?: number | null;
  taskName?: string | null;
  runId?: number | null;
  at: number;
}

/**
 * The append-only journal. Callers journal inside the transaction that makes the change it records.
 * `record` is the only way in, and it takes only an entry of core/events.ts's union (built with
 * `event(type, data)`): a kind the union lacks, or data of the wrong shape, does not compile.
 */
export class EventJournal {
  constructor(private readonly db: Db) {}

  record(place: EventPlace, entry: JournalDraft): number {
    return Number(
      this.db
        .prepare('INSERT INTO events (task_id, task_name, run_id, at, type, data) VALUES (?, ?, ?, ?, ?, ?)')
        .run(
          place.taskId ?? null,
          place.taskName ?? null,
          place.runId ?? null,
          place.at,
          entry.type,
          JSON.stringify(entry.data),
        ).lastInsertRowid,
    );
  }

  forTask(taskId: number, afterId = 0, limit = 10_000): JournalEvent[] {
    const rows = this.db
      .prepare('SELECT * FROM events WHERE task_id = ? AND id > ? ORDER BY id LIMIT ?')
      .all(taskId, afterId, limit);
    return rows.map(toEvent);
  }

  forRun(runId: number): JournalEvent[] {
    const rows = this.db.prepare('SELECT * FROM events WHERE run_id = ? ORDER BY id').all(runId);
    return rows.map(toEvent);
  }

  /** The run's latest entry of one of these kinds, or null (found through its task's index). */
  lastOf(taskId: number, runId: number, types: readonly string[]): JournalEvent | null {
    const kinds = types.map(() => '?').join(', ');
    const rows = this.db
      .prepare(
        `SELECT * FROM events WHERE task_id = ? AND run_id = ? AND type IN (${kinds}) ORDER BY id DESC LIMIT 1`,
      )
      .all(taskId, runId, ...types);
    return rows.length === 0 ? null : toEvent(rows[0]);
  }

  /** The latest entry of these kinds journaled under `taskName` (a mission's `mission:<name>`), or null. */
  lastNamed(taskId: number | null, taskName: string, types: readonly string[]): JournalEvent | null {
    const kinds = types.map(() => '?').join(', ');
    const rows = this.db
      .prepare(
        `SELECT * FROM events WHERE task_id IS ? AND task_name = ? AND type IN (${kinds}) ORDER BY id DESC LIMIT 1`,
      )
      .all(taskId, taskName, ...types);
    return rows.length === 0 ? null : toEvent(rows[0]);
  }

  all(afterId = 0, limit = 10_000): JournalEvent[] {
    const rows = this.db.prepare('SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?').all(afterId, limit);
    return rows.map(toEvent);
  }

  /** The newest entry of a kind, of any task (walks back from the newest: cheap when one is recent). */
  newestOfType(type: string): JournalEvent | null {
    const row = this.db.prepare('SELECT * FROM events WHERE type = ? ORDER BY id DESC LIMIT 1').get(type);
    return row === undefined ? null : toEvent(row);
  }

  count(taskId: number, type: string): number {
    const row = this.db
      .prepare('SELECT count(*) AS n FROM events WHERE task_id = ? AND type = ?')
      .get(taskId, type) as {
      n: number;
    };
    return row.n;
  }
}

function toEvent(raw: unknown): JournalEvent {
  const row = parseRow(eventRow, 'events', raw, (r) =>
    r.task_name === null
      ? `event ${String(r.id)} (no task)`
      : `event ${String(r.id)} of task ${String(r.task_name)}`,
  );
  return {
    id: row.id,
    taskId: row.task_id,
    taskName: row.task_name,
    runId: row.run_id,
    at: row.at,
    type: row.type,
    data: row.data,
  };
}
