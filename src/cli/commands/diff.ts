import type { Command } from 'commander';
import { worktreeDiff } from '../../checkpoint/index.js';
import { HoldfastError } from '../../core/errors.js';
import { action } from '../action.js';

export function register(program: Command): void {
  program
    .command('diff')
    .summary('what a --worktree task changed since the commit it started from, committed and not')
    .argument('<task>', 'task name')
    .option('--stat', 'only the files changed and their +/- lines')
    .option('--json', 'print the changed files as JSON (with the patch unless --stat)')
    .action(
      action<{ stat?: boolean; json?: boolean }>(async (ctx, [name], options) => {
        const task = ctx.task(name!);
        const worktree = task.spec.worktree;
        if (!worktree) {
          throw new HoldfastError('EUSAGE', `${task.name} has no worktree of its own`, {
            hint: `diff needs a task started with run --worktree; for others: holdfast recover ${task.name}`,
          });
        }
        const diff = await worktreeDiff(worktree, { patch: !options.stat });
        ctx.out.result(
          {
            task: task.name,
            branch: worktree.branch,
            path: worktree.path,
            base: diff.base,
            files: diff.files,
            insertions: diff.insertions,
            deletions: diff.deletions,
            entries: diff.entries,
            summary: diff.summary,
            ...(options.stat ? {} : { patch: diff.patch }),
          },
          () =>
            options.stat
              ? [
                  ...diff.entries.map((e) =>
                    e.binary ? ` ${e.path} | binary` : ` ${e.path} | +${e.insertions} -${e.deletions}`,
                  ),
                  ` ${diff.summary} since ${diff.base.slice(0, 12)} (branch ${worktree.branch})`,
                ].join('\n')
              : diff.patch === ''
                ? `no changes since ${diff.base.slice(0, 12)} (branch ${worktree.branch})`
                : diff.patch.replace(/\n$/, ''),
        );
        return 0;
      }),
    );
}
