import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { readOwnText, writePrivateFile } from '../fs-safe.js';

/**
 * The dashboard's token: 256 random bits as hex, in `<home>/dashboard.token` (0600, never through a
 * link). Made once and kept, so a page left open keeps working across restarts of the dashboard.
 */
export function dashboardToken(home: string): string {
  const path = join(home, 'dashboard.token');
  const existing = readOwnText(path)?.trim();
  if (existing && /^[0-9a-f]{64}$/.test(existing)) return existing;
  const token = randomBytes(32).toString('hex');
  writePrivateFile(path, `${token}\n`);
  return token;
}
