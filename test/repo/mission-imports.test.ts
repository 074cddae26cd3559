import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/home.js';

const SRC = join(ROOT, 'src');
const MISSION = join(SRC, 'mission');

describe('mission/ keeps to its row of the module table', () => {
  it('imports only core/ of ours, and nothing that does I/O (no node: modules)', () => {
    const wrong: string[] = [];
    for (const file of readdirSync(MISSION).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const text = readFileSync(join(MISSION, file), 'utf8');
      for (const [, spec] of text.matchAll(/^(?:import|export)[^'"]*?from '([^']+)'/gm)) {
        if (spec!.startsWith('node:')) {
          wrong.push(`${file} imports ${spec}`);
          continue;
        }
        if (!spec!.startsWith('.')) continue;
        const module = relative(SRC, resolve(MISSION, spec!)).split('/')[0];
        if (module !== 'mission' && module !== 'core') wrong.push(`${file} imports ${spec}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
