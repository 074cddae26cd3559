import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { HoldfastError } from '../../core/errors.js';
import { sampleNotification } from '../../core/notifications.js';
import { sinkLabel } from '../../core/notify.js';
import { findSink, sendToSink } from '../../notify/index.js';
import { action } from '../action.js';

export function register(program: Command): void {
  const notify = program.command('notify').summary('notification sinks: send a test');
  notify
    .command('test')
    .summary('send a sample notification to a sink, or to every configured one')
    .description(
      'Send a sample `failed` notification (its `events` filter aside) to SINK: a configured sink by its name or text form, or a sink in text form (command:<path> [args…], webhook:<url>, desktop). Without SINK, to every sink of the config file. Exits 1 if any failed.',
    )
    .argument('[sink]', 'a configured sink, or one in text form')
    .option('--json', 'JSON: [{sink, ok, detail}]')
    .action(
      action<{ json?: boolean }>(async (ctx, [text]) => {
        const configured = loadConfig(process.env).notify;
        const sinks = text === undefined ? configured : [findSink(text, configured)];
        if (sinks.length === 0)
          throw new HoldfastError('EUSAGE', 'no notification sinks are configured', {
            hint: 'add some under notify: in the config file (holdfast config path), or name one: holdfast notify test webhook:<url>',
          });
        const body = sampleNotification(Date.now());
        const results = await Promise.all(
          sinks.map(async (sink) => ({
            sink: sinkLabel(sink),
            ...(await sendToSink(sink, body, { env: process.env })),
          })),
        );
        const rows = results.map(({ sink, ok, detail }) => ({ sink, ok, detail }));
        ctx.out.result(rows, () =>
          rows.map((r) => `${r.ok ? 'ok  ' : 'FAIL'}  ${r.sink}  ${r.detail}`).join('\n'),
        );
        return rows.every((r) => r.ok) ? 0 : 1;
      }),
    );
}
