import { cpus, loadavg } from 'node:os';
import type { Row } from './scenario.js';

/** The 1, 5 and 15 minute load averages, to two decimals: other work on the machine skews every figure. */
export const loadAverage = (): number[] => loadavg().map((l) => Math.round(l * 100) / 100);

/** The row that says how loaded the machine was while a scenario ran. */
export function loadRow(start: readonly number[], end: readonly number[]): Row {
  return {
    metric: `load average (1, 5, 15 min), start → end of this scenario, ${cpus().length} cpus`,
    holdfast: `${start.join(' ')} → ${end.join(' ')}`,
    peer: '',
    peerValue: '',
  };
}
