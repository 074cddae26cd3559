import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { readConfigFile } from '../config/load.js';
import { changeConfig, checkConfig, configValue } from './config-file.js';

function scratch(text?: string) {
  const dir = mkdtempSync(join(tmpdir(), 'hf-config-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'holdfast', 'config.yaml');
  if (text !== undefined) {
    mkdirSync(join(dir, 'holdfast'));
    writeFileSync(path, text);
  }
  return { dir, path, env: { HOLDFAST_CONFIG: path } };
}

const lines = (...l: string[]) => `${l.join('\n')}\n`;

describe('config check', () => {
  it('passes a good file and an absent one', () => {
    const good = scratch(
      lines(
        'run:',
        '  restart: on-failure',
        '  checkpoint-every: 0',
        'agents:',
        '  claude: { model: opus, allow: ["Bash(npm test*)"] }',
        'daemon:',
        '  boot-stagger: 1s',
      ),
    );
    expect(checkConfig(readConfigFile(good.env))).toEqual([]);
    expect(checkConfig(readConfigFile(scratch().env))).toEqual([]);
  });

  it('lists every bad value with its line and key, each through the parser its flag uses', () => {
    const { env, path } = scratch(
      lines(
        'run:',
        '  restart: sometimes',
        '  backoff: 5m..1s',
        'agents:',
        '  claude:',
        '    tool-timeout: soon',
        '  claud: {}',
        'daemon:',
        '  boot-stagger: 3q',
      ),
    );
    expect(checkConfig(readConfigFile(env)).map((p) => [p.line, p.key])).toEqual([[7, 'agents.claud']]);
    writeFileSync(path, readFileSync(path, 'utf8').replace('  claud: {}\n', ''));
    const problems = checkConfig(readConfigFile(env));
    expect(problems.map((p) => [p.path, p.line, p.key])).toEqual([
      [path, 2, 'run.restart'],
      [path, 3, 'run.backoff'],
      [path, 6, 'agents.claude.tool-timeout'],
      [path, 8, 'daemon.boot-stagger'],
    ]);
    expect(problems[2]!.message).toMatch(/^expected a duration like .* \(for holdfast run --agent claude; /);
  });
});

describe('config get', () => {
  it("gives the effective value: the agent's section, else run:, else the built-in default", () => {
    const { env } = scratch(
      lines('run:', '  model: sonnet', '  on-limit: fail', 'agents:', '  claude: { model: opus }'),
    );
    const file = readConfigFile(env);
    expect(configValue(file, 'agents.claude.model')).toEqual({
      key: 'agents.claude.model',
      value: 'opus',
      from: 'agents.claude',
    });
    expect(configValue(file, 'agents.codex.model')).toEqual({
      key: 'agents.codex.model',
      value: 'sonnet',
      from: 'run',
    });
    expect(configValue(file, 'run.on-limit')).toMatchObject({ value: 'fail', from: 'run' });
    expect(configValue(file, 'run.limit-backoff')).toMatchObject({ value: '15m,30m,60m', from: 'built-in' });
    expect(configValue(file, 'run.unattended')).toMatchObject({ value: false, from: 'built-in' });
    expect(configValue(file, 'run.max-restarts')).toMatchObject({ value: null, from: null });
    expect(configValue(file, 'daemon.boot-stagger')).toMatchObject({ value: '500ms', from: 'built-in' });
    expect(configValue(file, undefined).value).toEqual({
      run: { model: 'sonnet', 'on-limit': 'fail' },
      agents: { claude: { model: 'opus' } },
      daemon: { 'boot-stagger': '500ms' },
      notify: [],
    });
    expect(() => configValue(file, 'run.restrat')).toThrow(/^run\.restrat: not an option/);
  });
});

describe('config set / unset', () => {
  const original = lines(
    '# holdfast defaults',
    'run:',
    '  # agents restart anyway; commands should too',
    '  restart: on-failure # inline note',
    'agents:',
    '  claude: { model: opus }',
  );

  it('changes one key and keeps comments and every other key, written by rename, 0600', () => {
    const { env, path } = scratch(original);
    const before = statSync(path).ino;
    changeConfig(env, 'agents.claude.stall-timeout', '30m');
    // A new file renamed over the name (the old inode is free only after it), not written in place.
    expect(statSync(path).ino).not.toBe(before);
    changeConfig(env, 'run.max-restarts', '5');
    expect(readFileSync(path, 'utf8')).toBe(
      lines(
        '# holdfast defaults',
        'run:',
        '  # agents restart anyway; commands should too',
        '  restart: on-failure # inline note',
        '  max-restarts: 5',
        'agents:',
        '  claude: { model: opus, stall-timeout: 30m }',
      ),
    );
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(path, '..'))).toEqual(['config.yaml']);
    expect(changeConfig(env, 'run.max-restarts', undefined).changed).toBe(true);
    expect(changeConfig(env, 'run.max-restarts', undefined).changed).toBe(false);
    expect(readFileSync(path, 'utf8')).not.toContain('max-restarts');
    expect(readFileSync(path, 'utf8')).toContain('# inline note');
  });

  it('creates the file (and its folder) when absent', () => {
    const { env, path } = scratch();
    changeConfig(env, 'run.restart', 'always');
    expect(readFileSync(path, 'utf8')).toBe('run:\n  restart: always\n');
  });

  it('refuses a change that does not check, leaving the file byte for byte', () => {
    const { env, path } = scratch(original);
    for (const [key, value] of [
      ['run.restart', 'sometimes'],
      ['agents.claude.stall-timeout', '5x'],
      ['agents.claude.unattended', 'maybe'],
      ['daemon.boot-stagger', 'later'],
    ] as const) {
      expect(() => changeConfig(env, key, value)).toThrow(expect.objectContaining({ code: 'EUSAGE' }));
      expect(readFileSync(path, 'utf8')).toBe(original);
    }
    expect(() => changeConfig(env, 'run.restrat', 'always')).toThrow(/did you mean|restrat/);
    expect(() => changeConfig(env, 'agents.claud.model', 'x')).toThrow(
      expect.objectContaining({ code: 'EUSAGE' }),
    );
    expect(readFileSync(path, 'utf8')).toBe(original);
    expect(readdirSync(join(path, '..'))).toEqual(['config.yaml']);
  });

  it('writes through a linked config (a dotfiles checkout) and keeps the link', () => {
    const { dir, env, path } = scratch();
    mkdirSync(join(dir, 'holdfast'));
    writeFileSync(join(dir, 'real.yaml'), original);
    symlinkSync(join(dir, 'real.yaml'), path);
    changeConfig(env, 'run.restart', 'always');
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'real.yaml'), 'utf8')).toContain('restart: always # inline note');
  });
});
