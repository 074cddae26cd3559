import { readdirSync } from 'node:fs';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandsFor } from './index.js';

describe('the command table', () => {
  it.each(COMMANDS.map((c) => [c.names.join(', '), c] as const))(
    'names exactly what its module registers: %s',
    async (_label, entry) => {
      const program = new Command('holdfast').enablePositionalOptions();
      (await entry.load()).register(program);
      expect(program.commands.flatMap((c) => [c.name(), ...c.aliases()]).sort()).toEqual(
        [...entry.names].sort(),
      );
    },
  );

  it('lists every command module in this folder (a module left out would be no command at all)', async () => {
    const loaded = new Set(await Promise.all(COMMANDS.map((c) => c.load())));
    const files = readdirSync(import.meta.dirname).filter(
      (f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'index.ts',
    );
    const modules = await Promise.all(
      files.map(async (file) => ({
        file,
        module: (await import(`./${file.replace(/\.ts$/, '.js')}`)) as { register?: unknown },
      })),
    );
    const commands = modules.filter(({ module }) => typeof module.register === 'function');
    expect(commands.length).toBeGreaterThan(25);
    expect(commands.filter(({ module }) => !loaded.has(module as never)).map(({ file }) => file)).toEqual([]);
  });

  it('names each command once', () => {
    const names = COMMANDS.flatMap((c) => c.names);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('commandsFor', () => {
  const argv = (...words: string[]) => ['node', 'holdfast', ...words];
  const ls = COMMANDS.find((c) => c.names.includes('ls'));

  it('loads nothing for --version and -V', () => {
    expect(commandsFor(argv('--version'))).toEqual([]);
    expect(commandsFor(argv('-V'))).toEqual([]);
  });

  it('loads the one module of the command named first, by its name or an alias', () => {
    expect(commandsFor(argv('ls', '--json'))).toEqual([ls]);
    expect(commandsFor(argv('list'))).toEqual([ls]);
    expect(commandsFor(argv('restore', 'x'))).toEqual([COMMANDS.find((c) => c.names.includes('checkpoint'))]);
  });

  it('loads every module for help, no command, or a word that is no command', () => {
    for (const words of [[], ['--help'], ['-h'], ['help', 'ls'], ['lss'], ['--json', 'ls']])
      expect(commandsFor(argv(...words))).toBe(COMMANDS);
  });
});
