import { spawnSync } from 'node:child_process';
import type { Command } from 'commander';
import { HoldfastError } from '../../core/errors.js';
import { HOLDFAST_PREFIX } from '../../tmux/config.js';
import { action } from '../action.js';
import { follow } from './follow.js';

interface AttachOptions {
  readOnly?: boolean;
  raw?: boolean;
}

export function register(program: Command): void {
  program
    .command('attach')
    .summary("attach your terminal to a task's tmux session (detach: Ctrl-] d)")
    .description(
      "Attach your terminal to a task's tmux session. A headless agent's pane holds its JSON stream: " +
        'attach shows its readable transcript instead (as follow does), or with --raw the pane, read-only.',
    )
    .argument('<task>', 'task name')
    .option('-r, --read-only', 'watch without being able to type')
    .option('--raw', "a headless agent's pane itself (its JSON stream), read-only, instead of its transcript")
    .action(
      action<AttachOptions>(async (ctx, [name], options) => {
        const task = ctx.task(name!);
        // Keys typed into a headless agent's pane reach no one who reads them: the pty echoes them
        // into the log, where they would read as the agent's own words. An interactive agent's
        // pane is its TUI: attached read-write, a human types into it.
        const headless = task.spec.agent !== null && task.spec.agent.interactive !== true;
        if (headless && !options.raw) {
          process.stderr.write(
            `${task.name} is a headless agent: its transcript follows (Ctrl-C stops watching; the task keeps running; --raw shows its pane, read-only)\n`,
          );
          return follow(ctx, task.name, Math.max(10, (process.stdout.rows ?? 24) - 2), false);
        }
        if (!process.stdin.isTTY || !process.stdout.isTTY) {
          throw new HoldfastError('ENOTTY', 'attach needs a terminal (stdin and stdout must be a tty)', {
            hint: `read the output instead: holdfast follow ${task.name}`,
          });
        }
        if (!(await ctx.rt.tmux.hasSession(task.name))) {
          throw new HoldfastError('ESTATE', `${task.name} has no tmux session (state ${task.state})`, {
            hint: `holdfast log ${task.name} shows what it wrote`,
          });
        }
        const readOnly = headless || Boolean(options.readOnly);
        // A server started by an older holdfast has no such key yet: set it before attaching.
        await ctx.rt.tmux.exec(['set-option', '-g', 'prefix2', HOLDFAST_PREFIX]);
        process.stderr.write(`${attachNote(task.name, readOnly, Boolean(process.env.TMUX))}\n`);
        const [bin, ...argv] = ctx.rt.tmux.attachArgv(task.name, readOnly);
        const result = spawnSync(bin!, argv, { stdio: 'inherit', env: ctx.rt.tmux.environment });
        return result.status ?? 1;
      }),
    );
}

/** What the user needs before the screen changes: the detach key that works here, and where keys go. */
export function attachNote(task: string, readOnly: boolean, insideTmux: boolean): string {
  // Inside the user's own tmux, C-b is that tmux's prefix: C-b d would detach the user's client.
  const detach = insideTmux ? 'Ctrl-] d' : 'Ctrl-b d or Ctrl-] d';
  const keys = readOnly ? 'read-only: keys you type do not reach the task' : 'Ctrl-C goes to the task';
  return `attached to ${task} — detach: ${detach}; ${keys}`;
}
