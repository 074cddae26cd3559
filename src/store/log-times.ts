import * as z from 'zod';
import { type Db, int, parseRow } from './rows.js';

/**
 * When a run's output was captured, coarsely: one row per tailer read that found the log grown,
 * saying that every byte before `offset` (of the run's stream, over its rotated segments) was in
 * the log by `at`. `log --timestamps` gives a line the time of the first row past its start.
 */
export interface LogTime {
  offset: number;
  at: number;
}

const logTimeRow = z.object({ offset: int, at: int });

export class LogTimesRepo {
  constructor(private readonly db: Db) {}

  record(runId: number, offset: number, at: number): void {
    this.db
      .prepare('INSERT OR IGNORE INTO log_times (run_id, offset, at) VALUES (?, ?, ?)')
      .run(runId, offset, at);
  }

  /** A run's rows, by offset. */
  forRun(runId: number): LogTime[] {
    return this.db
      .prepare('SELECT offset, at FROM log_times WHERE run_id = ? ORDER BY offset')
      .all(runId)
      .map((row) => parseRow(logTimeRow, 'log_times', row, () => `run ${runId}`));
  }

  /** Forgets the rows up to `offset` (bytes rotated away: a line still on disk starts at or after it, and takes the first row past its start). */
  forgetBefore(runId: number, offset: number): void {
    this.db.prepare('DELETE FROM log_times WHERE run_id = ? AND offset <= ?').run(runId, offset);
  }

  /** Forgets a run's rows, with its log files (retention). */
  removeRun(runId: number): void {
    this.db.prepare('DELETE FROM log_times WHERE run_id = ?').run(runId);
  }
}
