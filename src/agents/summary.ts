/**
 * What a run's output said, agent-neutral: folding normalised events into a summary, judging the
 * signals every agent shares, and rendering events as one readable line for `holdfast follow`.
 */
import type { ExitVerdict, ResetResolution } from '../core/lifecycle.js';
import { oneLine } from './json-lines.js';
import type { AgentAdapter, AgentEvent, TranscriptSummary } from './types.js';

export function emptySummary(): TranscriptSummary {
  return {
    sessionId: null,
    lastAssistant: null,
    turns: 0,
    costUsd: null,
    result: null,
    usageLimit: null,
    authFailed: null,
    conversationMissing: false,
    permissionDenials: [],
    lastError: null,
    stopReason: null,
    assistantOpen: false,
  };
}

/** The summary after `events`; the input is left as it was. */
export function foldEvents(summary: TranscriptSummary, events: readonly AgentEvent[]): TranscriptSummary {
  const s: TranscriptSummary = { ...summary };
  for (const e of events) {
    const open = s.assistantOpen === true;
    s.assistantOpen = false;
    switch (e.type) {
      case 'session':
        if (s.sessionId === null || e.newer === true) s.sessionId = e.id;
        break;
      case 'assistant':
        if (e.delta === true) {
          s.lastAssistant = open ? `${s.lastAssistant ?? ''}${e.text}` : e.text;
          s.assistantOpen = true;
        } else {
          s.lastAssistant = e.text;
        }
        break;
      case 'turn':
        s.turns += 1;
        break;
      case 'result':
        // A finished turn has no tool still running.
        if ((s.toolsInFlight ?? []).length > 0) s.toolsInFlight = [];
        s.result = e.ok ? 'success' : 'error';
        if (e.turns !== null) s.turns = e.turns;
        if (e.costUsd !== null) s.costUsd = e.costUsd;
        if (e.text !== null && e.text !== '') {
          if (!e.ok) s.lastError = e.text;
          else if (s.lastAssistant === null) s.lastAssistant = e.text;
        }
        break;
      case 'usage-limit':
        // The first known reset wins: structured events (exact) come before the text (to the minute).
        s.usageLimit = {
          detail: s.usageLimit?.detail ?? e.detail,
          ...(s.usageLimit?.resetAt != null ? pickReset(s.usageLimit) : pickReset(e)),
        };
        break;
      case 'auth-failed':
        s.authFailed = e.detail;
        break;
      case 'conversation-missing':
        s.conversationMissing = true;
        s.lastError = e.detail;
        break;
      case 'permission-denied':
        s.permissionDenials = [...(s.permissionDenials ?? []), { tool: e.tool, input: e.input }];
        break;
      case 'error':
        s.lastError = e.message;
        break;
      case 'stop-reason':
        s.stopReason = e.reason;
        break;
      case 'tool-call':
        if (e.id !== undefined && !(s.toolsInFlight ?? []).includes(e.id))
          s.toolsInFlight = [...(s.toolsInFlight ?? []), e.id];
        break;
      case 'tool-result':
        if (e.id !== undefined && (s.toolsInFlight ?? []).includes(e.id))
          s.toolsInFlight = s.toolsInFlight!.filter((id) => id !== e.id);
        break;
    }
  }
  return s;
}

function pickReset(from: { resetAt: number | null; resolution?: ResetResolution }): {
  resetAt: number | null;
  resolution?: ResetResolution;
} {
  return from.resolution === undefined
    ? { resetAt: from.resetAt }
    : { resetAt: from.resetAt, resolution: from.resolution };
}

/** Whether a tool call the agent started is still running (its result not yet printed). */
export function toolInFlight(summary: Pick<TranscriptSummary, 'toolsInFlight'> | null): boolean {
  return (summary?.toolsInFlight ?? []).length > 0;
}

/** Folds whole lines of output through an adapter, from `start` (an empty summary by default). */
export function summarizeLines(
  adapter: Pick<AgentAdapter, 'parseLine'>,
  lines: Iterable<string>,
  now: number,
  timeZone?: string,
  start: TranscriptSummary = emptySummary(),
): TranscriptSummary {
  let summary = start;
  for (const line of lines) summary = foldEvents(summary, adapter.parseLine(line, now, timeZone));
  return summary;
}

