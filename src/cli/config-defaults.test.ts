import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { inspectConfig } from '../config/load.js';
import * as run from './commands/run.js';
import { applyConfigDefaults, blameConfig, sectionsFor } from './config-defaults.js';

const PATH = '/cfg/config.yaml';

/** A parsed `holdfast run` (flags as typed) with the config's defaults applied, and the spec it builds. */
function plan(yaml: string, argv: string[], args = argv.includes('--agent') ? [] : ['true']) {
  const { config, problems, lineOf } = inspectConfig(yaml, PATH);
  expect(problems).toEqual([]);
  const program = new Command('holdfast').enablePositionalOptions().exitOverride();
  run.register(program);
  const command = program.commands[0]!.exitOverride();
  command.parseOptions(argv);
  const applied = applyConfigDefaults(
    command,
    { path: PATH, lineOf },
    sectionsFor(config!, command.getOptionValue('agent') as string | undefined),
  );
  const options = command.opts() as run.RunOptions;
  try {
    return { options, ...run.planRun(args, options, 0o022) };
  } catch (error) {
    throw blameConfig(error, command, applied);
  }
}

const lines = (...l: string[]) => `${l.join('\n')}\n`;

describe('config defaults for run, by flag name', () => {
  it('a flag beats the config, the config beats the built-in default', () => {
    const yaml = lines('run:', '  restart: always', '  max-restarts: 3', '  stall-timeout: 90s');
    expect(plan(yaml, []).spec.restart).toMatchObject({ mode: 'always', maxRestarts: 3 });
    expect(plan(yaml, []).spec.stallTimeoutMs).toBe(90_000);
    const flagged = plan(yaml, ['--restart', 'on-failure', '--stall-timeout', '5s']).spec;
    expect(flagged.restart).toMatchObject({ mode: 'on-failure', maxRestarts: 3 });
    expect(flagged.stallTimeoutMs).toBe(5000);
    expect(plan('', []).spec.restart).toMatchObject({ mode: 'no', maxRestarts: null });
    expect(plan('', []).spec.stallTimeoutMs).toBeNull();
  });

  it("an agent's section beats run: for that agent only", () => {
    const yaml = lines(
      'run:',
      '  stall-timeout: 5m',
      '  model: sonnet',
      'agents:',
      '  claude: { stall-timeout: 30m, model: opus, unattended: true }',
    );
    const claude = plan(yaml, ['--agent', 'claude']).spec;
    expect(claude.stallTimeoutMs).toBe(30 * 60_000);
    expect(claude.agent).toMatchObject({ kind: 'claude', model: 'opus', unattended: true });
    const codex = plan(yaml, ['--agent', 'codex']).spec;
    expect(codex.stallTimeoutMs).toBe(5 * 60_000);
    expect(codex.agent).toMatchObject({ kind: 'codex', model: 'sonnet', unattended: false });
    // An agent's flags in run: are defaults for agent tasks: a command task is not refused for them.
    expect(plan(yaml, []).spec).toMatchObject({ stallTimeoutMs: 5 * 60_000, agent: null });
    expect(plan(yaml, ['--agent', 'claude', '--model', 'haiku']).spec.agent?.model).toBe('haiku');
  });

  it('a boolean flag the config turns on is turned off by --no-<flag>; no-daemon by its own name', () => {
    const yaml = lines('run:', '  no-daemon: true', 'agents:', '  claude: { unattended: true }');
    expect(plan(yaml, ['--agent', 'claude']).spec.agent?.unattended).toBe(true);
    expect(plan(yaml, ['--agent', 'claude', '--no-unattended']).spec.agent?.unattended).toBe(false);
    expect(plan(yaml, []).options.daemon).toBe(false);
    expect(plan(lines('run:', '  no-daemon: false'), []).options.daemon).toBe(true);
    expect(plan('', []).options.daemon).toBe(true);
  });

  it('goes through the same parsing as the flag: an error names the file, the line and the key', () => {
    // Refused by commander's choices, as the flag is.
    expect(() => plan(lines('run:', '  max-restarts: 2', '  restart: sometimes'), [])).toThrow(
      /^\/cfg\/config\.yaml:3: run\.restart: expected one of no, on-failure, always, got "sometimes"$/,
    );
    // Refused by run's own validation (--stall-timeout's parser), said of the config.
    expect(() => plan(lines('agents:', '  codex:', '    stall-timeout: 5x'), ['--agent', 'codex'])).toThrow(
      /^\/cfg\/config\.yaml:3: agents\.codex\.stall-timeout: expected a duration like 500ms/,
    );
    expect(() => plan(lines('run:', '  crash-loop: 5'), [])).toThrow(
      /^\/cfg\/config\.yaml:2: run\.crash-loop: expected COUNT\/WINDOW/,
    );
    // The same value given as a flag is the flag's error.
    expect(() => plan('', ['--crash-loop', '5'])).toThrow(/^--crash-loop: expected COUNT\/WINDOW/);
    expect(() => plan(lines('run:', '  unattended: yes please'), ['--agent', 'claude'])).toThrow(
      /^\/cfg\/config\.yaml:2: run\.unattended: expected true or false/,
    );
    expect(() => plan(lines('run:', '  restart: [always, no]'), [])).toThrow(
      /^\/cfg\/config\.yaml:2: run\.restart: expected one value/,
    );
  });

  it('an unknown run: key is an error with the nearest flag; per-task flags cannot be set', () => {
    expect(() => plan(lines('run:', '  restart: always', '  max-restart: 3'), [])).toThrow(
      /^\/cfg\/config\.yaml:3: run\.max-restart: not an option of holdfast run; did you mean max-restarts\?$/,
    );
    expect(() => plan(lines('run:', '  name: web'), [])).toThrow(
      /^\/cfg\/config\.yaml:2: run\.name: --name is given per task/,
    );
  });

  it('approval rules add up: run:, then the agent section, then the flags; deny rules kept', () => {
    const yaml = lines(
      'run:',
      '  deny: ["Bash(git push*)"]',
      'agents:',
      '  claude:',
      '    allow: ["Bash(npm test*)"]',
      '    deny: ["Bash(rm *)"]',
    );
    const { policy } = plan(yaml, ['--agent', 'claude', '--interactive', '--allow', 'Edit(src/**)']);
    expect(policy).toEqual({
      allow: ['Bash(npm test*)', 'Edit(src/**)'],
      deny: ['Bash(git push*)', 'Bash(rm *)'],
    });
    // A headless agent answers no approvals: the config's rules are not applied (and not refused).
    expect(plan(yaml, ['--agent', 'claude']).policy).toBeNull();
    expect(() =>
      plan(lines('agents:', '  claude:', '    allow: [Bash, "Bash("]'), [
        '--agent',
        'claude',
        '--interactive',
      ]),
    ).toThrow(/^\/cfg\/config\.yaml:3: agents\.claude\.allow: /);
  });

  it('covers a flag added to run later with no code of its own (as other flags will be)', () => {
    const { config, lineOf } = inspectConfig(
      lines('run:', '  future-count: 7', '  future-size: 10MB', '  keep-runs: 3'),
      PATH,
    );
    const program = new Command('holdfast').enablePositionalOptions().exitOverride();
    run.register(program);
    const command = program.commands[0]!.exitOverride();
    command.option('--future-count <n>', 'a count', '20').option('--future-size <size>', 'a size');
    command.parseOptions(['--future-size', '1MB']);
    applyConfigDefaults(command, { path: PATH, lineOf }, sectionsFor(config!, undefined));
    expect(command.opts()).toMatchObject({ futureCount: '7', futureSize: '1MB', keepRuns: '3' });
    expect(command.getOptionValueSource('futureCount')).toBe('config');
    expect(command.getOptionValueSource('futureSize')).toBe('cli');
    expect(command.getOptionValueSource('keepRuns')).toBe('config');
  });
});
