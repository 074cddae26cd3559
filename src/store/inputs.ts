import * as z from 'zod';
import {
  DEFER_REASONS,
  INPUT_MODES,
  INPUT_SOURCES,
  INPUT_STATES,
  type InputMode,
  type InputRecord,
  type InputSource,
  type InputState,
} from '../core/input.js';
import { type Db, flag, int, intOrNull, parseRow, textOrNull } from './rows.js';

const inputRow = z.object({
  id: int,
  task_id: int,
  text: z.string(),
  source: z.enum(INPUT_SOURCES),
  mode: z.enum(INPUT_MODES),
  now: flag,
  state: z.enum(INPUT_STATES),
  deferred: z.enum(DEFER_REASONS).nullable(),
  created_at: int,
  updated_at: int,
  run_id: intOrNull,
  signals_offset: intOrNull,
  buffer: textOrNull,
  sending_at: intOrNull,
  sent_at: intOrNull,
  enters: int,
  submitted_at: intOrNull,
  transcript: textOrNull,
  transcript_offset: intOrNull,
  requeues: int,
  confirmed_at: intOrNull,
  reason: textOrNull,
  owner_pid: intOrNull,
  owner_start: textOrNull,
});

/** The fields a deliverer moves along (everything but what the input is). */
export type InputPatch = Partial<
  Pick<
    InputRecord,
    | 'state'
    | 'deferred'
    | 'runId'
    | 'signalsOffset'
    | 'buffer'
    | 'sendingAt'
    | 'sentAt'
    | 'enters'
    | 'submittedAt'
    | 'transcript'
    | 'transcriptOffset'
    | 'requeues'
    | 'confirmedAt'
    | 'reason'
    | 'ownerPid'
    | 'ownerStart'
  >
>;

const COLUMN: Record<keyof InputPatch, string> = {
  state: 'state',
  deferred: 'deferred',
  runId: 'run_id',
  signalsOffset: 'signals_offset',
  buffer: 'buffer',
  sendingAt: 'sending_at',
  sentAt: 'sent_at',
  enters: 'enters',
  submittedAt: 'submitted_at',
  transcript: 'transcript',
  transcriptOffset: 'transcript_offset',
  requeues: 'requeues',
  confirmedAt: 'confirmed_at',
  reason: 'reason',
  ownerPid: 'owner_pid',
  ownerStart: 'owner_start',
};

// The partial index inputs_open's own condition, word for word, so SQLite uses it.
const OPEN = "state IN ('queued', 'sending', 'sent', 'submitted')";

/** Inputs to agents, one row each, from `queued` to `confirmed` or `failed` (core/input.ts). */
export class InputRepo {
  constructor(private readonly db: Db) {}

  add(input: {
    taskId: number;
    text: string;
    source: InputSource;
    mode: InputMode;
    now: boolean;
    at: number;
  }): InputRecord {
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO inputs (task_id, text, source, mode, now, state, created_at, updated_at)
           VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)`,
        )
        .run(input.taskId, input.text, input.source, input.mode, input.now ? 1 : 0, input.at, input.at)
        .lastInsertRowid,
    );
    return this.byId(id)!;
  }

  byId(id: number): InputRecord | null {
    const row = this.db.prepare('SELECT * FROM inputs WHERE id = ?').get(id);
    return row ? this.toInput(row) : null;
  }

  /** A task's inputs not yet confirmed or failed, oldest first: they are delivered in this order. */
  open(taskId: number): InputRecord[] {
    return this.db
      .prepare(`SELECT * FROM inputs WHERE task_id = ? AND ${OPEN} ORDER BY id`)
      .all(taskId)
      .map((row) => this.toInput(row));
  }

  forTask(taskId: number): InputRecord[] {
    return this.db
      .prepare('SELECT * FROM inputs WHERE task_id = ? ORDER BY id')
      .all(taskId)
      .map((row) => this.toInput(row));
  }

  /** Tasks with an input to deliver. */
  openTaskIds(): number[] {
    return (
      this.db.prepare(`SELECT DISTINCT task_id FROM inputs WHERE ${OPEN}`).all() as { task_id: number }[]
    ).map((r) => r.task_id);
  }

  /** Writes the fields only while the input is still in `expected` (another deliverer may have moved it). */
  update(id: number, expected: InputState, patch: InputPatch, now: number): boolean {
    const keys = Object.keys(patch) as (keyof InputPatch)[];
    const sets = keys.map((k) => `${COLUMN[k]} = ?`).join(', ');
    const values = keys.map((k) => {
      const v = patch[k];
      return v ?? null;
    });
    const result = this.db
      .prepare(`UPDATE inputs SET ${sets}${sets ? ', ' : ''}updated_at = ? WHERE id = ? AND state = ?`)
      .run(...values, now, id, expected);
    return result.changes === 1;
  }

  private toInput(raw: unknown): InputRecord {
    const row = parseRow(inputRow, 'inputs', raw, (r) => {
      const task = this.db.prepare('SELECT name FROM tasks WHERE id = ?').get(r.task_id) as
        | { name: unknown }
        | undefined;
      return `input ${String(r.id)} of task ${String(task?.name ?? '?')}`;
    });
    return {
      id: row.id,
      taskId: row.task_id,
      text: row.text,
      source: row.source,
      mode: row.mode,
      now: row.now,
      state: row.state,
      deferred: row.deferred,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      runId: row.run_id,
      signalsOffset: row.signals_offset,
      buffer: row.buffer,
      sendingAt: row.sending_at,
      sentAt: row.sent_at,
      enters: row.enters,
      submittedAt: row.submitted_at,
      transcript: row.transcript,
      transcriptOffset: row.transcript_offset,
      requeues: row.requeues,
      confirmedAt: row.confirmed_at,
      reason: row.reason,
      ownerPid: row.owner_pid,
      ownerStart: row.owner_start,
    };
  }
}
