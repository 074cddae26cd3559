import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { track } from './cleanup.js';
import { type ExecResult, exec } from './exec.js';
import { isAlive } from './proc.js';
import { ROOT, readPid } from './teardown.js';
import { poll } from './time.js';

export const HOLDFAST_BIN = join(ROOT, 'bin', 'holdfast.js');

export interface RunRow {
  id: number;
  n: number;
  started_at: number;
  ended_at: number | null;
  pid: number | null;
  /** The task's own process (the pane's process, `pid`, is its launcher). */
  task_pid: number | null;
}

/** A private HOLDFAST_HOME (and so a private tmux server and daemon), torn down by `dispose`. */
export class HoldfastHome {
  readonly dir: string;
  readonly socket: string;
  readonly env: NodeJS.ProcessEnv;
  readonly dispose: () => void;
  private database: Database.Database | null = null;

  constructor() {
    // Short: the socket path must stay far under the 107-byte limit.
    this.dir = realpathSync(mkdtempSync('/tmp/hfb-'));
    this.socket = join(this.dir, 'tmux.sock');
    this.env = { ...process.env, HOLDFAST_HOME: this.dir };
    delete this.env.TMUX;
    delete this.env.TMUX_PANE;
    delete this.env.HOLDFAST_NO_DAEMON;
    const teardown = track({ kind: 'holdfast', path: this.dir });
    this.dispose = () => {
      this.database?.close();
      this.database = null;
      teardown();
    };
  }

  cli(args: readonly string[]): Promise<ExecResult> {
    return exec(process.execPath, [HOLDFAST_BIN, ...args], { env: this.env, cwd: this.dir });
  }

  async cliOk(args: readonly string[]): Promise<ExecResult> {
    const result = await this.cli(args);
    if (result.code !== 0)
      throw new Error(`holdfast ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
    return result;
  }

  tmux(args: readonly string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8', env: this.env });
  }

  /** The store, read-only: the bench never writes to it. */
  get db(): Database.Database {
    this.database ??= new Database(join(this.dir, 'holdfast.db'), { readonly: true, fileMustExist: true });
    return this.database;
  }

  daemonPid(): number | null {
    return readPid(join(this.dir, 'daemon.pid'));
  }

  /** The live lease holder, read from the store. */
  leaseHolder(): { pid: number; startedAt: number; heartbeatAt: number } | null {
    const row = this.db.prepare('SELECT pid, started_at, heartbeat_at FROM lease WHERE id = 1').get() as
      | { pid: number; started_at: number; heartbeat_at: number }
      | undefined;
    if (!row || !isAlive(row.pid)) return null;
    return { pid: row.pid, startedAt: row.started_at, heartbeatAt: row.heartbeat_at };
  }

  async waitForDaemon(not: number | null = null): Promise<number> {
    return poll(
      'a live holdfast daemon',
      () => {
        if (!existsSync(join(this.dir, 'holdfast.db'))) return undefined;
        const holder = this.leaseHolder();
        return holder && holder.pid !== not && this.daemonPid() === holder.pid ? holder.pid : undefined;
      },
      { timeoutMs: 15_000, intervalMs: 20 },
    );
  }

  /** The tmux server's pid, whose children are the panes' processes. */
  serverPid(): number {
    return Number(this.tmux(['display-message', '-p', '#{pid}']).trim());
  }

  taskId(name: string): number {
    const row = this.db.prepare('SELECT id FROM tasks WHERE name = ?').get(name) as
      | { id: number }
      | undefined;
    if (!row) throw new Error(`no task ${name} in the store`);
    return row.id;
  }

  lastRun(taskId: number): RunRow | null {
    return (
      (this.db
        .prepare(
          'SELECT id, n, started_at, ended_at, pid, task_pid FROM runs WHERE task_id = ? ORDER BY n DESC LIMIT 1',
        )
        .get(taskId) as RunRow | undefined) ?? null
    );
  }
}
