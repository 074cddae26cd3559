import { readOwnText, writePrivateFile } from '../../fs-safe.js';

/** Variables that describe the caller's own tmux, not the pane's: the pane gets its own from tmux. */
const DROPPED = new Set(['TMUX', 'TMUX_PANE']);

/** Writes `env` as NUL-separated NAME=VALUE entries, readable only by the user. */
export function writeEnvFile(path: string, env: Record<string, string | undefined>): void {
  const entries = Object.entries(env)
    .filter(
      ([name, value]) => value !== undefined && !DROPPED.has(name) && name.length > 0 && !name.includes('='),
    )
    .map(([name, value]) => `${name}=${value}\0`);
  writePrivateFile(path, entries.join(''));
}

/** The variables of an env file written by `writeEnvFile` ({} when it is missing). */
export function readEnvFile(path: string): Record<string, string> {
  const text = readOwnText(path) ?? '';
  const env: Record<string, string> = {};
  for (const entry of text.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}
