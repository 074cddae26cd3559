import { getAdapter } from '../agents/registry.js';
import { cleanTerminalText as cleanText } from '../core/continuation.js';
import type { RunRecord, TaskRecord } from '../core/task.js';
import type { JournalEvent } from '../store/events.js';

export interface TranscriptOptions {
  /**
   * Leave out the lines that report a usage limit (the agent's reset times and its failed result):
   * `follow` says in one line of its own when holdfast resumes.
   */
  omitLimitLines?: boolean;
}

/**
 * Turns an agent's JSON lines into a readable transcript (assistant text, tool calls and results,
 * errors). Plain lines the agent printed outside its JSON stream (warnings, stderr) pass through.
 */
export function renderTranscript(
  task: TaskRecord,
  raw: string,
  now: number,
  options: TranscriptOptions = {},
): string {
  const kind = task.spec.agent?.kind;
  if (!kind) return cleanText(raw);
  const adapter = getAdapter(kind);
  const out: string[] = [];
  const text = cleanText(raw);
  const lines = text.split('\n');
  const trailing = lines.at(-1) === '' ? lines.pop() : undefined;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const events = adapter.parseLine(line, now);
    if (options.omitLimitLines && events.some((e) => e.type === 'usage-limit')) continue;
    const rendered = events.map((event) => adapter.render(event)).filter((r): r is string => r !== null);
    if (rendered.length > 0) out.push(...rendered);
    else if (!line.trimStart().startsWith('{')) out.push(line);
  }
  return out.length === 0 ? '' : `${out.join('\n')}${trailing === undefined ? '' : '\n'}`;
}

/**
 * One line saying what holdfast does after an agent run ended and it is not over: waiting out a
 * usage limit until a time, or resuming after a crash. From the journal entries committed with
 * the run's end; null when the run led to neither.
 */
export function runEndLine(
  run: Pick<RunRecord, 'id' | 'exitCode' | 'signal'>,
  events: readonly JournalEvent[],
): string | null {
  const mine = events.filter((e) => e.runId === run.id);
  const limited = mine.find((e) => e.type === 'rate-limited');
  if (limited) {
    const at = Number(limited.data.nextStartAt);
    return `⏸ usage limit — holdfast resumes at ${clockTime(at, limited.at)} (in ${waitText(at - limited.at)})`;
  }
  const backoff = mine.find((e) => e.type === 'backoff');
  if (!backoff) return null;
  const how = mine.some((e) => e.type === 'stalled')
    ? 'stalled'
    : `crashed (${run.signal ?? (run.exitCode === null ? 'no exit status' : `exit ${run.exitCode}`)})`;
  const wait = waitText(Number(backoff.data.delayMs));
  return backoff.data.probe === true
    ? `✗ ${how} — crash loop, next try in ${wait}`
    : `✗ ${how} — resuming in ${wait}`;
}

/** `06:46:23` on the day of `from`, with the date in front on another day (local time). */
function clockTime(t: number, from: number): string {
  const d = new Date(t);
  const time = d.toTimeString().slice(0, 8);
  if (d.toDateString() === new Date(from).toDateString()) return time;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

/** `2 s`, `60 s`, `15 min`, `5 h 3 min`. */
export function waitText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  return `${Math.floor(min / 60)} h${min % 60 ? ` ${min % 60} min` : ''}`;
}
