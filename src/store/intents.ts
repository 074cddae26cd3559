import * as z from 'zod';
import type { Intent, IntentRecord } from '../core/decide.js';
import { type Db, int, json, parseRow } from './rows.js';
import { intent as intentData, intentKind } from './schemas.js';

const intentRow = z.object({ id: int, task_id: int, kind: intentKind, data: json(intentData), at: int });
const taskIdRow = intentRow.pick({ task_id: true });

/** What the user asked for and the supervisor has not carried out yet; a row goes once it is. */
export class IntentRepo {
  constructor(private readonly db: Db) {}

  /**
   * Records an intent. The mission runner's `run` replaces one still waiting for the same task, so
   * a runner that hands over twice (a daemon killed in between) asks for one run, not two.
   */
  add(taskId: number, intent: Intent, at: number): number {
    if (intent.kind === 'run') {
      this.db.prepare("DELETE FROM intents WHERE task_id = ? AND kind = 'run'").run(taskId);
    }
    return Number(
      this.db
        .prepare('INSERT INTO intents (task_id, kind, data, at) VALUES (?, ?, ?, ?)')
        .run(taskId, intent.kind, JSON.stringify(intent), at).lastInsertRowid,
    );
  }

  forTask(taskId: number): IntentRecord[] {
    return this.db
      .prepare('SELECT * FROM intents WHERE task_id = ? ORDER BY id')
      .all(taskId)
      .map((raw) => {
        const row = parseRow(intentRow, 'intents', raw, this.whose);
        return { id: row.id, taskId: row.task_id, at: row.at, intent: row.data };
      });
  }

  /** Tasks with an intent waiting. */
  taskIds(): number[] {
    return this.db
      .prepare('SELECT DISTINCT task_id FROM intents')
      .all()
      .map((raw) => parseRow(taskIdRow, 'intents', raw, this.whose).task_id);
  }

  has(id: number): boolean {
    return this.db.prepare('SELECT 1 FROM intents WHERE id = ?').get(id) !== undefined;
  }

  /** The intent and its task, by name when the task row can say it. */
  private readonly whose = (row: Record<string, unknown>): string => {
    const task = this.db.prepare('SELECT name FROM tasks WHERE id = ?').get(row.task_id) as
      | { name: unknown }
      | undefined;
    const which = row.id === undefined ? 'an intent' : `intent ${String(row.id)}`;
    return `${which} of task ${String(task?.name ?? '?')} (id ${String(row.task_id)})`;
  };

  consume(ids: readonly number[]): void {
    const del = this.db.prepare('DELETE FROM intents WHERE id = ?');
    for (const id of ids) del.run(id);
  }
}
