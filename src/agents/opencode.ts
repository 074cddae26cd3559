/**
 * OpenCode (`opencode-ai`) `run` with JSON lines; the prompt comes on stdin.
 *
 *   opencode run --format json --title <run-label>     fresh; the id arrives on every line
 *   opencode run --format json -s <ses_id>             continue it
 *
 * Every line carries `sessionID`. A run that died before printing one is found again by its title
 * with `opencode session list --format json` (see `findSessionByTitle`). There is no done line:
 * exit 0 without an `error` line is done; an `error` line is read as a failed result.
 */
import type { ExitVerdict } from '../core/lifecycle.js';
import {
  asArray,
  asNumber,
  asObject,
  asString,
  clip,
  describeInput,
  type JsonObject,
  oneLine,
  parseJsonLine,
  plainLineEvents,
} from './json-lines.js';
import { programOf, requireSessionId } from './launch-args.js';
import { usageLimitEvent } from './reset-time.js';
import { describeExit, renderEvent, signalVerdict } from './summary.js';
import type { AgentAdapter, AgentEvent } from './types.js';

const LIMIT = /\busage limit reached\b|\bit will reset in\b|\bquota exceeded\b/i;
const AUTH = /\bProviderAuthError\b|\binvalid api key\b|\bnot logged in\b|\bunauthori[sz]ed\b/i;
const LOST = /\bsession not found\b/i;

function detectOpencode(text: string, now: number, timeZone: string): AgentEvent[] {
  const events: AgentEvent[] = [];
  if (LIMIT.test(text)) events.push(usageLimitEvent(text, now, timeZone));
  if (AUTH.test(text)) events.push({ type: 'auth-failed', detail: clip(oneLine(text), 300) });
  if (LOST.test(text)) events.push({ type: 'conversation-missing', detail: clip(oneLine(text), 300) });
  return events;
}

/** `{"type":"error","error":{"name":…,"data":{"message":…,"statusCode":429}}}`: what it says, and a failed result. */
function errorEvents(error: JsonObject | null, now: number, timeZone: string): AgentEvent[] {
  const data = asObject(error?.data);
  const name = asString(error?.name) ?? 'Error';
  const message = asString(data?.message) ?? asString(error?.message) ?? name;
  const status = asNumber(data?.statusCode);
  const text = `${name}: ${message}`;
  const events = detectOpencode(text, now, timeZone);
  const has = (type: AgentEvent['type']) => events.some((e) => e.type === type);
  if (status === 429 && !has('usage-limit')) events.push(usageLimitEvent(message, now, timeZone));
  if ((status === 401 || status === 403) && !has('auth-failed')) {
    events.push({ type: 'auth-failed', detail: clip(oneLine(text), 300) });
  }
  if (name === 'NotFoundError' && /\bses_\w+/.test(message) && !has('conversation-missing')) {
    events.push({ type: 'conversation-missing', detail: clip(oneLine(text), 300) });
  }
  // The session failed: opencode's only verdict of its own.
  return [...events, { type: 'result', ok: false, text: clip(text, 2000), turns: null, costUsd: null }];
}

/** A tool part: the call, and its result once its state is final (a pending or running part is in flight). */
function toolEvents(part: JsonObject | null): AgentEvent[] {
  const state = asObject(part?.state);
  const callId = asString(part?.callID);
  const id = callId ? { id: callId } : {};
  const events: AgentEvent[] = [
    { type: 'tool-call', name: asString(part?.tool) ?? 'tool', input: describeInput(state?.input), ...id },
  ];
  if (state?.status === 'completed') {
    events.push({
      type: 'tool-result',
      text: clip(asString(state.output) ?? '', 2000),
      isError: false,
      ...id,
    });
  } else if (state?.status === 'error') {
    events.push({ type: 'tool-result', text: clip(asString(state.error) ?? '', 2000), isError: true, ...id });
  }
  return events;
}

/**
 * The id of the session titled `title` in the output of `opencode session list --format json`
 * (the newest, should there be several), or null.
 */
export function findSessionByTitle(jsonText: string, title: string): string | null {
  let list: unknown;
  try {
    list = JSON.parse(jsonText);
  } catch {
    const start = jsonText.indexOf('[');
    const end = jsonText.lastIndexOf(']');
    if (start < 0 || end < start) return null;
    try {
      list = JSON.parse(jsonText.slice(start, end + 1));
    } catch {
      return null;
    }
  }
  let best: { id: string; at: number } | null = null;
  for (const entry of asArray(list)) {
    const s = asObject(entry);
    const id = asString(s?.id);
    if (!s || !id || s.title !== title) continue;
    const time = asObject(s.time);
    const at =
      asNumber(s.updated) ?? asNumber(time?.updated) ?? asNumber(s.created) ?? asNumber(time?.created) ?? 0;
    if (best === null || at > best.at) best = { id, at };
  }
  return best?.id ?? null;
}

export const opencode: AgentAdapter = {
  kind: 'opencode',
  binary: 'opencode',
  npmPackage: 'opencode-ai@1.18.33',
  preassignsSession: false,
  quietEnv: { OPENCODE_DISABLE_AUTOUPDATE: '1' },

  launch(input) {
    const argv = [programOf(input, 'opencode'), 'run', '--format', 'json'];
    if (input.resume) argv.push('-s', requireSessionId(input, 'opencode', 'resuming'));
    else argv.push('--title', input.runLabel);
    if (input.model !== null) argv.push('-m', input.model);
    if (input.unattended) argv.push('--auto');
    argv.push(...input.extraArgs);
    return { argv, env: {} };
  },

  parseLine(line, now, timeZone = 'local') {
    const msg = parseJsonLine(line);
    if (msg === null) return plainLineEvents(line, (text) => detectOpencode(text, now, timeZone));
    const events: AgentEvent[] = [];
    const id = asString(msg.sessionID);
    if (id) events.push({ type: 'session', id });
    const part = asObject(msg.part);
    switch (msg.type) {
      case 'text': {
        const text = asString(part?.text);
        if (text !== null && text !== '') events.push({ type: 'assistant', text });
        break;
      }
      case 'tool_use':
        events.push(...toolEvents(part));
        break;
      case 'step_finish':
        events.push({ type: 'turn' });
        break;
      case 'error':
        events.push(...errorEvents(asObject(msg.error), now, timeZone));
        break;
    }
    return events;
  },

  classify(summary, exit): ExitVerdict {
    const forced = signalVerdict(summary);
    if (forced) return forced;
    if (exit.signal !== null || exit.exitCode !== 0) {
      return { class: 'crash', detail: summary.lastError ?? describeExit(exit) };
    }
    if (summary.result === 'error') {
      return { class: 'crash', detail: summary.lastError ?? 'the agent reported an error' };
    }
    return { class: 'done' };
  },

  render: renderEvent,
};
