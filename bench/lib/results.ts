import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './teardown.js';

const DIR = join(ROOT, 'bench', 'results');

/** Writes bench/results/<timestamp>.json and bench/results/latest.json; returns the first, relative to the repo. */
export function writeResults(results: { startedAt: string } & Record<string, unknown>): string {
  mkdirSync(DIR, { recursive: true });
  const text = `${JSON.stringify(results, null, 2)}\n`;
  const file = join(DIR, `${results.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, text);
  writeFileSync(join(DIR, 'latest.json'), text);
  return relative(ROOT, file);
}
