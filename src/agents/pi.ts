/**
 * Pi (`@mariozechner/pi-coding-agent`) in JSON mode; the prompt comes on stdin.
 *
 *   pi --mode json --session <abs path>.jsonl     fresh and resumed alike
 *
 * The session file is ours, so for pi the session id IS that absolute path; the `session` line's
 * own id is not used. In JSON mode pi exits 0 even when the run failed: the last assistant
 * message's `stopReason` says how it ended, `error` and `aborted` being the failures.
 */
import { isAbsolute } from 'node:path';
import { HoldfastError } from '../core/errors.js';
import type { ExitVerdict } from '../core/lifecycle.js';
import {
  asArray,
  asObject,
  asString,
  clip,
  contentText,
  describeInput,
  errorTextEvents,
  type JsonObject,
  oneLine,
  parseJsonLine,
  plainLineEvents,
} from './json-lines.js';
import { programOf, requireSessionId } from './launch-args.js';
import { usageLimitEvent } from './reset-time.js';
import { describeExit, renderEvent, signalVerdict } from './summary.js';
import type { AgentAdapter, AgentEvent } from './types.js';

// Pi relays its providers' errors (Anthropic, OpenAI, Google, subscriptions), so these are broad.
const LIMIT =
  /\busage limit\b|\bhit your\b[^\n]*\blimit\b|\blimit reached\b|\bquota\b|\brate[_ ]limit(?:ed|_error)?\b|\b429\b|\btoo many requests\b/i;
const AUTH =
  /\b401\b|\bunauthori[sz]ed\b|\binvalid (?:x-)?api[ _-]?key\b|\bno api key\b|\bauthentication_error\b|\bnot logged in\b/i;
// pi creates a missing session file; this covers a build that refuses instead.
const LOST = /\bsession file not found\b/i;

function detectPi(text: string, now: number, timeZone: string): AgentEvent[] {
  const events: AgentEvent[] = [];
  if (LIMIT.test(text)) events.push(usageLimitEvent(text, now, timeZone));
  if (AUTH.test(text)) events.push({ type: 'auth-failed', detail: clip(oneLine(text), 300) });
  if (LOST.test(text)) events.push({ type: 'conversation-missing', detail: clip(oneLine(text), 300) });
  return events;
}

/** How an assistant message ended; for `error` and `aborted`, what went wrong. */
function ending(message: JsonObject, detect: (text: string) => AgentEvent[]): AgentEvent[] {
  const reason = asString(message.stopReason);
  if (reason === null) return [];
  const events: AgentEvent[] = [{ type: 'stop-reason', reason }];
  if (reason === 'error' || reason === 'aborted') {
    const text = asString(message.errorMessage);
    const fallback = reason === 'error' ? 'the run stopped on an error' : 'the run was aborted';
    events.push(
      ...(text === null ? [{ type: 'error', message: fallback } as const] : errorTextEvents(text, detect)),
    );
  }
  return events;
}

export const pi: AgentAdapter = {
  kind: 'pi',
  binary: 'pi',
  npmPackage: '@mariozechner/pi-coding-agent@0.73.1',
  preassignsSession: true,
  quietEnv: {},

  launch(input) {
    const path = requireSessionId(input, 'pi', 'every run');
    if (!isAbsolute(path)) {
      throw new HoldfastError(
        'EAGENT',
        `pi: the session must be an absolute .jsonl path, got ${JSON.stringify(path)}`,
      );
    }
    const argv = [programOf(input, 'pi'), '--mode', 'json', '--session', path];
    if (input.model !== null) argv.push('--model', input.model);
    argv.push(...input.extraArgs);
    return { argv, env: {} };
  },

  parseLine(line, now, timeZone = 'local') {
    const detect = (text: string) => detectPi(text, now, timeZone);
    const msg = parseJsonLine(line);
    if (msg === null) return plainLineEvents(line, detect);
    switch (msg.type) {
      case 'message_end': {
        const message = asObject(msg.message);
        if (message?.role !== 'assistant') return [];
        const text = contentText(message.content);
        return [...(text === '' ? [] : [{ type: 'assistant', text } as const]), ...ending(message, detect)];
      }
      case 'agent_end': {
        // The whole conversation again, after each message's own message_end: only the last
        // assistant message's stop reason is repeated, in case its message_end was missed.
        const last = asArray(msg.messages)
          .map(asObject)
          .filter((m): m is JsonObject => m?.role === 'assistant')
          .at(-1);
        const reason = asString(last?.stopReason);
        return reason === null ? [] : [{ type: 'stop-reason', reason }];
      }
      case 'turn_end':
        return [{ type: 'turn' }];
      case 'tool_execution_start': {
        const id = asString(msg.toolCallId);
        return [
          {
            type: 'tool-call',
            name: asString(msg.toolName) ?? 'tool',
            input: describeInput(msg.args),
            ...(id ? { id } : {}),
          },
        ];
      }
      case 'tool_execution_end': {
        const result = asObject(msg.result);
        const text = result ? contentText(result.content) : (asString(msg.result) ?? '');
        const id = asString(msg.toolCallId);
        return [
          {
            type: 'tool-result',
            text: clip(text, 2000),
            isError: msg.isError === true,
            ...(id ? { id } : {}),
          },
        ];
      }
      default:
        return [];
    }
  },

  classify(summary, exit): ExitVerdict {
    const forced = signalVerdict(summary);
    if (forced) return forced;
    if (exit.signal !== null || exit.exitCode !== 0) {
      return { class: 'crash', detail: summary.lastError ?? describeExit(exit) };
    }
    // Only an error or an abort is a failure: a run pi ended on its own, however, is done.
    switch (summary.stopReason) {
      case null:
        return { class: 'crash', detail: 'exited without an answer' };
      case 'error':
      case 'aborted':
        return { class: 'crash', detail: summary.lastError ?? `stopped: ${summary.stopReason}` };
      default:
        return { class: 'done' };
    }
  },

  render: renderEvent,
};
