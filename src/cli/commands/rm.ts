import type { Command } from 'commander';
import { deleteCheckpointRefs, findCheckpointRefs } from '../../checkpoint/index.js';
import { HoldfastError } from '../../core/errors.js';
import { FINAL_STATES, type TaskRecord } from '../../core/task.js';
import { discardTask } from '../../supervisor/create.js';
import { escalateStop, requestStop } from '../../supervisor/stop.js';
import { action } from '../action.js';
import { errorFields } from '../envelope.js';
import { plural } from '../plural.js';

interface RemovedCheckpoints {
  task: string;
  repo: string;
  refs: string[];
  count: number;
  kept: boolean;
}

export function register(program: Command): void {
  program
    .command('rm')
    .alias('remove')
    .summary('forget finished or stopped tasks and delete their files and checkpoints')
    .argument('<tasks...>', 'task names')
    .option('-f, --force', 'stop a live task first (SIGKILL after 2s)')
    .option('--keep-checkpoints', "keep the task's refs/holdfast/<task>/… refs in its repository")
    .option('--json', 'print the removed names as JSON')
    .action(
      action<{ force?: boolean; keepCheckpoints?: boolean; json?: boolean }>(async (ctx, names, options) => {
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
        const checkpoints: RemovedCheckpoints[] = [];
        const lines: string[] = [];
        for (const task of tasks) {
          const found = options.keepCheckpoints
            ? await findCheckpointRefs(task.spec.cwd, task.name).catch(() => null)
            : await removeCheckpoints(task.spec.cwd, task.name);
          await discardTask(ctx.rt, ctx.rt.store.tasks.byId(task.id) ?? task);
          lines.push(`removed ${task.name}`);
          if (!found) continue;
          checkpoints.push({
            task: task.name,
            repo: found.top,
            refs: found.refs.map((r) => r.name),
            count: found.checkpoints,
            kept: Boolean(options.keepCheckpoints),
          });
          const what = `${plural(found.checkpoints, 'checkpoint')} of ${task.name}`;
          lines.push(
            options.keepCheckpoints
              ? `kept ${what} in ${found.top} (${found.prefix}…)`
              : `removed ${what} (${found.prefix}…)`,
          );
        }
        for (const { error } of failed) ctx.out.problem(error);
        ctx.out.result(
          {
            removed: tasks.map((t) => t.name),
            checkpoints,
            ...(failed.length > 0
              ? {
                  failed: failed.map(({ name, error }) => ({ name, ...errorFields(error) })),
                }
              : {}),
          },
          () => lines.join('\n'),
        );
        return failed.length > 0 ? 1 : 0;
      }),
    );
}

/** Deletes the task's refs before the task itself, so a git failure leaves the task there to retry. */
async function removeCheckpoints(cwd: string, task: string) {
  try {
    const found = await findCheckpointRefs(cwd, task);
    if (found) await deleteCheckpointRefs(found);
    return found;
  } catch (error) {
    if (!(error instanceof HoldfastError)) throw error;
    throw new HoldfastError('EGIT', `${task} not removed: ${error.message}`, {
      hint: `holdfast rm --keep-checkpoints ${task} removes it and leaves its refs/holdfast/${task}/ refs`,
    });
  }
}
