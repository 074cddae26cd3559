import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { onCleanup } from './cleanup.js';
import { type ExecResult, exec } from './exec.js';
import { isAlive } from './proc.js';
import { poll, sleepSync } from './time.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const HOLDFAST_BIN = join(ROOT, 'bin', 'holdfast.js');

export interface RunRow {
  id: number;
  n: number;
  started_at: number;
  ended_at: number | null;
  pid: number | null;
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
    this.dispose = onCleanup(`holdfast home ${this.dir}`, () => this.teardown());
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
    try {
      const pid = Number(readFileSync(join(this.dir, 'daemon.pid'), 'utf8').trim());
      return pid > 0 ? pid : null;
    } catch {
      return null;
    }
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
          'SELECT id, n, started_at, ended_at, pid FROM runs WHERE task_id = ? ORDER BY n DESC LIMIT 1',
        )
        .get(taskId) as RunRow | undefined) ?? null
    );
  }

  /** Stops only what this home started: its daemon (by its pid file) and its tmux server (by socket). */
  private teardown(): void {
    this.database?.close();
    this.database = null;
    // The watchdog in the tmux server may start a new daemon between the two kills: repeat until both stay gone.
    for (let attempt = 0; attempt < 40; attempt++) {
      let server = true;
      try {
        execFileSync('tmux', ['-S', this.socket, 'kill-server'], { stdio: 'ignore' });
      } catch {
        server = false;
      }
      const pid = this.daemonPid();
      if (pid !== null && isAlive(pid)) {
        process.kill(pid, 'SIGKILL');
      } else if (!server) {
        break;
      }
      sleepSync(50);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
