// zod/mini, not zod: the daemon takes its lease before it loads zod's full API (issue 14).
import * as z from 'zod/mini';
import { parseRow } from './parse-row.js';
import type { Db } from './rows.js';

export interface Lease {
  pid: number;
  procStart: string;
  startedAt: number;
  heartbeatAt: number;
}

const leaseRow = z.object({
  pid: z.int(),
  proc_start: z.string(),
  started_at: z.int(),
  heartbeat_at: z.int(),
});

export class LeaseRepo {
  constructor(private readonly db: Db) {}

  get(): Lease | null {
    const raw = this.db.prepare('SELECT * FROM lease WHERE id = 1').get();
    if (!raw) return null;
    const row = parseRow(leaseRow, 'lease', raw, (r) => `daemon ${String(r.pid)}`);
    return {
      pid: row.pid,
      procStart: row.proc_start,
      startedAt: row.started_at,
      heartbeatAt: row.heartbeat_at,
    };
  }

  put(lease: Lease): void {
    this.db
      .prepare(
        `INSERT INTO lease (id, pid, proc_start, started_at, heartbeat_at) VALUES (1, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, proc_start = excluded.proc_start,
           started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at`,
      )
      .run(lease.pid, lease.procStart, lease.startedAt, lease.heartbeatAt);
  }

  /** Refreshes the heartbeat only while the lease is still ours; false means another daemon took it. */
  beat(pid: number, procStart: string, now: number): boolean {
    return (
      this.db
        .prepare('UPDATE lease SET heartbeat_at = ? WHERE id = 1 AND pid = ? AND proc_start = ?')
        .run(now, pid, procStart).changes === 1
    );
  }

  release(pid: number, procStart: string): void {
    this.db.prepare('DELETE FROM lease WHERE id = 1 AND pid = ? AND proc_start = ?').run(pid, procStart);
  }
}
