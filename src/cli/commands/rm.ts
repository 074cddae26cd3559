import type { Command } from 'commander';
import {
  deleteCheckpointRefs,
  findCheckpointRefs,
  removeWorktree,
  takeCheckpoint,
  worktreeState,
} from '../../checkpoint/index.js';
import { HoldfastError } from '../../core/errors.js';
import { FINAL_STATES, type TaskRecord, type WorktreeSpec } from '../../core/task.js';
import { discardTask } from '../../supervisor/create.js';
import { escalateStop, requestStop } from '../../supervisor/stop.js';
import { action } from '../action.js';
import type { Context } from '../context.js';
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
        const worktrees: RemovedWorktree[] = [];
        const lines: string[] = [];
        for (const task of tasks) {
          let removed: RemovedWorktree | null;
          try {
            // Before the task goes: a git failure here leaves the task to retry, its work in place.
            removed = task.spec.worktree ? await saveWorktreeWork(ctx, task, task.spec.worktree) : null;
          } catch (error) {
            if (!(error instanceof HoldfastError)) throw error;
            failed.push({ name: task.name, error });
            continue;
          }
          // The refs live in the shared repository, reachable from the user's tree whatever became of the worktree.
          const repo = task.spec.worktree?.repo ?? task.spec.cwd;
          const keep = options.keepCheckpoints || removed?.checkpoint != null;
          let found: Awaited<ReturnType<typeof findCheckpointRefs>>;
          try {
            found = keep
              ? await findCheckpointRefs(repo, task.name).catch(() => null)
              : await removeCheckpoints(repo, task.name);
            if (removed && task.spec.worktree) {
              Object.assign(
                removed,
                await removeWorktree(task.spec.worktree, { keepBranch: removed.checkpoint !== null }),
              );
            }
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
            worktrees,
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

/** What `rm` did with a `--worktree` task's worktree and branch, and where its work is now. */
interface RemovedWorktree {
  task: string;
  path: string;
  repo: string;
  branch: string;
  base: string;
  removed: boolean;
  branchDeleted: boolean;
  /** Commits on the branch beyond base, and of those the ones no other ref holds. */
  ahead: number;
  unique: number;
  /** The checkpoint that now holds what was not committed (kept with its ref), or null when there was nothing. */
  checkpoint: string | null;
}

/**
 * Makes the worktree safe to remove: what is not committed goes into a checkpoint first (whose
 * refs `rm` then keeps, with the branch). The worktree itself is removed after the refs are dealt with.
 */
async function saveWorktreeWork(
  ctx: Context,
  task: TaskRecord,
  worktree: WorktreeSpec,
): Promise<RemovedWorktree> {
  const state = await worktreeState(worktree);
  let checkpoint: string | null = null;
  if (state.present && state.dirty > 0) {
    const run = ctx.rt.store.runs.forTask(task.id).at(-1)?.n ?? 0;
    const taken = await takeCheckpoint({
      cwd: worktree.path,
      task: task.name,
      run,
      sessionId: task.sessionId,
      now: ctx.rt.now(),
      reason: 'removed',
    });
    if (taken.status === 'created' || taken.status === 'unchanged') checkpoint = taken.commit;
    else if (taken.status === 'not-a-repo') {
      throw new HoldfastError('EGIT', `${task.name} not removed: ${worktree.path} cannot be checkpointed`);
    }
  }
  return {
    task: task.name,
    path: worktree.path,
    repo: worktree.repo,
    branch: worktree.branch,
    base: worktree.base,
    removed: false,
    branchDeleted: false,
    ahead: state.ahead,
    unique: state.unique,
    checkpoint,
  };
}

function worktreeLines(w: RemovedWorktree): string[] {
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
