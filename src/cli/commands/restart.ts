import type { Command } from 'commander';
import { parseDuration } from '../../core/duration.js';
import { restartTask } from '../../supervisor/control.js';
import { viewOf } from '../../views/tasks.js';
import { action } from '../action.js';
import { ensureDaemon } from '../daemon-client.js';

export function register(program: Command): void {
  program
    .command('restart')
    .summary('stop a task (if running) and start a new run in the same tmux session')
    .argument('<tasks...>', 'task names')
    .option('-t, --timeout <duration>', 'time before SIGKILL when stopping the current run', '10s')
    .option('--json', 'print the tasks as JSON')
    .action(
      action<{ timeout: string; json?: boolean }>(async (ctx, names, options) => {
        const timeoutMs = parseDuration(options.timeout, '--timeout');
        const tasks = names.map((name) => ctx.task(name));
        await ctx.refresh();
        for (const task of tasks) await restartTask(ctx.rt, task.id, timeoutMs);
        await ensureDaemon(ctx);
        const views = tasks.map((t) => viewOf(ctx.rt, ctx.rt.store.tasks.byId(t.id)!));
        ctx.out.result(views, () =>
          views.map((v) => `restarted ${v.name} (run ${v.runs.at(-1)?.n}, pid ${v.pid ?? '?'})`).join('\n'),
        );
        return 0;
      }),
    );
}
