import type { Command } from 'commander';
import { parseDuration } from '../../core/duration.js';
import { HoldfastError } from '../../core/errors.js';
import { FINAL_STATES } from '../../core/task.js';
import { escalateStop, requestStop } from '../../supervisor/stop.js';
import { action } from '../action.js';

export function register(program: Command): void {
  program
    .command('killall')
    .summary("stop every holdfast task (never touches the user's own tmux)")
    .option('--yes', 'confirm')
    .option('-t, --timeout <duration>', 'time before SIGKILL', '10s')
    .option('--json', 'print the stopped names as JSON')
    .action(
      action<{ yes?: boolean; timeout: string; json?: boolean }>(async (ctx, _args, options) => {
        if (!options.yes) {
          throw new HoldfastError('EUSAGE', 'killall stops every task: pass --yes to confirm');
        }
        const timeoutMs = parseDuration(options.timeout, '--timeout');
        await ctx.refresh();
        const targets = ctx.rt.store.tasks.all().filter((t) => !FINAL_STATES.has(t.state));
        await Promise.all(
          targets.map(async (task) => {
            requestStop(ctx.rt, task.id, { timeoutMs });
            await escalateStop(ctx.rt, task.id, timeoutMs);
          }),
        );
        const names = targets.map((t) => t.name);
        ctx.out.result({ stopped: names }, () =>
          names.length ? names.map((n) => `stopped ${n}`).join('\n') : 'nothing was running',
        );
        return 0;
      }),
    );
}
