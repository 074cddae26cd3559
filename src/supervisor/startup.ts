/**
 * Whether `holdfast startup` is installed for this home: a systemd unit or a crontab line that
 * carries the home's marker. A first version for `doctor`; `startup` itself, which writes the
 * markers, replaces it with its own.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { resolveHome } from '../paths.js';

export interface StartupStatus {
  installed: 'systemd' | 'cron' | null;
  /** The unit file; for cron, absent (the line is in the user's crontab). */
  path?: string;
}

export function startupStatus(env: NodeJS.ProcessEnv = process.env): StartupStatus {
  const marker = `# holdfast startup HOLDFAST_HOME=${resolveHome(env)}`;
  const config = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  const units = [join(config, 'systemd', 'user', 'holdfast.service')];
  const user = env.USER || userInfo().username;
  if (user) units.push(`/etc/systemd/system/holdfast-${user}.service`);
  for (const path of units) if (readText(path)?.includes(marker)) return { installed: 'systemd', path };
  try {
    const cron = execFileSync('crontab', ['-l'], {
      env,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    if (cron.split('\n').some((line) => line.endsWith(marker))) return { installed: 'cron' };
  } catch {
    // No crontab program, or no crontab for this user: nothing is installed through it.
  }
  return { installed: null };
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}
