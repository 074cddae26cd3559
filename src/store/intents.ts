import type { Intent, IntentRecord } from '../core/decide.js';
import type { Db } from './rows.js';

interface IntentRow {
  id: number;
  task_id: number;
  kind: string;
  data: string;
  at: number;
}

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
    return (
      this.db.prepare('SELECT * FROM intents WHERE task_id = ? ORDER BY id').all(taskId) as IntentRow[]
    ).map(toIntent);
  }

  /** Tasks with an intent waiting. */
  taskIds(): number[] {
    return (this.db.prepare('SELECT DISTINCT task_id AS id FROM intents').all() as { id: number }[]).map(
      (r) => r.id,
    );
  }

  has(id: number): boolean {
    return this.db.prepare('SELECT 1 FROM intents WHERE id = ?').get(id) !== undefined;
  }

  consume(ids: readonly number[]): void {
    const del = this.db.prepare('DELETE FROM intents WHERE id = ?');
    for (const id of ids) del.run(id);
  }
}

function toIntent(row: IntentRow): IntentRecord {
  return { id: row.id, taskId: row.task_id, at: row.at, intent: JSON.parse(row.data) as Intent };
}
