import type { RunCause, RunRecord } from '../core/task.js';
import type { Db } from './db.js';

interface RunRow {
  id: number;
  task_id: number;
  n: number;
  cause: RunCause;
  started_at: number;
  ended_at: number | null;
  exit_code: number | null;
  signal: string | null;
  end_reason: string | null;
  log_path: string;
  pid: number | null;
  starter_pid: number | null;
  log_offset: number;
  last_output_at: number | null;
  bytes: number;
  lines: number;
  prompt: string | null;
  fresh: number;
  budgeted: number;
}

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
    const row = this.db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as RunRow | undefined;
    return row ? toRun(row) : null;
  }

  forTask(taskId: number): RunRecord[] {
    return (this.db.prepare('SELECT * FROM runs WHERE task_id = ? ORDER BY n').all(taskId) as RunRow[]).map(
      toRun,
    );
  }

  /** Every run of every task in one query, for listings. */
  allByTask(): Map<number, RunRecord[]> {
    const byTask = new Map<number, RunRecord[]>();
    for (const row of this.db.prepare('SELECT * FROM runs ORDER BY task_id, n').all() as RunRow[]) {
      const list = byTask.get(row.task_id) ?? [];
      list.push(toRun(row));
      byTask.set(row.task_id, list);
    }
    return byTask;
  }

  open(): RunRecord[] {
    return (this.db.prepare('SELECT * FROM runs WHERE ended_at IS NULL ORDER BY id').all() as RunRow[]).map(
      toRun,
    );
  }

  /** The open runs' ids, tasks, pids and starters: what a pane listing is compared with. */
  openPanes(): Pick<RunRecord, 'id' | 'taskId' | 'pid' | 'starterPid'>[] {
    return this.db
      .prepare(
        'SELECT id, task_id AS taskId, pid, starter_pid AS starterPid FROM runs WHERE ended_at IS NULL',
      )
      .all() as Pick<RunRecord, 'id' | 'taskId' | 'pid' | 'starterPid'>[];
  }

  /** Where each open run's log stands, without the rest of the row: what a tail looks at first. */
  openLogs(): { id: number; taskId: number; logPath: string; bytes: number; logOffset: number }[] {
    return this.db
      .prepare(
        'SELECT id, task_id AS taskId, log_path AS logPath, bytes, log_offset AS logOffset FROM runs WHERE ended_at IS NULL',
      )
      .all() as { id: number; taskId: number; logPath: string; bytes: number; logOffset: number }[];
  }

  /** Runs that ended at or after `since`: their logs may still hold lines not yet read. */
  endedSince(since: number): RunRecord[] {
    return (this.db.prepare('SELECT * FROM runs WHERE ended_at >= ? ORDER BY id').all(since) as RunRow[]).map(
      toRun,
    );
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

  /** What an agent's output said so far (its transcript summary), as JSON. */
  summary<T>(id: number): T | null {
    const row = this.db.prepare('SELECT summary FROM runs WHERE id = ?').get(id) as
      | { summary: string | null }
      | undefined;
    return row?.summary ? (JSON.parse(row.summary) as T) : null;
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
}

function toRun(row: RunRow): RunRecord {
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
    starterPid: row.starter_pid,
    logOffset: row.log_offset,
    lastOutputAt: row.last_output_at,
    bytes: row.bytes,
    lines: row.lines,
    prompt: row.prompt,
    fresh: row.fresh === 1,
    budgeted: row.budgeted === 1,
  };
}
