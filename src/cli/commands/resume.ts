import type { Command } from 'commander';
import { resumeTask } from '../../supervisor/control.js';
import { viewOf } from '../../views/tasks.js';
import { action } from '../action.js';
import { ensureDaemon } from '../daemon-client.js';

export function register(program: Command): void {
  program
    .command('resume')
    .summary(
      'run a stopped, failed, crash-looping or waiting task again (an agent continues its conversation)',
    )
    .argument('<task>', 'task name')
    .option('--prompt <text>', 'for an agent: the prompt of the resumed session')
    .option('--now', 'resume a rate-limited task before its reset time')
    .option('--unattended', 'for an agent: let it act without asking (its own bypass flag) from now on')
    .option('--json', 'print the task as JSON')
    .action(
      action<{ prompt?: string; now?: boolean; unattended?: boolean; json?: boolean }>(
        async (ctx, [name], options) => {
          const task = ctx.task(name!);
          await ctx.refresh();
          await resumeTask(ctx.rt, task.id, {
            prompt: options.prompt ?? null,
            now: Boolean(options.now),
            unattended: Boolean(options.unattended),
          });
          await ensureDaemon(ctx);
          const view = viewOf(ctx.rt, ctx.rt.store.tasks.byId(task.id)!);
          ctx.out.result(
            view,
            () => `resumed ${view.name} (run ${view.runs.at(-1)?.n}, pid ${view.pid ?? '?'})`,
          );
          return 0;
        },
      ),
    );
}
