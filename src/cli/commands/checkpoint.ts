import type { Command } from 'commander';
import { listCheckpoints, restoreCheckpoint } from '../../checkpoint/index.js';
import { HoldfastError } from '../../core/errors.js';
import { checkpointTask } from '../../supervisor/steps/checkpoint.js';
import { action } from '../action.js';
import { table } from '../format.js';
import { plural } from '../plural.js';

export function register(program: Command): void {
  program
    .command('checkpoint')
    .summary("snapshot a task's work tree now (into refs/holdfast/<task>/checkpoints)")
    .argument('<task>', 'task name')
    .option('--json', 'print the result as JSON')
    .action(
      action<{ json?: boolean }>(async (ctx, [name]) => {
        const task = ctx.task(name!);
        const result = await checkpointTask(ctx.rt, task.id, 'manual');
        if (!result || result.status === 'not-a-repo') {
          throw new HoldfastError('EGIT', `${task.spec.cwd} is not in a git work tree: no checkpoint taken`);
        }
        ctx.out.result(result, () =>
          result.status === 'created'
            ? `checkpoint ${result.id}: ${plural(result.files, 'file')} changed, +${result.insertions} -${result.deletions}`
            : result.status === 'unchanged'
              ? `unchanged since checkpoint ${result.id}`
              : `no checkpoint taken: the work tree equals HEAD${result.head === null ? '' : ` (${result.head.slice(0, 12)})`}`,
        );
        return 0;
      }),
    );

  program
    .command('checkpoints')
    .summary("a task's checkpoints: time, run, files changed, +/- lines, commit id")
    .argument('<task>', 'task name')
    .option('--json', 'print an array')
    .action(
      action<{ json?: boolean }>(async (ctx, [name]) => {
        const task = ctx.task(name!);
        const list = await listCheckpoints(task.spec.cwd, task.name);
        ctx.out.result(list, () =>
          list.length === 0
            ? `no checkpoints for ${task.name}`
            : table(
                ['ID', 'TIME', 'RUN', 'FILES', '+/-', 'REASON'],
                list.map((c) => [
                  c.id,
                  c.at,
                  c.run ?? '-',
                  c.files,
                  `+${c.insertions} -${c.deletions}`,
                  c.reason ?? '-',
                ]),
              ),
        );
        return 0;
      }),
    );

  program
    .command('restore')
    .summary('a checkpoint as a new branch or worktree (never overwrites your tree)')
    .argument('<task>', 'task name')
    .argument('<checkpoint>', 'a checkpoint id, latest, or ~N (N before the latest)')
    .option('--branch <name>', 'create this new branch at the checkpoint')
    .option('--worktree <dir>', 'create a new worktree at the checkpoint in this directory')
    .option('--json', 'print the result as JSON')
    .action(
      action<{ branch?: string; worktree?: string; json?: boolean }>(async (ctx, [name, ref], options) => {
        if ((options.branch === undefined) === (options.worktree === undefined)) {
          throw new HoldfastError('EUSAGE', 'restore needs exactly one of --branch NAME or --worktree DIR');
        }
        const task = ctx.task(name!);
        const result = await restoreCheckpoint({
          cwd: task.spec.cwd,
          task: task.name,
          checkpoint: ref!,
          ...(options.branch === undefined ? {} : { branch: options.branch }),
          ...(options.worktree === undefined ? {} : { worktree: options.worktree }),
        });
        const at = `checkpoint ${result.checkpoint.id} (taken ${result.checkpoint.at})`;
        ctx.out.result(result, () =>
          result.kind === 'branch'
            ? `branch ${result.branch} created at ${at}`
            : `worktree ${result.path} created at ${at}${result.branch === null ? '' : ` on branch ${result.branch}`}`,
        );
        return 0;
      }),
    );
}
