import type { Command } from 'commander';
import { HoldfastError } from '../../core/errors.js';
import { FINAL_STATES, type TaskRecord } from '../../core/task.js';
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
        // Each name on its own: the ones that can go, go; each one that cannot is reported.
        const failed: { name: string; error: HoldfastError }[] = [];
        const tasks: TaskRecord[] = [];
        for (const name of new Set(names)) {
          try {
            const task = ctx.task(name);
            if (!FINAL_STATES.has(task.state) && !options.force) {
              throw new HoldfastError('ELIVE', `${task.name} is still live`, {
                hint: `stop it first (holdfast stop ${task.name}) or pass --force`,
              });
            }
            tasks.push(task);
          } catch (error) {
            if (!(error instanceof HoldfastError)) throw error;
            failed.push({ name, error });
          }
        }
        const live = tasks.filter((t) => !FINAL_STATES.has(t.state));
        for (const task of live) {
          requestStop(ctx.rt, task.id, { timeoutMs: 2000 });
          await escalateStop(ctx.rt, task.id, 2000);
        }
        for (const task of tasks) await discardTask(ctx.rt, ctx.rt.store.tasks.byId(task.id) ?? task);
        for (const { error } of failed) ctx.out.problem(error);
        ctx.out.result(
          {
            removed: tasks.map((t) => t.name),
            ...(failed.length > 0
              ? {
                  failed: failed.map(({ name, error }) => ({
                    name,
                    code: error.code,
                    message: error.message,
                    hint: error.hint ?? null,
                  })),
                }
              : {}),
          },
          () => tasks.map((t) => `removed ${t.name}`).join('\n'),
        );
        return failed.length > 0 ? 1 : 0;
      }),
    );
}
