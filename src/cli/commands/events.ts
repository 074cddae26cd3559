import type { Command } from 'commander';
import { formatDuration } from '../../core/duration.js';
import type { JournalEvent } from '../../store/events.js';
import { sleep } from '../../supervisor/sleep.js';
import { action } from '../action.js';
import { streamLine } from '../envelope.js';
import { type Clock, clockText, whenText } from '../human.js';

export function register(program: Command): void {
  program
    .command('events')
    .summary("a task's journal: created, started, exited, restarted, stopped …")
    .argument('<task>', 'task name')
    .option('-f, --follow', 'keep printing new events until interrupted (or the task is removed)')
    .option('--json', 'JSON: an array, or one object per line with --follow')
    .action(
      action<{ follow?: boolean; json?: boolean }>(async (ctx, [name], options) => {
        const task = ctx.task(name!);
        await ctx.refresh();
        let events = ctx.rt.store.events.forTask(task.id);
        if (!options.follow) {
          ctx.out.result(events, () => events.map((e) => renderEvent(e, { now: ctx.rt.now() })).join('\n'));
          return 0;
        }
        let last = 0;
        for (;;) {
          for (const event of events) {
            ctx.out.write(options.json ? streamLine(event) : renderEvent(event, { now: ctx.rt.now() }));
            last = event.id;
          }
          if (events.some((e) => e.type === 'removed')) return 0;
          await sleep(100);
          events = ctx.rt.store.events.forTask(task.id, last);
        }
      }),
    );
}

/**
 * One journal entry for people: its local time, type and data. Data named `…At` holds times (epoch
 * ms or ISO) and `…Ms` durations; both are shown as such. `--json` keeps the stored values.
 */
export function renderEvent(event: JournalEvent, clock: Clock): string {
  const data = Object.entries(event.data)
    .map(([k, v]) => `${k}=${valueText(k, v, clock)}`)
    .join(' ');
  return `${clockText(event.at, clock)}  ${event.type.padEnd(18)} ${data}`.trimEnd();
}

function valueText(key: string, value: unknown, clock: Clock): string {
  if (key.endsWith('At')) {
    const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : Number.NaN;
    if (Number.isFinite(ms)) return whenText(ms, clock);
  }
  if (key.endsWith('Ms') && typeof value === 'number') return formatDuration(value);
  return typeof value === 'string' ? value : JSON.stringify(value);
}
