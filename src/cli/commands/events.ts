import type { Command } from 'commander';
import type { JournalEvent } from '../../store/events.js';
import { sleep } from '../../supervisor/sleep.js';
import { action } from '../action.js';

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
          ctx.out.result(events, () => events.map(renderEvent).join('\n'));
          return 0;
        }
        let last = 0;
        for (;;) {
          for (const event of events) {
            ctx.out.write(options.json ? JSON.stringify(event) : renderEvent(event));
            last = event.id;
          }
          if (events.some((e) => e.type === 'removed')) return 0;
          await sleep(100);
          events = ctx.rt.store.events.forTask(task.id, last);
        }
      }),
    );
}

export function renderEvent(event: JournalEvent): string {
  const data = Object.entries(event.data)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${new Date(event.at).toISOString()}  ${event.type.padEnd(18)} ${data}`.trimEnd();
}
