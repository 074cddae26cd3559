import type { Command } from 'commander';
import { HoldfastError } from '../../core/errors.js';
import { FINAL_STATES } from '../../core/task.js';
import { discardTask } from '../../supervisor/create.js';
import { escalateStop, requestStop } from '../../supervisor/stop.js';
import { action } from '../action.js';

export function register(program: Command): void {
  program
    .command('rm')
    .alias('remove')
    .summary('forget finished or stopped tasks and delete their files')
    .argument('<tasks...>', 'task names')
    .option('-f, --force', 'stop a live task first (SIGKILL after 2s)')
    .option('--json', 'print the removed names as JSON')
    .action(
      action<{ force?: boolean; json?: boolean }>(async (ctx, names, options) => {
        await ctx.refresh();
        const tasks = names.map((name) => ctx.task(name));
        const live = tasks.filter((t) => !FINAL_STATES.has(t.state));
        if (live.length > 0 && !options.force) {
          throw new HoldfastError(
            'ELIVE',
            `${live.map((t) => t.name).join(', ')} ${live.length === 1 ? 'is' : 'are'} still live`,
            {
              hint: `stop first (holdfast stop ${live[0]!.name}) or pass --force`,
            },
          );
        }
        for (const task of live) {
          requestStop(ctx.rt, task.id, { timeoutMs: 2000 });
          await escalateStop(ctx.rt, task.id, 2000);
        }
        for (const task of tasks) await discardTask(ctx.rt, ctx.rt.store.tasks.byId(task.id) ?? task);
        ctx.out.result({ removed: tasks.map((t) => t.name) }, () =>
          tasks.map((t) => `removed ${t.name}`).join('\n'),
        );
        return 0;
      }),
    );
}
