import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';

/** The CLI under test is the built one (bin/holdfast.js → dist/), exactly as users run it. */
export default function setup(): void {
  const root = resolve(import.meta.dirname, '..');
  if (process.env.HOLDFAST_SKIP_BUILD === '1') return;
  execFileSync(
    process.execPath,
    [resolve(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
    {
      cwd: root,
      stdio: 'inherit',
    },
  );
}
