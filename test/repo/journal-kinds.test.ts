import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_KINDS } from '../../src/core/events.js';
import { ROOT } from '../helpers/home.js';

/** The backticked words of README.md's "JSON contract" section. */
function documented(): Set<string> {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const start = readme.indexOf('## JSON contract');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  return new Set([...section.matchAll(/`([^`\s]+)`/g)].map((m) => m[1]!));
}

describe('the journal', () => {
  it("every kind of entry the code can write is in README.md's JSON contract", () => {
    const words = documented();
    expect(EVENT_KINDS.filter((kind) => !words.has(kind))).toEqual([]);
    expect(new Set(EVENT_KINDS).size).toBe(EVENT_KINDS.length);
  });

  it('is written only by store/events.ts, whose one way in takes the typed union', () => {
    const files = execFileSync('git', ['grep', '-l', '-i', 'INSERT INTO events', '--', 'src'], {
      cwd: ROOT,
      encoding: 'utf8',
    })
      .split('\n')
      .filter((f) => f.length > 0 && !f.endsWith('.test.ts'));
    expect(files).toEqual(['src/store/events.ts']);
  });
});
