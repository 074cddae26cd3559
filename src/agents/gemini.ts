/**
 * Gemini CLI (`@google/gemini-cli`) headless with stream-json output; the prompt comes on stdin
 * (`-p ""` selects headless mode and adds nothing to it).
 *
 *   gemini -p "" -o stream-json --skip-trust --session-id <uuid>    fresh, id chosen by us
 *   gemini -p "" -o stream-json --skip-trust --resume <uuid>        continue it
 *
 * Lines: `init` (session_id), `message` (assistant text in `delta` pieces), `tool_use`,
 * `tool_result`, `error`, and a final `result` with `status`. Exit statuses say the rest:
 * 41 authentication, 42 bad input, 53 turn limit, 55 untrusted folder.
 */
import type { ExitVerdict } from '../core/lifecycle.js';
import {
  asObject,
  asString,
  clip,
  describeInput,
  errorTextEvents,
  oneLine,
  parseJsonLine,
  plainLineEvents,
} from './json-lines.js';
import { programOf, requireSessionId } from './launch-args.js';
import { usageLimitEvent } from './reset-time.js';
import { classifyByResult, renderEvent, signalVerdict } from './summary.js';
import type { AgentAdapter, AgentEvent } from './types.js';

const LIMIT =
  /\busage limit reached\b|\baccess resets at\b|\bexhausted your (?:daily )?(?:quota|capacity)\b|\bquota exceeded\b|\bRESOURCE_EXHAUSTED\b/i;
const AUTH =
  /\bplease set an auth method\b|\bAPI key not valid\b|\bUNAUTHENTICATED\b|\bfailed to (?:log ?in|authenticate)\b/i;
const LOST = /\binvalid session identifier\b|\bsession not found\b/i;

/** Exit statuses that no restart can fix. */
const FATAL_EXITS: Record<number, string> = { 42: 'bad-input', 53: 'turn-limit', 55: 'untrusted-folder' };
const AUTH_EXIT = 41;

function detectGemini(text: string, now: number, timeZone: string): AgentEvent[] {
  const events: AgentEvent[] = [];
  if (LIMIT.test(text)) events.push(usageLimitEvent(text, now, timeZone));
  if (AUTH.test(text)) events.push({ type: 'auth-failed', detail: clip(oneLine(text), 300) });
  if (LOST.test(text)) events.push({ type: 'conversation-missing', detail: clip(oneLine(text), 300) });
  return events;
}

export const gemini: AgentAdapter = {
  kind: 'gemini',
  binary: 'gemini',
  npmPackage: '@google/gemini-cli@0.61.0',
  preassignsSession: true,
  quietEnv: {},

  launch(input) {
    const argv = [programOf(input, 'gemini'), '-p', '', '-o', 'stream-json', '--skip-trust'];
    if (input.resume) argv.push('--resume', requireSessionId(input, 'gemini', 'resuming'));
    else if (input.sessionId !== null) argv.push('--session-id', input.sessionId);
    if (input.model !== null) argv.push('-m', input.model);
    if (input.unattended) argv.push('--approval-mode', 'yolo');
    argv.push(...input.extraArgs);
    return { argv, env: {} };
  },

  parseLine(line, now, timeZone = 'local') {
    const detect = (text: string) => detectGemini(text, now, timeZone);
    const msg = parseJsonLine(line);
    if (msg === null) return plainLineEvents(line, detect);
    switch (msg.type) {
      case 'init': {
        const id = asString(msg.session_id);
        return id ? [{ type: 'session', id, newer: true }] : [];
      }
      case 'message': {
        const text = asString(msg.content);
        if (msg.role !== 'assistant' || text === null || text === '') return [];
        return [msg.delta === true ? { type: 'assistant', text, delta: true } : { type: 'assistant', text }];
      }
      case 'tool_use': {
        const id = asString(msg.tool_id);
        return [
          {
            type: 'tool-call',
            name: asString(msg.tool_name) ?? 'tool',
            input: describeInput(msg.parameters),
            ...(id ? { id } : {}),
          },
        ];
      }
      case 'tool_result': {
        const text = asString(msg.output) ?? asString(asObject(msg.error)?.message) ?? '';
        const id = asString(msg.tool_id);
        return [
          {
            type: 'tool-result',
            text: clip(text, 2000),
            isError: msg.status === 'error',
            ...(id ? { id } : {}),
          },
        ];
      }
      case 'error': {
        const message = asString(msg.message);
        if (message === null || msg.severity === 'warning') return [];
        return errorTextEvents(message, detect);
      }
      case 'result': {
        // One headless invocation is one turn, as a codex exec is.
        if (msg.status === 'success') {
          return [{ type: 'turn' }, { type: 'result', ok: true, text: null, turns: null, costUsd: null }];
        }
        const message = asString(asObject(msg.error)?.message);
        return [
          ...(message === null ? [] : detect(message)),
          { type: 'result', ok: false, text: message, turns: null, costUsd: null },
        ];
      }
      default:
        return [];
    }
  },

  classify(summary, exit): ExitVerdict {
    if (exit.exitCode === AUTH_EXIT) {
      return {
        class: 'auth',
        detail: summary.authFailed ?? `exit status ${AUTH_EXIT}: authentication failed`,
      };
    }
    const forced = signalVerdict(summary);
    if (forced) return forced;
    const fatal = exit.exitCode === null ? undefined : FATAL_EXITS[exit.exitCode];
    if (fatal !== undefined) return { class: 'fatal', detail: fatal };
    return classifyByResult(summary, exit);
  },

  render: renderEvent,
};
