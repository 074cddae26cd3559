import * as z from 'zod';
import type { TaskPatch } from '../core/decide.js';
import type { Desired, TaskRecord, TaskSpec, TaskState } from '../core/task.js';
import { INITIAL_SUPERVISION } from '../core/task.js';
import { type Db, int, intOrNull, json, jsonObject, parseRow, textOrNull } from './rows.js';
import { desired, nextRun, supervision, taskSpec, taskState, tuiState } from './schemas.js';

const taskRow = z.object({
  id: int,
  name: z.string(),
  spec: json(taskSpec),
  desired,
  state: taskState,
  reason: textOrNull,
  restarts: int,
  next_start_at: intOrNull,
  created_at: int,
  updated_at: int,
  current_run_id: intOrNull,
  supervision: json(supervision),
  session_id: textOrNull,
  limit_resets_at: intOrNull,
  stop_requested_at: intOrNull,
  stop_timeout_ms: intOrNull,
  stop_as: taskState.nullable(),
  next_run: json(nextRun).nullable(),
  stop_stage: int,
  stalled_at: intOrNull,
  checkpoint_asked_at: intOrNull,
  tui: json(tuiState).nullable(),
});
const infoRow = z.object({ info: json(jsonObject) });
const versionRow = taskRow.pick({ id: true, updated_at: true });

const whose = (row: Record<string, unknown>) => `task ${String(row.name)} (id ${String(row.id)})`;

/** Agent facts shown by `ls`/`status` (last message, turns, cost), kept as one JSON column. */
export type TaskInfo = Record<string, unknown>;

export type { TaskPatch };

const COLUMN: Record<keyof TaskPatch, string> = {
  desired: 'desired',
  state: 'state',
  reason: 'reason',
  restarts: 'restarts',
  nextStartAt: 'next_start_at',
  currentRunId: 'current_run_id',
  supervision: 'supervision',
  sessionId: 'session_id',
  limitResetsAt: 'limit_resets_at',
  stopRequestedAt: 'stop_requested_at',
  stopTimeoutMs: 'stop_timeout_ms',
  stopAs: 'stop_as',
  nextRun: 'next_run',
  spec: 'spec',
  stopStage: 'stop_stage',
  stalledAt: 'stalled_at',
  checkpointAskedAt: 'checkpoint_asked_at',
  tui: 'tui',
};
const JSON_FIELDS = new Set<keyof TaskPatch>(['supervision', 'nextRun', 'spec', 'tui']);

export class TaskRepo {
  constructor(private readonly db: Db) {}

  /** A new task, as its creator wants it: what it runs, and that it should run. */
  insert(input: {
    name: string;
    spec: TaskSpec;
    desired: Desired;
    state: TaskState;
    now: number;
    sessionId?: string | null;
  }): TaskRecord {
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO tasks (name, spec, desired, state, created_at, updated_at, supervision, session_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          input.name,
          JSON.stringify(input.spec),
          input.desired,
          input.state,
          input.now,
          input.now,
          JSON.stringify(INITIAL_SUPERVISION),
          input.sessionId ?? null,
        ).lastInsertRowid,
    );
    return this.byId(id)!;
  }

  byName(name: string): TaskRecord | null {
    const row = this.db.prepare('SELECT * FROM tasks WHERE name = ?').get(name);
    return row ? toTask(row) : null;
  }

  byId(id: number): TaskRecord | null {
    const row = this.db.prepare('SELECT * FROM tasks WHERE id = ?').get(id);
    return row ? toTask(row) : null;
  }

  all(): TaskRecord[] {
    return this.db.prepare('SELECT * FROM tasks ORDER BY id').all().map(toTask);
  }

  /** Every task's id and last write: a loop compares them with what it last saw. */
  versions(): { id: number; updatedAt: number }[] {
    return this.db
      .prepare('SELECT id, name, updated_at FROM tasks')
      .all()
      .map((raw) => {
        const row = parseRow(versionRow, 'tasks', raw, whose);
        return { id: row.id, updatedAt: row.updated_at };
      });
  }

  nameTaken(name: string): boolean {
    return this.db.prepare('SELECT 1 FROM tasks WHERE name = ?').get(name) !== undefined;
  }

  /** Writes a decision's fields: only `applyDecision` (store/apply.ts) calls this. */
  update(id: number, patch: TaskPatch, now: number): void {
    const keys = Object.keys(patch) as (keyof TaskPatch)[];
    if (keys.length === 0) return;
    const sets = keys.map((k) => `${COLUMN[k]} = ?`).join(', ');
    const values = keys.map((k) => {
      const value = patch[k];
      return JSON_FIELDS.has(k) ? (value === null ? null : JSON.stringify(value)) : (value ?? null);
    });
    this.db.prepare(`UPDATE tasks SET ${sets}, updated_at = ? WHERE id = ?`).run(...values, now, id);
  }

  info(id: number): TaskInfo {
    const row = this.db.prepare('SELECT id, name, info FROM tasks WHERE id = ?').get(id);
    return row ? parseRow(infoRow, 'tasks', row, whose).info : {};
  }

  mergeInfo(id: number, info: TaskInfo): void {
    this.db.prepare('UPDATE tasks SET info = json_patch(info, ?) WHERE id = ?').run(JSON.stringify(info), id);
  }

  remove(id: number): void {
    this.db.prepare('DELETE FROM tasks WHERE id = ?').run(id);
  }
}

function toTask(raw: unknown): TaskRecord {
  const row = parseRow(taskRow, 'tasks', raw, whose);
  return {
    id: row.id,
    name: row.name,
    spec: row.spec,
    desired: row.desired,
    state: row.state,
    reason: row.reason,
    restarts: row.restarts,
    nextStartAt: row.next_start_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    currentRunId: row.current_run_id,
    supervision: { ...INITIAL_SUPERVISION, ...row.supervision },
    sessionId: row.session_id,
    limitResetsAt: row.limit_resets_at,
    stopRequestedAt: row.stop_requested_at,
    stopTimeoutMs: row.stop_timeout_ms,
    stopAs: row.stop_as,
    nextRun: row.next_run,
    stopStage: row.stop_stage,
    stalledAt: row.stalled_at,
    checkpointAskedAt: row.checkpoint_asked_at,
    tui: row.tui,
  };
}
