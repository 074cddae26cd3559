import type { Command } from 'commander';
import { type ConfigFile, formatProblem, readConfigFile } from '../../config/load.js';
import { type Check, runDoctor } from '../../supervisor/doctor.js';
import { check } from '../../supervisor/doctor-check.js';
import { action } from '../action.js';
import { checkConfig } from '../config-file.js';
import { daemonDisabled } from '../daemon-client.js';
import { pc } from '../format.js';

export function register(program: Command): void {
  program
    .command('doctor')
    .summary(
      'check tmux, git, the agent CLIs, the daemon, the store and the home; --fix removes orphan panes',
    )
    .option('--fix', 'remove panes holdfast stamped whose task is gone (never a pane it did not stamp)')
    .option('--json', 'print the checks as JSON')
    .action(
      action<{ fix?: boolean; json?: boolean }>(async (ctx, _args, options) => {
        // Not ctx.rt: opening the runtime migrates the store and throws on a corrupt one, which is
        // exactly what doctor must report instead.
        const config = readConfigFile(process.env);
        const checks = await runDoctor({
          home: ctx.home,
          env: process.env,
          now: Date.now(),
          fix: Boolean(options.fix),
          daemonDisabled: daemonDisabled(),
          sinks: config.config?.notify ?? [],
        });
        checks.push(configCheck(config));
        const failed = checks.filter((c) => c.status === 'fail').length;
        const warned = checks.filter((c) => c.status === 'warn').length;
        ctx.out.result({ ok: failed === 0, failed, warned, checks }, () =>
          renderChecks(checks, failed, warned),
        );
        return failed === 0 ? 0 : 1;
      }),
    );
}

/** The config file: absent (the built-in defaults), good, or its first problem by line. */
function configCheck(file: ConfigFile): Check {
  if (!file.exists) return check('config', 'skip', `no config file at ${file.path} (built-in defaults)`);
  const problems = checkConfig(file);
  if (problems.length === 0) return check('config', 'ok', file.path);
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return check(
    'config',
    'fail',
    `${formatProblem(problems[0]!)}${more}`,
    'holdfast config check lists them all',
  );
}

const MARK: Record<Check['status'], string> = {
  ok: pc.green('ok  '),
  warn: pc.yellow('warn'),
  fail: pc.red('FAIL'),
  skip: pc.dim('skip'),
};

export function renderChecks(checks: readonly Check[], failed: number, warned: number): string {
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines = checks.flatMap((c) => [
    `${MARK[c.status]}  ${c.name.padEnd(width)}  ${c.detail}`,
    ...(c.fixed ? [`      ${' '.repeat(width)}  fixed: ${c.fixed}`] : []),
    ...(c.hint && (c.status === 'warn' || c.status === 'fail')
      ? [`      ${' '.repeat(width)}  hint: ${c.hint}`]
      : []),
  ]);
  lines.push(
    failed === 0
      ? `doctor: nothing failed${warned ? ` (${warned} warning${warned === 1 ? '' : 's'})` : ''}`
      : `doctor: ${failed} failed, ${warned} warned`,
  );
  return lines.join('\n');
}
