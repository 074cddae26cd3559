/**
 * Reading one line of agent output: a JSON event (stream-json, `--json`) or a plain line the CLI
 * printed on stderr. Lines come from a terminal log, so they may end in `\r` and carry colour codes.
 */
import type { AgentEvent } from './types.js';

export type JsonObject = Record<string, unknown>;

// CSI (colours, cursor), OSC (titles, hyperlinks) and two-byte escapes.
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

/** The line without its line ending, terminal escapes and surrounding blanks. */
export function cleanLine(line: string): string {
  return line.replace(ANSI, '').trim();
}

/** The JSON object on this line, or null for anything else (plain text, arrays, broken JSON). */
export function parseJsonLine(line: string): JsonObject | null {
  const text = cleanLine(line);
  if (!text.startsWith('{') || !text.endsWith('}')) return null;
  try {
    const value: unknown = JSON.parse(text);
    return asObject(value);
  } catch {
    return null;
  }
}

export function asObject(value: unknown): JsonObject | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as JsonObject) : null;
}

export function asString(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

export function asNumber(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Text of a message content: a string, or the `text` of each `{type:'text'}` part joined by newlines. */
export function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  return asArray(content)
    .map((part) => {
      const o = asObject(part);
      return o && (o.type === undefined || o.type === 'text') ? (asString(o.text) ?? '') : '';
    })
    .filter((t) => t !== '')
    .join('\n');
}

/** Cuts a text to `max` characters, marking the cut with an ellipsis. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;
}

/** A text on one line: runs of whitespace (newlines included) become one space. */
export function oneLine(text: string, max = Number.POSITIVE_INFINITY): string {
  return clip(text.replace(/\s+/g, ' ').trim(), max);
}

// The field that says most about a tool call, in order of preference.
const TELLING_FIELDS = [
  'command',
  'cmd',
  'file_path',
  'filePath',
  'path',
  'pattern',
  'url',
  'query',
  'description',
  'prompt',
];

/** A short text for a tool call's input: its command or path when it has one, else compact JSON. */
export function describeInput(input: unknown): string {
  if (typeof input === 'string') return clip(input, 1000);
  const o = asObject(input);
  if (o) {
    for (const field of TELLING_FIELDS) {
      const v = o[field];
      if (typeof v === 'string' && v !== '') return clip(v, 1000);
      if (Array.isArray(v) && v.every((x) => typeof x === 'string') && v.length > 0) {
        return clip(v.join(' '), 1000);
      }
    }
  }
  if (input === undefined || input === null) return '';
  return clip(JSON.stringify(input), 1000);
}

/** Events for an error message: what `detect` recognises in it, else the message as an `error` event. */
export function errorTextEvents(message: string, detect: (text: string) => AgentEvent[]): AgentEvent[] {
  const found = detect(message);
  return found.length > 0 ? found : [{ type: 'error', message: clip(message, 2000) }];
}

/**
 * Events from a plain (non-JSON) line: whatever `detect` recognises in it (usage limit, login
 * needed, lost conversation), else an `error` event for a line that starts like an error message.
 */
export function plainLineEvents(line: string, detect: (text: string) => AgentEvent[]): AgentEvent[] {
  const text = cleanLine(line);
  if (text === '') return [];
  const found = detect(text);
  if (found.length > 0) return found;
  if (/^(?:error|fatal|panic)\b/i.test(text)) return [{ type: 'error', message: clip(text, 2000) }];
  return [];
}
