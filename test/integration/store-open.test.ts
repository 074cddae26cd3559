import { describe, expect, it } from 'vitest';
import { useHome } from '../helpers/home.js';

const home = useHome();

describe('the store, opened by many at once', () => {
  // The first opens of a new store race to switch it to WAL, which SQLite answers BUSY at once
  // (no busy handler): each must wait its turn, not fail "database is locked".
  it('8 `holdfast run`s at once on a new home all create their task', async () => {
    const h = home();
    const env = { ...h.env, HOLDFAST_NO_DAEMON: '1' };
    const names = Array.from({ length: 8 }, (_, i) => `t${i}`);
    const results = await Promise.all(
      names.map((name) => h.cli(['run', '--name', name, '--', 'sleep', '600'], { env })),
    );
    expect(results.map((r) => [r.code, r.stderr])).toEqual(names.map(() => [0, '']));
    const listed = JSON.parse((await h.cli(['ls', '--json'], { env })).stdout) as { name: string }[];
    expect(listed.map((t) => t.name).sort()).toEqual(names);
  });
});
