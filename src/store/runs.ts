import * as z from 'zod';
import type { RunCause, RunRecord } from '../core/task.js';
import { type Db, flag, int, intOrNull, json, jsonObject, parseRow, textOrNull } from './rows.js';
import { runCause } from './schemas.js';

const runRow = z.object({
  id: int,
  task_id: int,
  n: int,
  cause: runCause,
  started_at: int,
  ended_at: intOrNull,
  exit_code: intOrNull,
  signal: textOrNull,
  end_reason: textOrNull,
  log_path: z.string(),
  pid: intOrNull,
  task_pid: intOrNull,
  starter_pid: intOrNull,
  log_offset: int,
  last_output_at: intOrNull,
  bytes: int,
  lines: int,
  prompt: textOrNull,
  fresh: flag,
  budgeted: flag,
});

/** The narrow reads a pass makes of every open run: only the columns they use, checked the same. */
const paneRow = runRow.pick({
  id: true,
  task_id: true,
  n: true,
  pid: true,
  starter_pid: true,
  task_pid: true,
  log_path: true,
});
const logRow = runRow.pick({
  id: true,
  task_id: true,
  n: true,
  log_path: true,
  bytes: true,
  log_offset: true,
});

/** What a pane listing is compared with for one open run. */
export type PaneRun = Pick<RunRecord, 'id' | 'taskId' | 'pid' | 'starterPid' | 'taskPid' | 'logPath'>;

export class RunRepo {
  constructor(private readonly db: Db) {}

