import type { Command } from 'commander';
import { stringify } from 'yaml';
import { formatProblem, problemError, readConfigFile } from '../../config/load.js';
import { HoldfastError } from '../../core/errors.js';
import { action } from '../action.js';
import { changeConfig, checkConfig, configValue } from '../config-file.js';

function show(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? stringify(value).trimEnd() : String(value);
}

export function register(program: Command): void {
  const config = program
    .command('config')
    .summary('the config file: defaults for run, per-agent defaults, daemon settings, notification sinks');

  config
    .command('path')
    .summary('where the config file is ($HOLDFAST_CONFIG, else $XDG_CONFIG_HOME/holdfast/config.yaml)')
    .option('--json', 'print {path, exists} as JSON')
    .action(
      action<{ json?: boolean }>((ctx) => {
        const file = readConfigFile();
        ctx.out.result({ path: file.path, exists: file.exists }, () =>
          file.exists ? file.path : `${file.path} (not there: the built-in defaults apply)`,
        );
        return 0;
      }),
    );

  config
    .command('get')
    .summary('the effective value of a key (run.restart, agents.claude.model, …); no key: the whole config')
    .argument('[key]', 'a dotted key: run.<flag>, agents.<kind>.<key>, daemon.boot-stagger, notify')
    .option('--json', 'print {key, value, from} as JSON')
    .action(
      action<{ json?: boolean }>((ctx, [key]) => {
        const file = readConfigFile();
        const problem = file.problems[0];
        if (problem !== undefined) throw problemError(problem);
        const result = configValue(file, key);
        ctx.out.result(key === undefined ? result.value : result, () => show(result.value));
        if (!ctx.out.json && result.from === null)
          ctx.out.warn(`${key} is not set`, 'holdfast run --help says its default');
        return 0;
      }),
    );

  config
    .command('set')
    .summary('set a key in the config file (comments and other keys kept; checked before it is written)')
    .argument('<key>', 'a dotted key: run.<flag>, agents.<kind>.<key>, daemon.boot-stagger, notify')
    .argument('<value>', 'the value, in YAML: on-failure, 30m, true, [a, b]')
    .option('--json', 'print {key, value, path} as JSON')
    .action(
      action<{ json?: boolean }>((ctx, [key, value]) => {
        const result = changeConfig(process.env, key!, value!);
        ctx.out.result(
          { key, value: result.value, path: result.path },
          () => `set ${key}: ${value} in ${result.path}`,
        );
        return 0;
      }),
    );

  config
    .command('unset')
    .summary('remove a key from the config file (comments and other keys kept)')
    .argument('<key>', 'a dotted key')
    .option('--json', 'print {key, changed, path} as JSON')
    .action(
      action<{ json?: boolean }>((ctx, [key]) => {
        const result = changeConfig(process.env, key!, undefined);
        ctx.out.result({ key, changed: result.changed, path: result.path }, () =>
          result.changed ? `removed ${key} from ${result.path}` : `${key} was not set in ${result.path}`,
        );
        return 0;
      }),
    );

  config
    .command('check')
    .summary('check the config file: every value through the parsers holdfast run uses (exit 1 on a problem)')
    .option('--json', 'print {path, exists, ok, problems} as JSON')
    .action(
      action<{ json?: boolean }>((ctx) => {
        const file = readConfigFile();
        const problems = checkConfig(file);
        ctx.out.result({ path: file.path, exists: file.exists, ok: problems.length === 0, problems }, () =>
          problems.length === 0
            ? `${file.path}: ok${file.exists ? '' : ' (not there: the built-in defaults apply)'}`
            : '',
        );
        if (!ctx.out.json)
          for (const problem of problems)
            ctx.out.problem(new HoldfastError('ECONFIG', formatProblem(problem)));
        return problems.length === 0 ? 0 : 1;
      }),
    );
}
