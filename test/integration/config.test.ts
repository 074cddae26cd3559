import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome();
const lines = (...l: string[]) => `${l.join('\n')}\n`;

/** The test home's own config file (HOLDFAST_CONFIG, set by makeHome). */
function writeConfig(text: string): string {
  const path = home().env.HOLDFAST_CONFIG!;
  writeFileSync(path, text);
  return path;
}

describe('the config file', () => {
  it('gives run its defaults; a flag beats it; a task keeps its spec after the config changes', async () => {
    const h = home();
    writeConfig(lines('run:', '  restart: always', '  max-restarts: 7'));
    const fromConfig = await h.json<{ restart: string }>(['run', '-n', 'cfg', '--', 'sleep', '60']);
    expect(fromConfig.restart).toBe('always');
    const flagged = await h.json<{ restart: string }>([
      'run',
      '-n',
      'flag',
      '--restart',
      'no',
      '--',
      'sleep',
      '60',
    ]);
    expect(flagged.restart).toBe('no');
    writeConfig(lines('run:', '  restart: on-failure', '  max-restarts: 1'));
    expect((await h.cli(['restart', 'cfg'])).code).toBe(0);
    await waitFor(
      () => h.status('cfg'),
      (s) => s.runs.length === 2,
      { what: 'the restarted run' },
    );
    const after = await h.status('cfg');
    expect(after.restart).toBe('always');
    // Frozen in the task's spec when it was created; only a new task takes the new file.
    const fresh = await h.json<{ restart: string }>(['run', '-n', 'fresh', '--', 'sleep', '60']);
    expect(fresh.restart).toBe('on-failure');
    await h.cli(['killall', '--yes', '--timeout', '2s']);
  });

  it('a bad value is refused before anything is created, naming the file, line and key', async () => {
    const h = home();
    const path = writeConfig(lines('# defaults', 'run:', '  checkpoint-every: 5m', '  stall-timeout: soon'));
    const result = await h.cli(['run', '--', 'true']);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')[0]).toBe(
      `holdfast: ${path}:4: run.stall-timeout: expected a duration like 500ms, 10s, 5m or 1h30m, got "soon"`,
    );
    const unknown = writeConfig(lines('run:', '  restart: always', '  on-stal: notify'));
    const typo = await h.cli(['run', '--', 'true']);
    expect(typo.stderr.split('\n')[0]).toBe(
      `holdfast: ${unknown}:3: run.on-stal: not an option of holdfast run; did you mean on-stall?`,
    );
    expect(JSON.parse((await h.cli(['ls', '--json'])).stdout)).toEqual([]);
    expect(existsSync(join(h.dir, 'tasks')) ? readdirSync(join(h.dir, 'tasks')) : []).toEqual([]);
  });

  it('config check exits 0 for a good file, 1 with file:line:key lines for a bad one, 2 for bad usage', async () => {
    const h = home();
    const path = writeConfig(lines('run:', '  restart: on-failure', 'agents:', '  claude: { model: opus }'));
    expect(await h.cli(['config', 'check'])).toMatchObject({ code: 0, stdout: `${path}: ok\n` });
    writeConfig(lines('run:', '  restart: on-failure', 'agents:', '  codex: { unattended: sure }'));
    const bad = await h.cli(['config', 'check']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`holdfast: ${path}:4: agents.codex.unattended: `);
    const json = await h.cli(['config', 'check', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ path, exists: true, ok: false, problems: [{ line: 4 }] });
    expect((await h.cli(['config', 'check', 'extra'])).code).toBe(2);
  });

  it('config get, set, path through the CLI; a refused set exits 2 and changes nothing', async () => {
    const h = home();
    const path = h.env.HOLDFAST_CONFIG!;
    expect(await h.json(['config', 'path'])).toEqual({ path, exists: false });
    expect((await h.cli(['config', 'set', 'agents.claude.model', 'opus'])).code).toBe(0);
    expect((await h.cli(['config', 'set', 'run.model', 'sonnet'])).code).toBe(0);
    expect(await h.json(['config', 'get', 'agents.claude.model'])).toEqual({
      key: 'agents.claude.model',
      value: 'opus',
      from: 'agents.claude',
    });
    expect((await h.cli(['config', 'get', 'agents.codex.model'])).stdout).toBe('sonnet\n');
    const before = readFileSync(path, 'utf8');
    const refused = await h.cli(['config', 'set', 'run.restart', 'sometimes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr.split('\n')[0]).toBe(
      'holdfast: run.restart: expected one of no, on-failure, always, got "sometimes"',
    );
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(await h.json(['config', 'path'])).toEqual({ path, exists: true });
  });
});
