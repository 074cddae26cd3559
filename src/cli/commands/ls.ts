import type { Command } from 'commander';
import { formatDuration } from '../../core/duration.js';
import { action } from '../action.js';
import { ageText, commandText, exitText, stateText, table, truncate } from '../format.js';
import { allViews } from '../views.js';

export function register(program: Command): void {
  program
    .command('ls')
    .alias('list')
    .summary('list tasks')
    .option('--json', 'print an array of task objects (see README: JSON contract)')
    .action(
      action<{ json?: boolean }>(async (ctx) => {
        await ctx.refresh();
        const views = allViews(ctx);
        const now = ctx.rt.now();
        ctx.out.result(views, () => {
          if (views.length === 0) return 'no tasks. Start one: holdfast run -- <command>';
          return table(
            ['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'EXIT', 'LAST OUTPUT', 'COMMAND'],
            views.map((v) => [
              v.name,
              stateText(v.state) +
                (v.nextStartAt ? ` (${startsIn(v.nextStartAt, now)})` : '') +
                // What it waits for is the one thing to act on; other reasons are in `status`.
                (v.state === 'waiting-input' && v.reason ? ` (${v.reason})` : ''),
              v.pid ?? '-',
              v.uptimeMs === null ? '-' : formatDuration(v.uptimeMs),
              v.restarts,
              exitText(v),
              ageText(v.lastOutputAt, now),
              truncate(v.agent ? `[${v.agent}] ${v.sessionId ?? ''}` : commandText(v.command), 60),
            ]),
          );
        });
        return 0;
      }),
    );
}

/** When a waiting task starts next, as `ls` shows it: `in 3s`, `now`. */
function startsIn(iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  return ms <= 0 ? 'now' : `in ${formatDuration(ms)}`;
}
