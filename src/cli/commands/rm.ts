import type { Command } from 'commander';
import { deleteCheckpointRefs, findCheckpointRefs } from '../../checkpoint/index.js';
import { HoldfastError } from '../../core/errors.js';
import { FINAL_STATES, type TaskRecord } from '../../core/task.js';
import { discardTask } from '../../supervisor/create.js';
import { escalateStop, requestStop } from '../../supervisor/stop.js';
import { type RetiredWorktree, retireWorktree } from '../../supervisor/worktree.js';
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
        const worktrees: RetiredWorktree[] = [];
        const lines: string[] = [];
        for (const task of tasks) {
          let removed: RetiredWorktree | null;
          let found: Awaited<ReturnType<typeof findCheckpointRefs>>;
          // The refs live in the shared repository, found from the user's tree whatever became of the worktree.
          const repo = task.spec.worktree?.repo ?? task.spec.cwd;
          let keep = Boolean(options.keepCheckpoints);
          try {
            // Before the task goes: a git failure here leaves the task to retry, its work in place.
            removed = await retireWorktree(ctx.rt, task);
            // A checkpoint that holds a worktree's uncommitted work is kept with its ref.
            keep ||= removed?.checkpoint != null;
            found = keep
              ? await findCheckpointRefs(repo, task.name).catch(() => null)
              : await removeCheckpoints(repo, task.name);
          } catch (error) {
            if (!(error instanceof HoldfastError)) throw error;
            failed.push({ name: task.name, error });
            continue;
          }
          await discardTask(ctx.rt, ctx.rt.store.tasks.byId(task.id) ?? task);
          lines.push(`removed ${task.name}`);
          if (removed) {
            worktrees.push(removed);
            lines.push(...worktreeLines(removed));
          }
          if (!found) continue;
          checkpoints.push({
            task: task.name,
            repo: found.top,
            refs: found.refs.map((r) => r.name),
            count: found.checkpoints,
            kept: keep,
          });
          const what = `${plural(found.checkpoints, 'checkpoint')} of ${task.name}`;
          lines.push(
            keep ? `kept ${what} in ${found.top} (${found.prefix}…)` : `removed ${what} (${found.prefix}…)`,
          );
        }
        for (const { error } of failed) ctx.out.problem(error);
        ctx.out.result(
          {
            removed: tasks.filter((t) => !failed.some((f) => f.name === t.name)).map((t) => t.name),
            checkpoints,
            // Only for --worktree tasks, so the shape of every other rm stays as it was.
            ...(worktrees.length > 0 ? { worktrees } : {}),
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

export function worktreeLines(w: RetiredWorktree): string[] {
  const lines = [`removed worktree ${w.path}`];
  if (w.branchDeleted) lines.push(`deleted branch ${w.branch} (no commits beyond ${w.base.slice(0, 12)})`);
  else if (w.ahead > 0)
    lines.push(
      `kept branch ${w.branch}: ${plural(w.ahead, 'commit')} beyond ${w.base.slice(0, 12)}` +
        (w.unique > 0 ? `, ${w.unique} of them on no other branch, tag or remote` : ''),
    );
  else lines.push(`kept branch ${w.branch} (where the saved work began)`);
  if (w.checkpoint !== null)
    lines.push(
      `uncommitted work saved in checkpoint ${w.checkpoint.slice(0, 12)} (refs/holdfast/${w.task}/checkpoints); get it back: git -C ${w.repo} worktree add <dir> ${w.checkpoint.slice(0, 12)}`,
    );
  return lines;
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
