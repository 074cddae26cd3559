// Bundles holdfast's Node code into dist/ with esbuild (issue 14: start-up was mostly Node resolving,
// reading and linking some 180 files per call). tsc only type-checks (`npm run typecheck`); the page
// under src/web/ui is still compiled by its own tsconfig (`npm run build` runs both).
//
//   dist/cli/start.js    the CLI (bin/holdfast.js imports it); each command module a chunk of its own,
//                        so the command table's dynamic imports stay lazy
//   dist/hook/main.js    the program agents' hooks run (its path is in tasks' settings files)
//   dist/chunks/*.js     code the entries and the commands share
//
// better-sqlite3 stays an import (a native addon, found in node_modules at run time). dist/ is
// emptied first, except the page's dist/web/ui, which this script does not build.
import { readdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');

function clean() {
  for (const name of entries(DIST)) {
    if (name !== 'web') rmSync(join(DIST, name), { recursive: true, force: true });
  }
  // What tsc used to write beside the page (the server's modules) is stale now.
  for (const name of entries(join(DIST, 'web'))) {
    if (name !== 'ui') rmSync(join(DIST, 'web', name), { recursive: true, force: true });
  }
}

/** A directory's entries; none when it is not there (a fresh clone, a build without the page). */
function entries(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

clean();
const { metafile } = await build({
  absWorkingDir: ROOT,
  entryPoints: { 'cli/start': 'src/cli/start.ts', 'hook/main': 'src/hook/main.ts' },
  outdir: DIST,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20.10',
  external: ['better-sqlite3'],
  // Bundled CommonJS packages (commander, yaml, ws…) call require() for node's builtins, which an
  // ES module has not: each output file gets one, from its own URL.
  banner: {
    js: "import { createRequire as __holdfastCreateRequire } from 'node:module'; const require = __holdfastCreateRequire(import.meta.url);",
  },
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
});

// `import { z } from 'zod'` takes a namespace object the bundler must keep whole, every locale of
// zod's with it (four times the size, parsed by every command): zod is imported as `* as z`.
const locales = Object.values(metafile.outputs)
  .flatMap((output) => Object.entries(output.inputs))
  .filter(([file, { bytesInOutput }]) => bytesInOutput > 0 && /zod\/v4\/locales\/(?!en\.js$)/.test(file));
if (locales.length > 0) {
  throw new Error(
    `bundle: zod's locales are in the bundle (${locales.length} files): import zod as \`import * as z from 'zod'\``,
  );
}
