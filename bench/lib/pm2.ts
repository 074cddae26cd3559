import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onCleanup } from './cleanup.js';
import { type ExecResult, exec } from './exec.js';
import { ROOT } from './holdfast.js';
import { childrenOf, cmdline, isAlive, killQuietly } from './proc.js';
import { nowMs, sleepSync } from './time.js';

export const PM2_BIN = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
export const PM2_VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'node_modules', 'pm2', 'package.json'), 'utf8')) as { version: string }
).version;

export interface Pm2App {
  name: string;
  script: string;
  args: string[];
}

/** A private PM2_HOME (never the default ~/.pm2), torn down with `pm2 kill` by `dispose`. */
export class Pm2Home {
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly dispose: () => void;
  /** Every app pid seen (with its argv), so that none outlives a God that had to be killed. */
  private readonly seen = new Map<number, string>();

  constructor() {
    this.dir = realpathSync(mkdtempSync('/tmp/pmb-'));
    this.env = { ...process.env, PM2_HOME: this.dir };
    this.dispose = onCleanup(`pm2 home ${this.dir}`, () => this.teardown());
  }

  cli(args: readonly string[]): Promise<ExecResult> {
    return exec(process.execPath, [PM2_BIN, ...args], { env: this.env, cwd: this.dir });
  }

  /** Starts the apps from one ecosystem file: restart at once, never give up. */
  async start(apps: readonly Pm2App[]): Promise<ExecResult> {
    const file = join(this.dir, 'ecosystem.config.cjs');
    const config = {
      apps: apps.map((a) => ({
        name: a.name,
        script: a.script,
        args: a.args,
        interpreter: 'none',
        exec_mode: 'fork',
        autorestart: true,
        restart_delay: 0,
        max_restarts: 1_000_000,
      })),
    };
    writeFileSync(file, `module.exports = ${JSON.stringify(config, null, 2)};\n`);
    const result = await this.cli(['start', file]);
    if (result.code !== 0) throw new Error(`pm2 start exited ${result.code}: ${result.stderr}`);
    this.remember();
    return result;
  }

  godPid(): number | null {
    try {
      const pid = Number(readFileSync(join(this.dir, 'pm2.pid'), 'utf8').trim());
      return pid > 0 ? pid : null;
    } catch {
      return null;
    }
  }

  /** Notes the God's current children (the apps) for the teardown. */
  remember(): number[] {
    const god = this.godPid();
    const children = god === null ? [] : childrenOf(god);
    for (const pid of children) this.seen.set(pid, cmdline(pid).join(' '));
    return children;
  }

  private teardown(): void {
    const god = this.godPid();
    if (god !== null) this.remember();
    try {
      execFileSync(process.execPath, [PM2_BIN, 'kill'], { env: this.env, stdio: 'ignore', timeout: 30_000 });
    } catch {
      // the God may already be gone
    }
    const deadline = nowMs() + 5000;
    while (god !== null && isAlive(god) && nowMs() < deadline) sleepSync(20);
    if (god !== null && isAlive(god)) killQuietly(god);
    for (const [pid, argv] of this.seen) {
      if (isAlive(pid) && cmdline(pid).join(' ') === argv) killQuietly(pid);
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
