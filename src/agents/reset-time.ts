/**
 * When a usage limit resets, read from what an agent printed. Pure: `now` (epoch ms) is passed in,
 * and time-zone arithmetic goes through Intl only.
 *
 *   resets 12:31pm (UTC)                 claude: wall time, zone in parentheses (IANA names too)
 *   resets Oct 9, 5pm (Europe/Paris)     claude: with a date
 *   try again at 12:31 PM.               codex: the machine's local time
 *   try again at Nov 21st, 2026 12:31 PM codex: another day
 *   Access resets at 11:00 AM GMT+2.     gemini: zone abbreviation or offset after the time
 *   It will reset in 2 hours 5 minutes   opencode: relative to now
 *   Your quota will reset after 12h22m45s
 *
 * A wall time without a date is the next such time: today, or tomorrow when it has passed
 * (a minute of grace, since most CLIs print the time cut to the minute).
 *
 * Each reading says its resolution: a time printed without seconds (`12:31 PM`, `in 5 minutes`)
 * names a whole minute, and core waits for that minute's end, not its start.
 */
import type { ResetResolution } from '../core/lifecycle.js';
import { clip, oneLine } from './json-lines.js';
import type { AgentEvent } from './types.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A zone: a fixed offset from UTC (minutes east), or an IANA name that Intl knows. */
export type Zone = { kind: 'fixed'; offsetMinutes: number } | { kind: 'iana'; name: string };

const UTC: Zone = { kind: 'fixed', offsetMinutes: 0 };

// Abbreviations CLIs print (Date#toLocaleTimeString with timeZoneName: 'short'), as fixed offsets.
const ABBREVIATIONS: Record<string, number> = {
  UTC: 0,
  GMT: 0,
  Z: 0,
  WET: 0,
  BST: 60,
  CET: 60,
  CEST: 120,
  EET: 120,
  EEST: 180,
  MSK: 180,
  IST: 330,
  SGT: 480,
  HKT: 480,
  JST: 540,
  KST: 540,
  AEST: 600,
  AEDT: 660,
  NZST: 720,
  NZDT: 780,
  HST: -600,
  AKST: -540,
  AKDT: -480,
  PST: -480,
  PDT: -420,
  MST: -420,
  MDT: -360,
  CST: -360,
  CDT: -300,
  EST: -300,
  EDT: -240,
  AST: -240,
  ADT: -180,
};

