import type { Command } from 'commander';
import { formatDuration } from '../../core/duration.js';
import { HoldfastError } from '../../core/errors.js';
import { sinkLabel } from '../../core/notify.js';
import type { JournalEvent } from '../../store/events.js';
import type { OutboxRecord } from '../../store/outbox.js';
import { sleep } from '../../supervisor/sleep.js';
import { action } from '../action.js';
import { streamLine } from '../envelope.js';
import { type Clock, clockText, whenText } from '../human.js';

export function register(program: Command): void {
  program
    .command('events')
    .summary("a task's journal: created, started, exited, restarted, stopped …")
    .argument('[task]', 'task name (with --notifications: only its notifications)')
    .option('-f, --follow', 'keep printing new events until interrupted (or the task is removed)')
    .option('--notifications', "the notification outbox and each one's delivery, instead of the journal")
    .option('--json', 'JSON: an array, or one object per line with --follow')
    .action(
      action<{ follow?: boolean; json?: boolean; notifications?: boolean }>(async (ctx, [name], options) => {
        if (options.notifications) {
          if (options.follow)
            throw new HoldfastError('EUSAGE', '--notifications: cannot be combined with --follow');
          const taskId = name === undefined ? undefined : ctx.task(name).id;
          await ctx.refresh();
          const rows = ctx.rt.store.outbox.list(taskId === undefined ? {} : { taskId }).map(notificationView);
          ctx.out.result(rows, () =>
            rows.map((r) => renderNotification(r, { now: ctx.rt.now() })).join('\n'),
          );
          return 0;
        }
        if (name === undefined)
          throw new HoldfastError('EUSAGE', 'missing the task name', {
            hint: 'holdfast events <task>, or holdfast events --notifications',
          });
        const task = ctx.task(name);
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

/** `events --notifications --json`: one outbox row (README, JSON contract). Secrets never shown. */
export interface NotificationView {
  id: number;
  key: string;
  event: string;
  task: string;
  run: number | null;
  state: string;
  attempts: number;
  createdAt: string;
  nextAttemptAt: string | null;
  sentAt: string | null;
  error: string | null;
  /** The task's own sinks by label; null = the config file's. */
  sinks: string[] | null;
  deliveries: Record<string, { state: string; attempts: number; at: string; detail: string }>;
  body: OutboxRecord['body'];
}

const isoOf = (ms: number) => new Date(ms).toISOString();

function notificationView(r: OutboxRecord): NotificationView {
  return {
    id: r.id,
    key: r.key,
    event: r.event,
    task: r.taskName,
    run: r.body.run,
    state: r.state,
    attempts: r.attempts,
    createdAt: isoOf(r.createdAt),
    nextAttemptAt: r.state === 'pending' ? isoOf(r.nextAttemptAt) : null,
    sentAt: r.sentAt === null ? null : isoOf(r.sentAt),
    error: r.error,
    sinks: r.sinks === null ? null : r.sinks.map(sinkLabel),
    deliveries: Object.fromEntries(
      Object.entries(r.deliveries).map(([k, d]) => [k, { ...d, at: isoOf(d.at) }]),
    ),
    body: r.body,
  };
}

function renderNotification(v: NotificationView, clock: Clock): string {
  const deliveries = Object.entries(v.deliveries);
  const detail =
    v.state === 'pending' && v.attempts === 0
      ? 'not sent yet'
      : deliveries.length === 0
        ? (v.error ?? 'no sink takes it')
        : deliveries.map(([sink, d]) => `${sink}: ${d.state} (${d.detail})`).join('; ');
  const next =
    v.state === 'pending' && v.attempts > 0 && v.nextAttemptAt
      ? `  next ${whenText(Date.parse(v.nextAttemptAt), clock)}`
      : '';
  return `${clockText(Date.parse(v.createdAt), clock)}  ${v.event.padEnd(15)} ${v.task}  ${v.state} (${v.attempts} attempt${v.attempts === 1 ? '' : 's'})${next}  ${detail}`;
}
