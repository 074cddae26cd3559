import type { Command } from 'commander';
import { resumeTask } from '../../supervisor/control.js';
import { action } from '../action.js';
import { ensureDaemon } from '../daemon-client.js';
import { viewOf } from '../views.js';

export function register(program: Command): void {
  program
    .command('resume')
    .summary('run a stopped, failed or crash-looping task again (an agent continues its conversation)')
    .argument('<task>', 'task name')
    .option('--prompt <text>', 'for an agent: the prompt of the resumed session')
    .option('--now', 'resume a rate-limited task before its reset time')
    .option('--json', 'print the task as JSON')
    .action(
      action<{ prompt?: string; now?: boolean; json?: boolean }>(async (ctx, [name], options) => {
        const task = ctx.task(name!);
        await ctx.refresh();
        await resumeTask(ctx.rt, task.id, { prompt: options.prompt ?? null, now: Boolean(options.now) });
        await ensureDaemon(ctx);
        const view = viewOf(ctx, ctx.rt.store.tasks.byId(task.id)!);
        ctx.out.result(
          view,
          () => `resumed ${view.name} (run ${view.runs.at(-1)?.n}, pid ${view.pid ?? '?'})`,
        );
        return 0;
      }),
    );
}