/** The reason a run with permission denials waits under: `permission-denied: Bash, Write` (each tool once). */
export function deniedReason(denials: readonly { tool: string }[]): string {
  return `permission-denied: ${[...new Set(denials.map((d) => d.tool))].join(', ')}`;
}

/**
 * The verdict the shared signals force, whatever the exit status: a login problem, a conversation
 * the agent cannot find, a usage limit, tools refused for want of permission. Null when none was seen.
 */
export function signalVerdict(summary: TranscriptSummary): ExitVerdict | null {
  if (summary.authFailed !== null) return { class: 'auth', detail: summary.authFailed };
  if (summary.conversationMissing) return { class: 'conversation-lost', detail: summary.lastError };
  if (summary.usageLimit !== null) {
    const { resetAt, resolution, detail } = summary.usageLimit;
    return resolution === undefined || resetAt === null
      ? { class: 'usage-limited', resetAt, detail }
      : { class: 'usage-limited', resetAt, resetResolution: resolution, detail };
  }
  // Even a run that then reported success did not do what it was asked: a person has to allow it.
  const denials = summary.permissionDenials ?? [];
  if (denials.length > 0) return { class: 'needs-input', detail: deniedReason(denials) };
  return null;
}

export interface ExitStatus {
  exitCode: number | null;
  signal: string | null;
}

/** Why a process ended, in words: `killed by SIGKILL`, `exit status 2`. */
export function describeExit(exit: ExitStatus): string {
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  if (exit.exitCode === null) return 'ended without an exit status';
  return `exit status ${exit.exitCode}`;
}

/**
 * The verdict for agents that end each run with a result line of their own (claude, amp, gemini,
 * codex's `turn.completed`): done only for a success result and a clean exit 0.
 */
export function classifyByResult(summary: TranscriptSummary, exit: ExitStatus): ExitVerdict {
  const forced = signalVerdict(summary);
  if (forced) return forced;
  const clean = exit.signal === null && exit.exitCode === 0;
  if (summary.result === 'success') {
    return clean
      ? { class: 'done' }
      : { class: 'crash', detail: `${describeExit(exit)} after a successful result` };
  }
  if (summary.result === 'error') {
    return { class: 'crash', detail: summary.lastError ?? 'the agent reported an error' };
  }
  if (clean) return { class: 'crash', detail: 'exited without a result' };
  return { class: 'crash', detail: summary.lastError ?? describeExit(exit) };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** One readable line for an event, or null for events not worth showing. */
export function renderEvent(event: AgentEvent): string | null {
  switch (event.type) {
    case 'assistant':
      return event.text === '' ? null : event.text;
    case 'tool-call': {
      const input = oneLine(event.input, 160);
      return input === '' ? `→ ${event.name}` : `→ ${event.name}: ${input}`;
    }
    case 'tool-result': {
      const text = oneLine(event.text, 160);
      const head = event.isError ? '← error' : '← ok';
      return text === '' ? head : `${head}: ${text}`;
    }
    case 'result': {
      if (!event.ok) return `■ failed: ${oneLine(event.text ?? 'the agent reported an error', 300)}`;
      const parts: string[] = [];
      if (event.turns !== null) parts.push(plural(event.turns, 'turn'));
      if (event.costUsd !== null) parts.push(`$${event.costUsd.toFixed(2)}`);
      return parts.length > 0 ? `■ done (${parts.join(', ')})` : '■ done';
    }
    case 'usage-limit':
      return event.resetAt === null
        ? '⏸ usage limit, reset time unknown'
        : `⏸ usage limit, resets ${new Date(event.resetAt).toISOString()}`;
    case 'auth-failed':
      return `✗ not logged in: ${oneLine(event.detail, 300)}`;
    case 'conversation-missing':
      return `✗ conversation not found: ${oneLine(event.detail, 300)}`;
    case 'permission-denied': {
      const input = oneLine(event.input, 160);
      return input === '' ? `⚠ denied: ${event.tool}` : `⚠ denied: ${event.tool} — ${input}`;
    }
    case 'error':
      return `! ${oneLine(event.message, 300)}`;
    case 'session':
    case 'turn':
    case 'stop-reason':
      return null;
  }
}
