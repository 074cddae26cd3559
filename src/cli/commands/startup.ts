import { type Command, Option } from 'commander';
import { HoldfastError } from '../../core/errors.js';
import {
  CLI_PATH,
  installStartup,
  planStartup,
  type StartupMethod,
  uninstallStartup,
} from '../../supervisor/startup.js';
import { action } from '../action.js';

interface StartupOptions {
  print?: boolean;
  systemd?: boolean;
  cron?: boolean;
  uninstall?: boolean;
  user?: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('startup')
    .summary('start the daemon at boot: a systemd unit, or an @reboot crontab line (like pm2 startup)')
    .description(
      'Install what starts `holdfast daemon run` when the machine boots: a systemd user unit where ' +
        'systemd runs (a system unit with User= for --user NAME, as root), else an @reboot line in ' +
        'your crontab. The daemon then brings back what the reboot cut short.',
    )
    .option('--print', 'show what would be written and run; write nothing')
    .addOption(new Option('--systemd', 'a systemd unit (the default where systemd runs)').conflicts('cron'))
    .addOption(
      new Option('--cron', 'an @reboot crontab line (the default without systemd)').conflicts('systemd'),
    )
    .option('--uninstall', 'remove what startup installed for this home (only that)')
    .option('--user <name>', 'as root: a system unit running the daemon as this user')
    .option('--json', 'print the result as JSON')
    .action(
      action<StartupOptions>(async (ctx, _args, options) => {
        const env = process.env;
        const method: StartupMethod | null = options.systemd ? 'systemd' : options.cron ? 'cron' : null;
        const user = options.user ?? null;
        if (user !== null && !/^[a-z_][a-z0-9_-]*\$?$/i.test(user))
          throw new HoldfastError('EUSAGE', `--user: not a user name: ${JSON.stringify(user)}`);
        if (options.uninstall) {
          const r = uninstallStartup(env, method, user, options.print === true);
          ctx.out.result({ ...r, printed: options.print === true }, () => {
            if (r.removed.length === 0) return 'holdfast startup is not installed for this home';
            const what = r.commands.map((c) => `  ${c.join(' ')}`).join('\n');
            return options.print
              ? `would run:\n${what}`
              : `removed: ${r.removed.join(', ')}${r.path ? ` (${r.path})` : ''}`;
          });
          return 0;
        }
        const plan = planStartup({ env, method, user, node: process.execPath, cli: CLI_PATH });
        if (options.print) {
          ctx.out.result({ ...plan, printed: true }, () =>
            [
              plan.method === 'cron' ? '# the crontab line:' : `# ${plan.path}:`,
              plan.content.trimEnd(),
              '',
              '# then:',
              ...plan.commands.map((c) => c.join(' ')),
              ...plan.notes.map((n) => `# ${n}`),
            ].join('\n'),
          );
          return 0;
        }
        const r = installStartup(plan, env);
        ctx.out.result({ ...r, printed: false }, () =>
          [
            r.method === 'cron'
              ? `${r.changed ? 'installed' : 'already installed'}: an @reboot line in your crontab starts the daemon for ${r.home}`
              : `${r.changed ? 'wrote' : 'unchanged'} ${r.path}${r.started ? ' (enabled and started)' : ''}`,
            ...r.notes,
          ].join('\n'),
        );
        return 0;
      }),
    );
}
