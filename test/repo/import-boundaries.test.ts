import { execFile } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/home.js';

const run = promisify(execFile);
const HELPERS = ['paths.ts', 'fs-safe.ts'];

/** The module table of docs/architecture.md: each folder (or top-level helper) and what it may import. */
function moduleTable(): Map<string, string[] | 'everything'> {
  const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Modules'), doc.indexOf('\n## ', doc.indexOf('## Modules') + 1));
  const table = new Map<string, string[] | 'everything'>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !cells[1]!.startsWith('`')) continue;
    const names = (text: string) =>
      text
        .split(',')
        .map((n) => n.trim().replace(/`/g, '').replace(/\/$/, ''))
        .filter((n) => n.length > 0);
    const allowed = cells[3]!;
    const imports =
      allowed === 'everything' ? 'everything' : allowed === 'nothing of ours' ? [] : names(allowed);
    for (const name of names(cells[1]!)) table.set(name, imports);
  }
  return table;
}

/** Lints a scratch tree with the repository's biome.json; returns `rule file:line` per diagnostic. */
async function lint(files: Record<string, string>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'hf-boundaries-'));
  scratch.push(dir);
  copyFileSync(join(ROOT, 'biome.json'), join(dir, 'biome.json'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  const biome = join(ROOT, 'node_modules', '.bin', 'biome');
  const args = ['lint', '--vcs-enabled=false', '--reporter=github', '--max-diagnostics=none', 'src'];
  const out = await run(biome, args, { cwd: dir }).then(
    (r) => r.stdout,
    (e: { stdout?: string }) => e.stdout ?? '',
  );
  return [...out.matchAll(/^::error title=([^,]+),file=([^,]+),line=(\d+)/gm)].map(
    ([, rule, file, line]) => `${rule} ${file!.slice(dir.length + 1)}:${line}`,
  );
}

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

describe('npm run lint enforces the module table of docs/architecture.md', () => {
  const table = moduleTable();
  const folders = [...table.keys()].filter((name) => !HELPERS.includes(name));

  it('the table names every folder under src/ and both top-level helpers', () => {
    const present = readdirSync(join(ROOT, 'src'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(present.filter((name) => !table.has(name))).toEqual([]);
    for (const helper of HELPERS) expect(table.has(helper)).toBe(true);
  });

  it('an import the table forbids fails the lint, and one it allows passes', async () => {
    // One probe per module, one import line per other module: a diagnostic's line names the target.
    const targets = [...folders, ...HELPERS];
    const probes: Record<string, string> = {};
    const expected: string[] = [];
    for (const module of table.keys()) {
      const helper = HELPERS.includes(module);
      const file = helper ? `src/${module}` : `src/${module}/probe.ts`;
      const up = helper ? './' : '../';
      const others = targets.filter((t) => t !== module);
      probes[file] = others
        .map(
          (t, i) =>
            `import * as m${i} from '${up}${t.endsWith('.ts') ? t.replace(/\.ts$/, '.js') : `${t}/x.js`}';`,
        )
        .concat(`export const all = [${others.map((_, i) => `m${i}`).join(', ')}];`)
        .join('\n');
      const allowed = table.get(module)!;
      others.forEach((t, i) => {
        if (allowed !== 'everything' && !allowed.includes(t))
          expected.push(`lint/style/noRestrictedImports ${file}:${i + 1}`);
      });
    }
    const found = (await lint(probes)).filter((d) => d.includes('noRestrictedImports'));
    expect(found.sort()).toEqual(expected.sort());
    // The probe sees real rules: tmux/ reaching into core/ is among the failures.
    expect(found).toContain(
      `lint/style/noRestrictedImports src/tmux/probe.ts:${targets.indexOf('core') + 1}`,
    );
  });

  it('an import cycle fails the lint, even one through type-only imports', async () => {
    const found = await lint({
      'src/cli/probe-a.ts': "import type { B } from './probe-b.js';\nexport type A = B | 1;\n",
      'src/cli/probe-b.ts': "import type { A } from './probe-a.js';\nexport type B = A | 2;\n",
    });
    expect(found.sort()).toEqual([
      'lint/suspicious/noImportCycles src/cli/probe-a.ts:1',
      'lint/suspicious/noImportCycles src/cli/probe-b.ts:1',
    ]);
  });
});
