import { formatDuration } from '../core/duration.js';

/**
 * Times and money as people read them: local clock time, relative times, dollars. `now` and the
 * time zone are passed in (the zone defaults to the process's own, i.e. TZ) so output is testable.
 * JSON never goes through here: it keeps ISO-8601 UTC and raw numbers.
 */
export interface Clock {
  now: number;
  timeZone?: string;
}

function parts(ms: number, timeZone: string | undefined): Record<string, string> {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  });
  return Object.fromEntries(format.formatToParts(ms).map((p) => [p.type, p.value]));
}

/** `06:46:23` today, `2026-05-12 06:46:23` on any other day, in the local time zone. */
export function clockText(ms: number, clock: Clock): string {
  const t = parts(ms, clock.timeZone);
  const today = parts(clock.now, clock.timeZone);
  const time = `${t.hour}:${t.minute}:${t.second}`;
  const sameDay = t.year === today.year && t.month === today.month && t.day === today.day;
  return sameDay ? time : `${t.year}-${t.month}-${t.day} ${time}`;
}

/** `in 1m`, `5s ago`, `now` (within a second either way). */
export function relativeText(ms: number, now: number): string {
  const delta = ms - now;
  if (Math.abs(delta) < 1000) return 'now';
  return delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(-delta)} ago`;
}

/** `06:46:23 (in 1m)`: the clock time and how far it is from now. */
export function whenText(ms: number, clock: Clock): string {
  return `${clockText(ms, clock)} (${relativeText(ms, clock.now)})`;
}

/** `whenText` for an ISO-8601 string from a view; `-` for none. */
export function isoWhenText(iso: string | null, clock: Clock): string {
  return iso === null ? '-' : whenText(Date.parse(iso), clock);
}

/** `isoWhenText` without the relative part, for tables of many times. */
export function isoClockText(iso: string | null, clock: Clock): string {
  return iso === null ? '-' : clockText(Date.parse(iso), clock);
}

/** Dollars rounded to 4 decimals, at least 2 shown: `$0.0001`, `$1.50`, `$12.3457`. */
export function moneyText(usd: number): string {
  return `$${usd.toFixed(4).replace(/(\.\d\d\d*?)0+$/, '$1')}`;
}
