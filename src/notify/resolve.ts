/** Which sinks a notification goes to, and which sink `holdfast notify test <sink>` means. */
import { HoldfastError } from '../core/errors.js';
import { type NotifyEvent, parseSinkArg, type SinkSpec, sinkLabel } from '../core/notify.js';

/** The row's own list (a task's `--notify`), else the config's global sinks as they are now. */
export function sinksOf(own: SinkSpec[] | null, global: readonly SinkSpec[]): SinkSpec[] {
  return own ?? [...global];
}

/** A sink's `events` filter: absent takes every event. */
export function takes(sink: SinkSpec, event: NotifyEvent): boolean {
  return sink.events === undefined || sink.events.includes(event);
}

/**
 * `notify test <sink>`: a configured sink by its name or its text form (`webhook:https://…`), else
 * a sink given in text form.
 */
export function findSink(text: string, configured: readonly SinkSpec[]): SinkSpec {
  const named = configured.find((s) => s.name === text) ?? configured.find((s) => textForm(s) === text);
  if (named) return named;
  if (text.startsWith('command:') || text.startsWith('webhook:') || text === 'desktop')
    return parseSinkArg(text);
  throw new HoldfastError('EUSAGE', `no sink named ${JSON.stringify(text)} in the config file`, {
    hint:
      configured.length === 0
        ? 'give one in text form: command:<path> [args…], webhook:<url> or desktop'
        : `configured: ${configured.map(sinkLabel).join(', ')}`,
  });
}

/** A sink's text form, whatever its name. */
function textForm(sink: SinkSpec): string {
  const { name: _name, ...rest } = sink;
  return sinkLabel(rest as SinkSpec);
}
