/**
 * The config file's notification sinks: each one reachable, by notify's dry run (nothing is sent).
 * A desktop sink is `checkNotifySend`'s, said once however many there are.
 */
import { type SinkSpec, sinkLabel } from '../core/notify.js';
import { dryRunSink } from '../notify/index.js';
import { type Check, check, findOnPath } from './doctor-check.js';

export type DoctorSink = SinkSpec;

/** Each configured command and webhook sink reachable (a dry run); `skip` when none is configured. */
export async function checkSinks(sinks: readonly DoctorSink[], env: NodeJS.ProcessEnv): Promise<Check[]> {
  if (sinks.length === 0) return [check('notify', 'skip', 'no sinks configured')];
  const reachable = sinks.filter((s) => s.type !== 'desktop');
  return Promise.all(
    reachable.map(async (sink) => {
      const { ok, detail } = await dryRunSink(sink, env);
      return ok
        ? check(`notify ${sinkLabel(sink)}`, 'ok', detail)
        : check(
            `notify ${sinkLabel(sink)}`,
            'fail',
            detail,
            'notifications to this sink are not delivered: fix it, then try holdfast notify test',
          );
    }),
  );
}

/** `desktop` sends through notify-send: said once when a desktop sink is configured and it is missing. */
export function checkNotifySend(sinks: readonly DoctorSink[], env: NodeJS.ProcessEnv): Check[] {
  if (!sinks.some((s) => s.type === 'desktop')) return [];
  const path = findOnPath('notify-send', env);
  return path
    ? [check('notify-send', 'ok', path)]
    : [
        check(
          'notify-send',
          'warn',
          'a desktop sink is configured, but notify-send is not on PATH: desktop notifications are not shown',
          'install libnotify-bin (apt) or libnotify (dnf)',
        ),
      ];
}