  insert(input: {
    taskId: number;
    n: number;
    cause: RunCause;
    startedAt: number;
    logPath: string;
    starterPid: number;
    prompt?: string | null;
    fresh?: boolean;
    budgeted?: boolean;
  }): RunRecord {
    const id = Number(
      this.db
        .prepare(
          `INSERT INTO runs (task_id, n, cause, started_at, log_path, starter_pid, prompt, fresh, budgeted)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          input.taskId,
          input.n,
          input.cause,
          input.startedAt,
          input.logPath,
          input.starterPid,
          input.prompt ?? null,
          input.fresh ? 1 : 0,
          input.budgeted ? 1 : 0,
        ).lastInsertRowid,
    );
    return this.byId(id)!;
  }

  byId(id: number): RunRecord | null {
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id);
    return row ? this.toRun(row) : null;
  }

  forTask(taskId: number): RunRecord[] {
    return this.db
      .prepare('SELECT * FROM runs WHERE task_id = ? ORDER BY n')
      .all(taskId)
      .map((row) => this.toRun(row));
  }

  /** Every run of every task in one query, for listings. */
  allByTask(): Map<number, RunRecord[]> {
    const byTask = new Map<number, RunRecord[]>();
    for (const row of this.db.prepare('SELECT * FROM runs ORDER BY task_id, n').all()) {
      const run = this.toRun(row);
      const list = byTask.get(run.taskId) ?? [];
      list.push(run);
      byTask.set(run.taskId, list);
    }
    return byTask;
  }

  open(): RunRecord[] {
    return this.db
      .prepare('SELECT * FROM runs WHERE ended_at IS NULL ORDER BY id')
      .all()
      .map((row) => this.toRun(row));
  }

  /**
   * The open runs' ids, tasks, pids, starters and logs: what a pane listing is compared with (the
   * task's pid and the log tell whether a run whose starter died had reached tmux).
   */
  openPanes(): PaneRun[] {
    return this.db
      .prepare('SELECT id, task_id, n, pid, starter_pid, task_pid, log_path FROM runs WHERE ended_at IS NULL')
      .all()
      .map((raw) => {
        const row = parseRow(paneRow, 'runs', raw, this.whose);
        return {
          id: row.id,
          taskId: row.task_id,
          pid: row.pid,
          starterPid: row.starter_pid,
          taskPid: row.task_pid,
          logPath: row.log_path,
        };
      });
  }

  /** Where each open run's log stands, without the rest of the row: what a tail looks at first. */
  openLogs(): { id: number; taskId: number; logPath: string; bytes: number; logOffset: number }[] {
    return this.db
      .prepare('SELECT id, task_id, n, log_path, bytes, log_offset FROM runs WHERE ended_at IS NULL')
      .all()
      .map((raw) => {
        const row = parseRow(logRow, 'runs', raw, this.whose);
        return {
          id: row.id,
          taskId: row.task_id,
          logPath: row.log_path,
          bytes: row.bytes,
          logOffset: row.log_offset,
        };
      });
  }

  /** Runs that ended at or after `since`: their logs may still hold lines not yet read. */
  endedSince(since: number): RunRecord[] {
    return this.db
      .prepare('SELECT * FROM runs WHERE ended_at >= ? ORDER BY id')
      .all(since)
      .map((row) => this.toRun(row));
  }

  lastN(taskId: number): number {
    const row = this.db.prepare('SELECT max(n) AS n FROM runs WHERE task_id = ?').get(taskId) as {
      n: number | null;
    };
    return row.n ?? 0;
  }

  firstStartedAt(taskId: number): number | null {
    const row = this.db.prepare('SELECT min(started_at) AS t FROM runs WHERE task_id = ?').get(taskId) as {
      t: number | null;
    };
    return row.t;
  }

  setPid(id: number, pid: number): void {
    this.db.prepare('UPDATE runs SET pid = ? WHERE id = ?').run(pid, id);
  }

  setTaskPid(id: number, pid: number): void {
    this.db.prepare('UPDATE runs SET task_pid = ? WHERE id = ? AND task_pid IS NULL').run(pid, id);
  }

  /** The same, for run `n` of the task named `task` while it is open (a launcher's report). */
  setTaskPidOf(task: string, n: number, pid: number): void {
    this.db
      .prepare(
        `UPDATE runs SET task_pid = ? WHERE task_pid IS NULL AND ended_at IS NULL AND n = ?
           AND task_id = (SELECT id FROM tasks WHERE name = ?)`,
      )
      .run(pid, n, task);
  }

  /** The process now putting this run into tmux (its first starter died). */
  setStarter(id: number, pid: number): void {
    this.db.prepare('UPDATE runs SET starter_pid = ? WHERE id = ?').run(pid, id);
  }

  /** Records the end of a run once: returns false if it had already ended (a second observer lost the race). */
  end(
    id: number,
    exit: { endedAt: number; exitCode: number | null; signal: string | null; reason: string | null },
  ): boolean {
    return (
      this.db
        .prepare(
          'UPDATE runs SET ended_at = ?, exit_code = ?, signal = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL',
        )
        .run(exit.endedAt, exit.exitCode, exit.signal, exit.reason, id).changes === 1
    );
  }

  /**
   * What an agent's output said so far (its transcript summary), checked against `schema` when the
   * caller gives the agents' one; without it, only that it is a JSON object.
   */
  summary<T = Record<string, unknown>>(id: number, schema?: z.ZodType<T>): T | null {
    const row = this.db.prepare('SELECT id, n, task_id, summary FROM runs WHERE id = ?').get(id);
    if (!row) return null;
    const summaryRow = z.object({ summary: json(schema ?? jsonObject).nullable() });
    return parseRow(summaryRow, 'runs', row, this.whose).summary as T | null;
  }

  setSummary(id: number, summary: unknown): void {
    this.db.prepare('UPDATE runs SET summary = ? WHERE id = ?').run(JSON.stringify(summary), id);
  }

  advanceLog(
    id: number,
    progress: { offset: number; lastOutputAt: number | null; bytes: number; lines: number },
  ): void {
    this.db
      .prepare(
        'UPDATE runs SET log_offset = ?, last_output_at = coalesce(?, last_output_at), bytes = ?, lines = ? WHERE id = ?',
      )
      .run(progress.offset, progress.lastOutputAt, progress.bytes, progress.lines, id);
  }

  /** The run and its task, by name when the task row can say it. */
  private readonly whose = (row: Record<string, unknown>): string => {
    const task = this.db.prepare('SELECT name FROM tasks WHERE id = ?').get(row.task_id) as
      | { name: unknown }
      | undefined;
    return `run ${String(row.n)} (id ${String(row.id)}) of task ${String(task?.name ?? '?')} (id ${String(row.task_id)})`;
  };

  private toRun(raw: unknown): RunRecord {
    const row = parseRow(runRow, 'runs', raw, this.whose);
    return {
      id: row.id,
      taskId: row.task_id,
      n: row.n,
      cause: row.cause,
      startedAt: row.started_at,
      endedAt: row.ended_at,
      exitCode: row.exit_code,
      signal: row.signal,
      endReason: row.end_reason,
      logPath: row.log_path,
      pid: row.pid,
      taskPid: row.task_pid,
      starterPid: row.starter_pid,
      logOffset: row.log_offset,
      lastOutputAt: row.last_output_at,
      bytes: row.bytes,
      lines: row.lines,
      prompt: row.prompt,
      fresh: row.fresh,
      budgeted: row.budgeted,
    };
  }
}
