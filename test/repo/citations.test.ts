import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/home.js';

/** Every tracked text file a contributor reads: docs, code and its comments, scripts. */
function trackedTextFiles(): string[] {
  return execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => /\.(md|ts|mjs|js|sh)$/.test(f) && !f.startsWith('bench/results/'));
}

describe('the repository stands alone', () => {
  it('docs, code comments and scripts cite only documents that are in the repository', () => {
    const files = trackedTextFiles();
    const present = new Set(files.map((f) => basename(f)));
    const missing: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      // Documents are named in capitals (like README.md); lower-case names (mission.md) are examples.
      for (const match of text.matchAll(/\b[A-Z][A-Z0-9_-]*\.md\b/g)) {
        if (!present.has(match[0])) missing.push(`${file} cites ${match[0]}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
