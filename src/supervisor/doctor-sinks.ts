/**
 * Notification sinks (src/notify, built on its own branch). A dry run of each configured sink is
 * the notify module's `dryRunSink`; until it is wired here, no sink is checked.
 */
import { type Check, check, findOnPath } from './doctor-check.js';

export interface DoctorSink {
  type: string;
  name?: string;
}

/** Each configured sink reachable (a dry run); `skip` when none is configured. */
export async function checkSinks(sinks: readonly DoctorSink[]): Promise<Check[]> {
  if (sinks.length === 0) return [check('notify', 'skip', 'no sinks configured')];
  return sinks.map((s) => check(`notify ${s.name ?? s.type}`, 'skip', 'not checked yet (no dry run wired)'));
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
