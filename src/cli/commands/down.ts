import type { Command } from 'commander';
import { FINAL_STATES } from '../../core/task.js';
import { discardTask } from '../../supervisor/create.js';
import { escalateStop, requestStop } from '../../supervisor/stop.js';
import { retireWorktree } from '../../supervisor/worktree.js';
import { action } from '../action.js';
import { worktreeLines } from './rm.js';
import { fleetFileOf, onlyNames } from './up.js';

interface DownOptions {
  file?: string;
  rm?: boolean;
  only?: string;
  json?: boolean;
}

/** How long a task's run gets to stop before SIGKILL (as `stop`'s default). */
const STOP_TIMEOUT_MS = 10_000;

export function register(program: Command): void {
  program
    .command('down')
    .summary('stop (with --rm: remove) the tasks holdfast.yaml declares; the others are left alone')
    .option('-f, --file <file>', 'the file (default: holdfast.yaml here or in a directory above)')
    .option('--rm', 'remove them after they stopped (their checkpoints are kept)')
    .option('--only <names>', 'only these tasks of the file (comma-separated)')
    .option('--json', 'print what was stopped and removed as JSON')
    .action(
      action<DownOptions>(async (ctx, _args, options) => {
        const file = fleetFileOf(options.file);
        const only = onlyNames(file, options.only);
        const rt = ctx.rt;
        await ctx.refresh();
        const tasks = file.tasks
          .filter((t) => only === null || only.has(t.name))
          .map((t) => rt.store.tasks.byName(t.name))
          .filter((t) => t !== null);
        const results = await Promise.all(
          tasks.map(async (task) => {
            const live = !FINAL_STATES.has(task.state);
            let ended = true;
            if (live) {
              const decision = requestStop(rt, task.id, { timeoutMs: STOP_TIMEOUT_MS });
              ended = await escalateStop(rt, task.id, STOP_TIMEOUT_MS, decision.runId);
            }
            const after = rt.store.tasks.byId(task.id) ?? task;
            const worktree = options.rm && ended ? await retireWorktree(rt, after) : null;
            if (options.rm && ended) await discardTask(rt, after);
            return {
              name: task.name,
              stopped: live && ended,
              removed: Boolean(options.rm) && ended,
              state: options.rm && ended ? 'removed' : after.state,
              worktree,
            };
          }),
        );
        const missing = file.tasks.filter(
          (t) =>
            (only === null || only.has(t.name)) &&
            !rt.store.tasks.byName(t.name) &&
            !results.some((r) => r.name === t.name),
        );
        ctx.out.result({ file: file.path, tasks: results }, () =>
          [
            `${file.path}: ${results.filter((r) => r.stopped).length} stopped${options.rm ? `, ${results.filter((r) => r.removed).length} removed` : ''}`,
            ...results.flatMap((r) => [
              `  ${r.name}  ${r.removed ? 'removed' : r.stopped ? 'stopped' : r.state}`,
              ...(r.worktree ? worktreeLines(r.worktree).map((l) => `    ${l}`) : []),
            ]),
            ...missing.map((t) => `  ${t.name}  not there`),
          ].join('\n'),
        );
        return results.every((r) => r.state !== 'stopping') ? 0 : 1;
      }),
    );
}
