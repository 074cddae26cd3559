import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { configPath, loadConfig, parseConfig } from './load.js';

/** A temporary folder of the test's own, removed when it ends. */
function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'hf-config-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('config file', () => {
  it('is found by HOLDFAST_CONFIG, then XDG_CONFIG_HOME, then ~/.config', () => {
    expect(configPath({ HOLDFAST_CONFIG: '/x/c.yaml', XDG_CONFIG_HOME: '/y' })).toBe('/x/c.yaml');
    expect(configPath({ XDG_CONFIG_HOME: '/y', HOME: '/h' })).toBe('/y/holdfast/config.yaml');
    expect(configPath({ HOME: '/h' })).toBe('/h/.config/holdfast/config.yaml');
  });

  it('is the built-in defaults when absent', () => {
    const dir = scratchDir();
    expect(loadConfig({ HOLDFAST_CONFIG: join(dir, 'none.yaml') })).toEqual({
      run: {},
      agents: {},
      daemon: {},
      notify: [],
    });
  });

  it('reads run defaults, agent defaults and sinks, secret-env as secretEnv', () => {
    const config = parseConfig(
      [
        'run:',
        '  restart: on-failure',
        '  log-max: 50MB',
        'agents:',
        '  claude: { model: opus, unattended: true, allow: ["Bash(npm test*)"] }',
        'notify:',
        '  - { type: webhook, url: "https://example.test/h", format: slack, secret-env: HOLDFAST_HOOK_SECRET, events: [failed] }',
        '  - { type: command, argv: [/bin/true] }',
        '',
      ].join('\n'),
      '/c.yaml',
    );
    expect(config.run).toEqual({ restart: 'on-failure', 'log-max': '50MB' });
    expect(config.agents.claude).toEqual({ model: 'opus', unattended: true, allow: ['Bash(npm test*)'] });
    expect(config.notify).toEqual([
      {
        type: 'webhook',
        url: 'https://example.test/h',
        format: 'slack',
        secretEnv: 'HOLDFAST_HOOK_SECRET',
        events: ['failed'],
      },
      { type: 'command', argv: ['/bin/true'] },
    ]);
  });

  it('names the file, the line and the key of a bad value', () => {
    const text = ['run:', '  restart: no', 'notify:', '  - type: webhook', '    url: ftp://x', ''].join('\n');
    expect(() => parseConfig(text, '/c.yaml')).toThrow(/^\/c\.yaml:5: notify\.0\.url: /);
  });

  it('refuses a secret-env the daemon would not have (not HOLDFAST_…)', () => {
    const text = [
      'notify:',
      '  - type: webhook',
      '    url: https://example.test/h',
      '    secret-env: HF_SECRET',
      '',
    ].join('\n');
    expect(() => parseConfig(text, '/c.yaml')).toThrow(
      /^\/c\.yaml:4: notify\.0\.secret-env: must name a HOLDFAST_/,
    );
  });

  it('names the line of an unknown key', () => {
    const text = ['agents:', '  claude:', '    modle: opus', ''].join('\n');
    expect(() => parseConfig(text, '/c.yaml')).toThrow(/^\/c\.yaml:3: agents\.claude: .*modle/);
  });

  it('names the line of a YAML syntax error', () => {
    const text = ['run:', '  restart: on-failure', '   bad: [', ''].join('\n');
    expect(() => parseConfig(text, '/c.yaml')).toThrow(/^\/c\.yaml:\d+: /);
  });

  it('refuses a duplicate key instead of keeping the last', () => {
    const dir = scratchDir();
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'run:\n  restart: no\n  restart: always\n');
    expect(() => loadConfig({ HOLDFAST_CONFIG: file })).toThrow(/c\.yaml:3: /);
  });
});
