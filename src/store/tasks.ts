import type { TaskPatch } from '../core/decide.js';
import type { Desired, NextRun, Supervision, TaskRecord, TaskSpec, TaskState } from '../core/task.js';
import { INITIAL_SUPERVISION } from '../core/task.js';
import type { Db } from './db.js';

interface TaskRow {
  id: number;
  name: string;
  spec: string;
  desired: Desired;
  state: TaskState;
  reason: string | null;
  restarts: number;
  next_start_at: number | null;
  created_at: number;
  updated_at: number;
  current_run_id: number | null;
  supervision: string;
  session_id: string | null;
  limit_resets_at: number | null;
  stop_requested_at: number | null;
  stop_timeout_ms: number | null;
  stop_as: TaskState | null;
  next_run: string | null;
  info: string;
  stop_stage: number;
  stalled_at: number | null;
  checkpoint_asked_at: number | null;
}

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
};
const JSON_FIELDS = new Set<keyof TaskPatch>(['supervision', 'nextRun', 'spec']);

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
    const row = this.db.prepare('SELECT * FROM tasks WHERE name = ?').get(name) as TaskRow | undefined;
    return row ? toTask(row) : null;
  }

  byId(id: number): TaskRecord | null {
    const row = this.db.prepare('SELECT * FROM tasks WHERE id = ?').get(id) as TaskRow | undefined;
    return row ? toTask(row) : null;
  }

  all(): TaskRecord[] {
    return (this.db.prepare('SELECT * FROM tasks ORDER BY id').all() as TaskRow[]).map(toTask);
  }

  /** Every task's id and last write: a loop compares them with what it last saw. */
  versions(): { id: number; updatedAt: number }[] {
    return this.db.prepare('SELECT id, updated_at AS updatedAt FROM tasks').all() as {
      id: number;
      updatedAt: number;
    }[];
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
    const row = this.db.prepare('SELECT info FROM tasks WHERE id = ?').get(id) as
      | { info: string }
      | undefined;
    return row ? (JSON.parse(row.info) as TaskInfo) : {};
  }

  mergeInfo(id: number, info: TaskInfo): void {
    this.db.prepare('UPDATE tasks SET info = json_patch(info, ?) WHERE id = ?').run(JSON.stringify(info), id);
  }

  remove(id: number): void {
    this.db.prepare('DELETE FROM tasks WHERE id = ?').run(id);
  }
}

function toTask(row: TaskRow): TaskRecord {
  return {
    id: row.id,
    name: row.name,
    spec: JSON.parse(row.spec) as TaskSpec,
    desired: row.desired,
    state: row.state,
    reason: row.reason,
    restarts: row.restarts,
    nextStartAt: row.next_start_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    currentRunId: row.current_run_id,
    supervision: { ...INITIAL_SUPERVISION, ...(JSON.parse(row.supervision) as Partial<Supervision>) },
    sessionId: row.session_id,
    limitResetsAt: row.limit_resets_at,
    stopRequestedAt: row.stop_requested_at,
    stopTimeoutMs: row.stop_timeout_ms,
    stopAs: row.stop_as,
    nextRun: row.next_run === null ? null : (JSON.parse(row.next_run) as NextRun),
    stopStage: row.stop_stage,
    stalledAt: row.stalled_at,
    checkpointAskedAt: row.checkpoint_asked_at,
  };
}
