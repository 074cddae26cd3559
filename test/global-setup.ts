import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/**
 * The CLI under test is the built one (bin/holdfast.js → the bundle in dist/), exactly as users run
 * it. Only the bundle is made here: the dashboard's page (dist/web/ui) is `npm run build`'s.
 */
export default function setup(): void {
  const root = resolve(import.meta.dirname, '..');
  if (process.env.HOLDFAST_SKIP_BUILD === '1') return;
  execFileSync(process.execPath, [resolve(root, 'scripts', 'bundle.mjs')], { cwd: root, stdio: 'inherit' });
}
