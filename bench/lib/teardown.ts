import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isAlive, killQuietly, sweep } from './proc.js';
import { nowMs, sleepSync } from './time.js';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const PM2_BIN = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');

/** What the bench creates, as data, so that the guardian process can undo it too. */
export interface Resource {
  kind: 'holdfast' | 'pm2' | 'dir';
  path: string;
}

export function readPid(file: string): number | null {
  try {
    const pid = Number(readFileSync(file, 'utf8').trim());
    return pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Stops only what a holdfast home started: its daemon (by its pid file) and its tmux server (by socket). */
function teardownHoldfast(dir: string): void {
  const socket = join(dir, 'tmux.sock');
  // The watchdog in the tmux server may start a new daemon between the two kills: repeat until both stay gone.
  for (let attempt = 0; attempt < 40; attempt++) {
    let server = true;
    try {
      execFileSync('tmux', ['-S', socket, 'kill-server'], { stdio: 'ignore' });
    } catch {
      server = false;
    }
    const pid = readPid(join(dir, 'daemon.pid'));
    if (pid !== null && isAlive(pid)) killQuietly(pid);
    else if (!server) break;
    sleepSync(50);
  }
  sweep('HOLDFAST_HOME', dir);
}

/** `pm2 kill` on this PM2_HOME only; then makes sure its God and apps are gone. */
function teardownPm2(dir: string): void {
  const god = readPid(join(dir, 'pm2.pid'));
  // `pm2 kill` starts a God first when none runs: only call it when one was started here.
  if (god !== null || existsSync(join(dir, 'rpc.sock'))) {
    try {
      execFileSync(process.execPath, [PM2_BIN, 'kill'], {
        env: { ...process.env, PM2_HOME: dir },
        stdio: 'ignore',
        timeout: 30_000,
      });
    } catch {
      // the God may already be gone
    }
  }
  const deadline = nowMs() + 5000;
  while (god !== null && isAlive(god) && nowMs() < deadline) sleepSync(20);
  if (god !== null && isAlive(god)) killQuietly(god);
  sweep('PM2_HOME', dir);
}

export function teardown(resource: Resource): void {
  if (resource.kind === 'holdfast') teardownHoldfast(resource.path);
  if (resource.kind === 'pm2') teardownPm2(resource.path);
  // A watchdog's last daemon may still write its log line ("no store") while the folder goes:
  // rmSync tries again on ENOTEMPTY.
  rmSync(resource.path, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}
