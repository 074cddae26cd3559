import type { Command } from 'commander';
import { oneLine } from '../../agents/json-lines.js';
import { formatDuration } from '../../core/duration.js';
import type { TaskView } from '../../views/task.js';
import { allViews, type ViewSource } from '../../views/tasks.js';
import { action } from '../action.js';
import { resultDocument } from '../envelope.js';
import { ageText, commandText, exitText, inputsText, stateText, table, truncate } from '../format.js';

export function register(program: Command): void {
  program
    .command('ls')
    .alias('list')
    .summary('list tasks')
    .option('--json', 'print an array of task objects (see README: JSON contract)')
    .action(
      action<{ json?: boolean }>(async (ctx) => {
        await ctx.refresh();
        const views = allViews(ctx.rt);
        const now = ctx.rt.now();
        ctx.out.result(views, () => {
          if (views.length === 0) return 'no tasks. Start one: holdfast run -- <command>';
          const last = views.map(lastColumn);
          // Only when an interactive agent is listed: what its TUI is doing.
          const activity = views.some((v) => v.interactive);
          const text = table(
            [
              'NAME',
              'STATE',
              ...(activity ? ['ACTIVITY'] : []),
              'PID',
              'UPTIME',
              'RESTARTS',
              'EXIT',
              'LAST OUTPUT',
              'COMMAND',
            ],
            views.map((v, i) => [
              v.name,
              stateText(v.state) +
                (v.nextStartAt ? ` (${startsIn(v.nextStartAt, now)})` : '') +
                // What it waits for is the one thing to act on; other reasons are in `status`.
                (v.state === 'waiting-input' && v.reason ? ` (${v.reason})` : '') +
                (inputsText(v) ? `, ${inputsText(v)}` : ''),
              ...(activity ? [activityText(v, now)] : []),
              v.pid ?? '-',
              v.uptimeMs === null ? '-' : formatDuration(v.uptimeMs),
              v.restarts,
              exitText(v),
              ageText(v.lastOutputAt, now),
              last[i]!,
            ]),
          );
          // An agent's last message is cut where the terminal ends; a row is one line.
          const width = terminalWidth();
          return text
            .split('\n')
            .map((line, i) => (i > 0 && views[i - 1]!.agent ? fitLastCell(line, last[i - 1]!, width) : line))
            .join('\n');
        });
        return 0;
      }),
    );
}

/** What `ls --json` prints; the daemon's socket answers a CLI's `ls --json` with it too (cli/ask-daemon.ts). */
export function lsDocument(src: ViewSource): string {
  return resultDocument(allViews(src));
}

/** `working 12s`, `idle 3m`, `waiting-input 5s`; `-` for a task that is not an interactive agent's live run. */
export function activityText(v: TaskView, now: number): string {
  if (!v.activity) return '-';
  const since = v.activitySince === null ? null : now - Date.parse(v.activitySince);
  return since === null ? v.activity : `${v.activity} ${formatDuration(Math.max(0, since))}`;
}

/** A command as typed (at most 60 characters); an agent and its last message (or session). */
function lastColumn(v: TaskView): string {
  if (!v.agent) return truncate(commandText(v.command), 60);
  const message = typeof v.info.lastMessage === 'string' ? oneLine(v.info.lastMessage) : '';
  return `[${v.agent}] ${message || v.sessionId || ''}`.trimEnd();
}

function terminalWidth(): number {
  return process.stdout.columns || Number(process.env.COLUMNS) || 80;
}

/** `line` ends with `cell`; shortens the cell so the line's visible text fits in `width`. */
function fitLastCell(line: string, cell: string, width: number): string {
  if (!line.endsWith(cell)) return line;
  const before = line.slice(0, line.length - cell.length);
  // Colour codes take no columns.
  const shown = before.replace(/\x1b\[[0-9;]*m/g, '').length;
  return before + truncate(cell, Math.max(10, width - shown));
}

/** When a waiting task starts next, as `ls` shows it: `in 3s`, `now`. */
function startsIn(iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  return ms <= 0 ? 'now' : `in ${formatDuration(ms)}`;
}
