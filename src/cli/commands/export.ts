import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { HoldfastError } from '../../core/errors.js';
import { action } from '../action.js';
import { loadConfigFile } from '../config-defaults.js';
import { entryOf } from '../fleet-entry.js';

interface ExportOptions {
  file?: string;
  force?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('export')
    .summary('write a holdfast.yaml that declares the tasks there are now (holdfast up applies it)')
    .option('-f, --file <file>', 'write it there (default: standard output)')
    .option('--force', 'replace the file if it exists')
    .option('--json', 'print the entries as JSON')
    .action(
      action<ExportOptions>((ctx, _args, options) => {
        const rt = ctx.rt;
        // A mission's session tasks are the mission's to make; they are not declared one by one.
        const tasks = rt.store.tasks.all().filter((t) => t.spec.mission === null);
        // With defaults in the config file, a key left out would take the config's value on up, not
        // the built-in one: then every key is written, so up of the file changes nothing.
        const config = loadConfigFile().config;
        const all = Object.keys(config.run).length > 0 || Object.keys(config.agents).length > 0;
        const entries = Object.fromEntries(
          tasks.map((t) => [t.name, entryOf(t.name, t.spec, promptOf(rt.paths.taskDir(t.name)), { all })]),
        );
        const text = `# holdfast export, ${new Date(rt.now()).toISOString()}: apply it with holdfast up -f <this file>\n${stringify({ version: 1, tasks: entries })}`;
        if (options.file === undefined) {
          ctx.out.result({ tasks: entries }, () => text.trimEnd());
          return 0;
        }
        const path = resolve(options.file);
        if (existsSync(path) && !options.force)
          throw new HoldfastError('EDUPLICATE', `${path} exists`, { hint: 'pass --force to replace it' });
        // Written whole under another name and renamed: a reader never sees half of it.
        const temp = `${path}.${process.pid}.tmp`;
        writeFileSync(temp, text, { mode: 0o644 });
        renameSync(temp, path);
        ctx.out.result(
          { file: path, tasks: Object.keys(entries) },
          () => `wrote ${path}: ${tasks.length} tasks`,
        );
        return 0;
      }),
    );
}

function promptOf(dir: string): string | null {
  try {
    return readFileSync(resolve(dir, 'prompt.txt'), 'utf8');
  } catch {
    return null;
  }
}
