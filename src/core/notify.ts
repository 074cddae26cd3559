/**
 * What holdfast tells the user about, and where it sends it. Pure: the sinks themselves live in
 * `notify/`, the global list in the config file (`config/`).
 */
import { HoldfastError } from './errors.js';

export const NOTIFY_EVENTS = [
  'needs-input',
  'succeeded',
  'failed',
  'crash-loop',
  'rate-limited',
  'resumed',
  'stalled',
  'start-failed',
  'milestone-done',
  'mission-done',
  'mission-paused',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

export const WEBHOOK_FORMATS = ['raw', 'slack', 'discord'] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

interface SinkCommon {
  /** How `notify test <sink>` and the outbox name a configured sink; absent = its text form. */
  name?: string;
  /** Only these events reach the sink; absent = every event. */
  events?: NotifyEvent[];
}

export type SinkSpec =
  | (SinkCommon & { type: 'command'; argv: string[] })
  | (SinkCommon & {
      type: 'webhook';
      url: string;
      format: WebhookFormat;
      /** HMAC key for `X-Holdfast-Signature`; in the config file either this or `secret-env`. */
      secret?: string;
      /** The environment variable that holds the secret, read when sending (keeps it out of the file). */
      secretEnv?: string;
    })
  | (SinkCommon & { type: 'desktop' });

/** The text form: what `--notify` takes and how a sink without a name is shown. */
export function sinkLabel(sink: SinkSpec): string {
  if (sink.name !== undefined) return sink.name;
  switch (sink.type) {
    case 'command':
      return `command:${sink.argv.join(' ')}`;
    case 'webhook':
      return `webhook:${sink.url}`;
    case 'desktop':
      return 'desktop';
  }
}

const SINK_FORMS = 'command:<path> [args…], webhook:<url>, desktop or none';

/**
 * `--notify` text: `command:/usr/local/bin/page-me --urgent` (split on whitespace, never a shell),
 * `webhook:https://…`, `desktop`; `none` is handled by the caller (it means an empty list).
 */
export function parseSinkArg(text: string): SinkSpec {
  const fail = (why: string): never => {
    throw new HoldfastError('EUSAGE', `--notify ${JSON.stringify(text)}: ${why}`, {
      hint: `a sink is one of ${SINK_FORMS}`,
    });
  };
  if (text === 'desktop') return { type: 'desktop' };
  if (text.startsWith('command:')) {
    const argv = text.slice('command:'.length).trim().split(/\s+/).filter(Boolean);
    if (argv.length === 0) return fail('the command is empty');
    if (!argv[0]!.startsWith('/')) return fail('the command must be an absolute path');
    return { type: 'command', argv };
  }
  if (text.startsWith('webhook:')) {
    const url = text.slice('webhook:'.length);
    if (!/^https?:\/\/[^\s]+$/.test(url)) return fail('expected an http:// or https:// URL');
    return { type: 'webhook', url, format: 'raw' };
  }
  return fail('unknown sink');
}
