import { mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { track } from './cleanup.js';
import { type ExecResult, exec } from './exec.js';
import { PM2_BIN, ROOT, readPid } from './teardown.js';

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

  constructor() {
    this.dir = realpathSync(mkdtempSync('/tmp/pmb-'));
    this.env = { ...process.env, PM2_HOME: this.dir };
    this.dispose = track({ kind: 'pm2', path: this.dir });
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
    return result;
  }

  godPid(): number | null {
    return readPid(join(this.dir, 'pm2.pid'));
  }
}