/** The machine's own zone, as Intl sees it (the process's TZ). */
export function localZoneName(): string {
  return new Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/**
 * Resolves a zone name: `local`, `UTC`/`GMT`, an offset (`GMT+2`, `UTC-05:30`, `+0200`), a common
 * abbreviation (`PST`, `CEST`), or an IANA name (`Europe/Paris`). Null when none of these fits.
 */
export function resolveZone(name: string): Zone | null {
  const text = name.trim();
  if (text === '') return null;
  if (text.toLowerCase() === 'local') return resolveZone(localZoneName()) ?? UTC;
  const offset = /^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$/i.exec(text);
  if (offset && (/^(?:UTC|GMT)/i.test(text) || /^[+-]\d{2}:?\d{2}$/.test(text))) {
    const minutes = Number(offset[2]) * 60 + Number(offset[3] ?? 0);
    if (minutes > 14 * 60) return null;
    return { kind: 'fixed', offsetMinutes: offset[1] === '-' ? -minutes : minutes };
  }
  const abbreviation = ABBREVIATIONS[text.toUpperCase()];
  if (abbreviation !== undefined && /^[A-Za-z]+$/.test(text))
    return { kind: 'fixed', offsetMinutes: abbreviation };
  try {
    return {
      kind: 'iana',
      name: new Intl.DateTimeFormat('en-US', { timeZone: text }).resolvedOptions().timeZone,
    };
  } catch {
    return null;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(name: string): Intl.DateTimeFormat {
  let f = formatters.get(name);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: name,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(name, f);
  }
  return f;
}

/** How far the zone's wall clock is ahead of UTC at instant `t`, in ms. */
export function zoneOffsetMs(zone: Zone, t: number): number {
  if (zone.kind === 'fixed') return zone.offsetMinutes * MINUTE;
  const parts = formatterFor(zone.name).formatToParts(new Date(t));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour') % 24,
    get('minute'),
    get('second'),
  );
  return wall - Math.floor(t / 1000) * 1000;
}

export interface WallTime {
  year: number;
  /** 1–12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second?: number;
}

/** The instant a wall-clock time names in a zone (a time a DST change skips or repeats gets one of its readings). */
export function wallTimeToEpoch(wall: WallTime, zone: Zone): number {
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second ?? 0);
  const first = zoneOffsetMs(zone, asUtc);
  const guess = asUtc - first;
  const second = zoneOffsetMs(zone, guess);
  return second === first ? guess : asUtc - second;
}

/** The calendar date in a zone at instant `t`. */
export function dateInZone(t: number, zone: Zone): { year: number; month: number; day: number } {
  const d = new Date(t + zoneOffsetMs(zone, t));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

function addDays(date: { year: number; month: number; day: number }, days: number) {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export interface ClockTime {
  hour: number;
  minute: number;
  second?: number;
  /** Calendar date when the text gave one; year may be missing (`Oct 9, 5pm`). */
  date?: { year: number | null; month: number; day: number };
}

/**
 * The instant of a clock time in a zone. No date: the next such time (today, or tomorrow once
 * more than a minute has passed). A date without a year: this year, or next year when that is a
 * month or more in the past.
 */
export function resolveClockTime(time: ClockTime, now: number, zone: Zone): number {
  const at = (date: { year: number; month: number; day: number }) =>
    wallTimeToEpoch({ ...date, hour: time.hour, minute: time.minute, second: time.second ?? 0 }, zone);
  if (time.date) {
    const { year, month, day } = time.date;
    if (year !== null) return at({ year, month, day });
    const thisYear = dateInZone(now, zone).year;
    const t = at({ year: thisYear, month, day });
    return t < now - 30 * DAY ? at({ year: thisYear + 1, month, day }) : t;
  }
  const today = dateInZone(now, zone);
  const t = at(today);
  return t < now - MINUTE ? at(addDays(today, 1)) : t;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const DATE_PART = String.raw`(?:(?<mon>[A-Za-z]{3,9})\.?\s+(?<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?:(?<year>\d{4}),?\s+)?(?:at\s+)?)?`;
const TIME_PART = String.raw`(?<hour>\d{1,2})(?::(?<minute>\d{2}))?(?::(?<second>\d{2}))?\s*(?:(?<ap>[AaPp])\.?[Mm]\.?(?![A-Za-z]))?`;
const ZONE_PART = String.raw`(?:\s*(?:\((?<zp>[^)]{1,40})\)|(?<zw>(?:UTC|GMT)(?:[+-]\d{1,2}(?::?\d{2})?)?(?![A-Za-z])|[A-Z]{2,5}(?![A-Za-z])|[+-]\d{2}:?\d{2}(?!\d))))?`;
const DATE_TIME = new RegExp(`^${DATE_PART}${TIME_PART}${ZONE_PART}`);
const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?/;

export interface ResetReading {
  /** The start of what the text names (epoch ms). */
  at: number;
  resolution: ResetResolution;
}

/**
 * Reads a date-time at the start of `text` and resolves it; null when there is none.
 * A zone in parentheses that cannot be resolved counts as UTC; one written after the time that
 * cannot be resolved is ignored (it may be an ordinary word); no zone means `defaultZone`.
 */
export function readDateTime(text: string, now: number, defaultZone: Zone): ResetReading | null {
  const iso = ISO.exec(text);
  if (iso) {
    const [, y, mo, d, h, mi, s, z] = iso;
    const zone = z === undefined ? defaultZone : (resolveZone(z) ?? UTC);
    const at = wallTimeToEpoch(
      {
        year: Number(y),
        month: Number(mo),
        day: Number(d),
        hour: Number(h),
        minute: Number(mi),
        second: Number(s ?? 0),
      },
      zone,
    );
    return { at, resolution: s === undefined ? 'minute' : 'second' };
  }
  const m = DATE_TIME.exec(text);
  const g = m?.groups;
  if (!g) return null;
  let hour = Number(g.hour);
  const minute = Number(g.minute ?? 0);
  const second = Number(g.second ?? 0);
  if (g.ap !== undefined) {
    if (hour < 1 || hour > 12) return null;
    hour = (hour % 12) + (g.ap.toLowerCase() === 'p' ? 12 : 0);
  } else if (g.minute === undefined || hour > 23) {
    return null;
  }
  if (minute > 59 || second > 59) return null;
  let date: ClockTime['date'];
  if (g.mon !== undefined) {
    const month = MONTHS.indexOf(g.mon.slice(0, 3).toLowerCase()) + 1;
    const day = Number(g.day);
    if (month === 0 || day < 1 || day > 31) return null;
    date = { year: g.year === undefined ? null : Number(g.year), month, day };
  }
  let zone = defaultZone;
  if (g.zp !== undefined) zone = resolveZone(g.zp) ?? UTC;
  else if (g.zw !== undefined) zone = resolveZone(g.zw) ?? defaultZone;
  const at = resolveClockTime(date ? { hour, minute, second, date } : { hour, minute, second }, now, zone);
  return { at, resolution: g.second === undefined ? 'minute' : 'second' };
}

const UNIT_MS: Array<[RegExp, number]> = [
  [/^(?:days?|d)$/i, DAY],
  [/^(?:hours?|hrs?|h)$/i, HOUR],
  [/^(?:minutes?|mins?|m)$/i, MINUTE],
  [/^(?:seconds?|secs?|s)$/i, 1000],
];
const DURATION_PIECE =
  /(\d+(?:\.\d+)?)\s*(days?|hours?|hrs?|minutes?|mins?|seconds?|secs?|d|h|m|s)(?![A-Za-z])/gi;
const DURATION = String.raw`~?\s*(?:\d+(?:\.\d+)?\s*(?:days?|hours?|hrs?|minutes?|mins?|seconds?|secs?|d|h|m|s)(?![A-Za-z])[\s,]*(?:and\s+)?)+`;

/** Milliseconds in a duration phrase such as `2 hours 5 minutes`, `12h22m45s`, `~158 min`; null if none. */
export function parseDurationPhrase(text: string): number | null {
  let total = 0;
  let found = false;
  for (const [, amount, unit] of text.matchAll(DURATION_PIECE)) {
    const ms = UNIT_MS.find(([re]) => re.test(unit!))?.[1];
    if (ms === undefined) continue;
    total += Number(amount) * ms;
    found = true;
  }
  return found ? Math.round(total) : null;
}

const RELATIVE_CUE = new RegExp(
  String.raw`\b(?:resets?|try again|retry|available again)\s+(?:in|after)\s+(${DURATION})`,
  'i',
);
const ABSOLUTE_CUE = /\b(?:resets?|try again|available again)\b(?:\s+(?:at|on))?\s+/gi;

/**
 * When the limit a text describes resets, and to what resolution the text gives it; null when the
 * text does not say. `timeZone` (IANA name, `UTC`, or `local`) applies to wall times printed
 * without a zone. A relative time is to the second only when it counts seconds.
 */
export function parseReset(text: string, now: number, timeZone = 'local'): ResetReading | null {
  const relative = RELATIVE_CUE.exec(text);
  if (relative) {
    const ms = parseDurationPhrase(relative[1]!);
    if (ms !== null) {
      const seconds = /\d\s*(?:seconds?|secs?|s)(?![A-Za-z])/i.test(relative[1]!);
      return { at: now + ms, resolution: seconds ? 'second' : 'minute' };
    }
  }
  const zone = resolveZone(timeZone) ?? UTC;
  for (const cue of text.matchAll(ABSOLUTE_CUE)) {
    const reading = readDateTime(text.slice(cue.index + cue[0].length), now, zone);
    if (reading !== null) return reading;
  }
  return null;
}

/** When the limit a text describes resets (the start of what it names), in epoch ms, or null. */
export function parseResetAt(text: string, now: number, timeZone = 'local'): number | null {
  return parseReset(text, now, timeZone)?.at ?? null;
}

/** A usage-limit event for a limit text, with its reset time and that time's resolution when the text gives one. */
export function usageLimitEvent(text: string, now: number, timeZone = 'local'): AgentEvent {
  const reading = parseReset(text, now, timeZone);
  const detail = clip(oneLine(text), 300);
  return reading === null
    ? { type: 'usage-limit', resetAt: null, detail }
    : { type: 'usage-limit', resetAt: reading.at, resolution: reading.resolution, detail };
}
