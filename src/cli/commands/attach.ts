import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { HoldfastError } from '../../core/errors.js';
import { action } from '../action.js';

export function register(program: Command): void {
  program
    .command('attach')
    .summary("attach your terminal to a task's tmux session (detach: Ctrl-b d)")
    .argument('<task>', 'task name')
    .option('-r, --read-only', 'watch without being able to type')
    .action(
      action<{ readOnly?: boolean }>(async (ctx, [name], options) => {
        const task = ctx.task(name!);
        if (!process.stdin.isTTY || !process.stdout.isTTY) {
          throw new HoldfastError('ENOTTY', 'attach needs a terminal (stdin and stdout must be a tty)', {
            hint: `read the output instead: holdfast follow ${task.name}`,
          });
        }
        if (!(await ctx.rt.tmux.hasSession(task.name))) {
          throw new HoldfastError('ESTATE', `${task.name} has no tmux session (state ${task.state})`, {
            hint: `holdfast log ${task.name} shows what it wrote`,
          });
        }
        const [bin, ...argv] = ctx.rt.tmux.attachArgv(task.name, Boolean(options.readOnly));
        const result = spawnSync(bin!, argv, { stdio: 'inherit', env: ctx.rt.tmux.environment });
        return result.status ?? 1;
      }),
    );
}
