/**
 * Amp (`@ampcode/cli`) in execute mode with stream-json output; the prompt comes on stdin.
 *
 *   amp -x --stream-json                                  fresh; the thread id (T-…) arrives on each message
 *   amp threads continue <T-id> -x --stream-json          continue it
 *
 * The messages have claude's stream-json shape (`system/init`, `assistant`, `user`, `result` with
 * `is_error`). Amp has no model flag: the model is ignored.
 */
import { parseStreamJsonMessage } from './claude.js';
import { clip, oneLine, parseJsonLine, plainLineEvents } from './json-lines.js';
import { programOf, requireSessionId } from './launch-args.js';
import { usageLimitEvent } from './reset-time.js';
import { classifyByResult, renderEvent } from './summary.js';
import type { AgentAdapter, AgentEvent } from './types.js';

// "Out of Credits" has no reset time: it waits like any limit of unknown reset.
const LIMIT = /\brate limit hit\b|\bout of credits\b|\busage limit\b/i;
// Without AMP_API_KEY the real CLI (0.0.1790142911) starts a login flow and reads the code from
// stdin: it prints "No API key found. Starting login flow..." and, given our prompt, "Login failed".
const AUTH =
  /\bnot logged in\b|\bplease (?:sign|log) in\b|\bamp login\b|\binvalid api key\b|\b401\b[^\n]*\bunauthori[sz]ed\b|\bno api key found\b|\blogin failed\b/i;
const LOST = /\bthread\b[^\n]*\bnot found\b/i;

function detectAmp(text: string, now: number, timeZone: string): AgentEvent[] {
  const events: AgentEvent[] = [];
  if (LIMIT.test(text)) events.push(usageLimitEvent(text, now, timeZone));
  if (AUTH.test(text)) events.push({ type: 'auth-failed', detail: clip(oneLine(text), 300) });
  if (LOST.test(text)) events.push({ type: 'conversation-missing', detail: clip(oneLine(text), 300) });
  return events;
}

export const amp: AgentAdapter = {
  kind: 'amp',
  binary: 'amp',
  npmPackage: '@ampcode/cli@0.0.1790142911-g7618fb',
  preassignsSession: false,
  quietEnv: {},

  launch(input) {
    const program = programOf(input, 'amp');
    const argv = input.resume
      ? [program, 'threads', 'continue', requireSessionId(input, 'amp', 'resuming'), '-x', '--stream-json']
      : [program, '-x', '--stream-json'];
    if (input.unattended) argv.push('--dangerously-allow-all');
    argv.push(...input.extraArgs);
    return { argv, env: {} };
  },

  parseLine(line, now, timeZone = 'local') {
    const detect = (text: string) => detectAmp(text, now, timeZone);
    const msg = parseJsonLine(line);
    return msg === null ? plainLineEvents(line, detect) : parseStreamJsonMessage(msg, detect);
  },

  classify: classifyByResult,
  render: renderEvent,
};
