/**
 * Claude Code (`@anthropic-ai/claude-code`) in print mode with stream-json output.
 *
 *   claude -p --output-format stream-json --verbose --session-id <uuid>    fresh, id chosen by us
 *   claude -p --output-format stream-json --verbose --resume <uuid>        continue it
 *
 * `--session-id` of a session that already exists is refused, so every relaunch after the first
 * model request resumes. Lines: `system/init` (session_id), `assistant` and `user` messages,
 * `rate_limit_event`, and a final `result` judged by `is_error` (API errors arrive as
 * `subtype:"success"` with `is_error:true`). Without `--dangerously-skip-permissions` a tool that
 * needs approval is refused (nobody can answer in print mode) and the result lists it in
 * `permission_denials`, still with `subtype:"success"`.
 */

import { hooksObject } from './hook-config.js';
import {
  asArray,
  asNumber,
  asObject,
  asString,
  clip,
  contentText,
  describeInput,
  type JsonObject,
  oneLine,
  parseJsonLine,
  plainLineEvents,
} from './json-lines.js';
import { programOf, requireSessionId } from './launch-args.js';
import { usageLimitEvent } from './reset-time.js';
import { classifyByResult, renderEvent } from './summary.js';
import type { AgentAdapter, AgentEvent, InteractiveAdapter } from './types.js';

/** Events for an error text: what it says about limits, login or the conversation; [] for none. */
export type TextDetector = (text: string) => AgentEvent[];

/**
 * One message of the stream-json format claude introduced and amp shares. `detect` reads the text
 * of failed results (a limit or login problem also comes as a synthetic assistant message, but a
 * result always follows it), never the model's own words.
 */
export function parseStreamJsonMessage(msg: JsonObject, detect: TextDetector): AgentEvent[] {
  switch (msg.type) {
    case 'system': {
      const id = asString(msg.session_id);
      return msg.subtype === 'init' && id ? [{ type: 'session', id, newer: true }] : [];
    }
    case 'assistant': {
      const message = asObject(msg.message);
      const events: AgentEvent[] = [];
      const texts: string[] = [];
      for (const part of asArray(message?.content)) {
        const p = asObject(part);
        if (p?.type === 'text' && typeof p.text === 'string') texts.push(p.text);
        if (p?.type === 'tool_use') {
          const id = asString(p.id);
          events.push({
            type: 'tool-call',
            name: asString(p.name) ?? 'tool',
            input: describeInput(p.input),
            ...(id ? { id } : {}),
          });
        }
      }
      const text = texts.join('\n');
      return text === '' ? events : [{ type: 'assistant', text }, ...events];
    }
    case 'user': {
      const message = asObject(msg.message);
      const events: AgentEvent[] = [];
      for (const part of asArray(message?.content)) {
        const p = asObject(part);
        if (p?.type === 'tool_result') {
          const id = asString(p.tool_use_id);
          events.push({
            type: 'tool-result',
            text: clip(contentText(p.content), 2000),
            isError: p.is_error === true,
            ...(id ? { id } : {}),
          });
        }
      }
      return events;
    }
    case 'result': {
      const ok = msg.is_error !== true;
      const errors = asArray(msg.errors).filter((e): e is string => typeof e === 'string');
      const text =
        asString(msg.result) ?? asString(msg.error) ?? (errors.length > 0 ? errors.join('; ') : null);
      const found = text !== null && (!ok || LEGACY_LIMIT.test(text)) ? detect(text) : [];
      return [
        ...found,
        { type: 'result', ok, text, turns: asNumber(msg.num_turns), costUsd: asNumber(msg.total_cost_usd) },
      ];
    }
    case 'rate_limit_event': {
      const info = asObject(msg.rate_limit_info);
      // "allowed" and "allowed_warning" are reports, not limits; overage keeps the run going.
      if (info?.status !== 'rejected' || info.isUsingOverage === true) return [];
      const resetsAt = asNumber(info.resetsAt);
      const kind = asString(info.rateLimitType);
      return [
        {
          type: 'usage-limit',
          resetAt: resetsAt === null ? null : resetsAt * 1000,
          detail: kind ? `${kind} limit` : 'usage limit',
        },
      ];
    }
    default:
      return [];
  }
}

// Claude Code before 1.0.x printed `Claude AI usage limit reached|<epoch seconds>`.
const LEGACY_LIMIT = /Claude AI usage limit reached\|(\d{9,13})/;
const LIMIT =
  /you(?:'|’)ve (?:hit|reached) your\b[^\n]*?\blimit\b|\b(?:usage|5-hour|weekly|daily|opus|sonnet|session) limit reached\b|\blimit will reset\b/i;
const AUTH =
  /\bnot logged in\b|\binvalid api key\b|please run \/login|oauth token (?:has )?(?:expired|been revoked)|\bauthentication_error\b/i;
const LOST = /No conversation found with session ID/i;

function detectClaude(text: string, now: number, timeZone: string): AgentEvent[] {
  const events: AgentEvent[] = [];
  const legacy = LEGACY_LIMIT.exec(text);
  if (legacy) {
    const n = Number(legacy[1]);
    events.push({
      type: 'usage-limit',
      resetAt: n < 1e12 ? n * 1000 : n,
      detail: 'Claude AI usage limit reached',
    });
  } else if (LIMIT.test(text)) {
    events.push(usageLimitEvent(text, now, timeZone));
  }
  if (AUTH.test(text)) events.push({ type: 'auth-failed', detail: clip(oneLine(text), 300) });
  if (LOST.test(text)) events.push({ type: 'conversation-missing', detail: clip(oneLine(text), 300) });
  return events;
}

/**
 * The `permission_denials` of a result line: `[{tool_name, tool_use_id, tool_input}]`, as the Agent
 * SDK types its result message (`SDKPermissionDenial`) and the denied run of issue 8 printed it.
 */
export function permissionDenials(msg: JsonObject): AgentEvent[] {
  return asArray(msg.permission_denials).flatMap((d): AgentEvent[] => {
    const denial = asObject(d);
    if (!denial) return [];
    return [
      {
        type: 'permission-denied',
        tool: asString(denial.tool_name) ?? 'tool',
        input: describeInput(denial.tool_input),
      },
    ];
  });
}

/**
 * The TUI in the pane (docs/INTERACTIVE.md §1, §3):
 *
 *   claude --session-id <uuid> --settings <agentDir>/settings.json     fresh, id chosen by us
 *   claude --resume <uuid> --settings <agentDir>/settings.json         continue it
 *
 * The settings file installs holdfast's hooks (they merge with the user's own) and skips the
 * bypass-mode warning, so a `--unattended` TUI reaches its prompt box. No prompt in argv: the
 * first prompt is delivered into the composer.
 */
const claudeInteractive: InteractiveAdapter = {
  launch(input) {
    const argv = [programOf(input, 'claude')];
    if (input.resume) argv.push('--resume', requireSessionId(input, 'claude', 'resuming'));
    else if (input.sessionId !== null) argv.push('--session-id', input.sessionId);
    argv.push('--settings', `${input.agentDir}/settings.json`);
    if (input.model !== null) argv.push('--model', input.model);
    const env: Record<string, string> = {};
    if (input.unattended) {
      argv.push('--dangerously-skip-permissions');
      env.IS_SANDBOX = '1';
    }
    argv.push(...input.extraArgs);
    return { argv, env };
  },
  files(input) {
    const settings = {
      hooks: hooksObject(input.hook),
      skipDangerousModePermissionPrompt: true,
      // Claude 2.1.329's TUI starts in auto mode, where a tool call runs without a
      // PermissionRequest (seen with the real CLI), so holdfast's rules would never be asked. With
      // rules the task starts in the default mode; a --permission-mode of the user's still wins.
      ...(input.hasRules ? { permissions: { defaultMode: 'default' } } : {}),
    };
    return { 'settings.json': `${JSON.stringify(settings, null, 2)}\n` };
  },
};

export const claude: AgentAdapter = {
  kind: 'claude',
  binary: 'claude',
  npmPackage: '@anthropic-ai/claude-code@2.1.329',
  preassignsSession: true,
  quietEnv: { DISABLE_AUTOUPDATER: '1' },

  launch(input) {
    const argv = [programOf(input, 'claude'), '-p', '--output-format', 'stream-json', '--verbose'];
    if (input.resume) argv.push('--resume', requireSessionId(input, 'claude', 'resuming'));
    else if (input.sessionId !== null) argv.push('--session-id', input.sessionId);
    if (input.model !== null) argv.push('--model', input.model);
    const env: Record<string, string> = {};
    if (input.unattended) {
      argv.push('--dangerously-skip-permissions');
      // As root, claude refuses --dangerously-skip-permissions outside a declared sandbox.
      env.IS_SANDBOX = '1';
    }
    argv.push(...input.extraArgs);
    return { argv, env };
  },

  parseLine(line, now, timeZone = 'local') {
    const detect = (text: string) => detectClaude(text, now, timeZone);
    const msg = parseJsonLine(line);
    if (msg === null) return plainLineEvents(line, detect);
    const events = parseStreamJsonMessage(msg, detect);
    return msg.type === 'result' ? [...permissionDenials(msg), ...events] : events;
  },

  interactive: claudeInteractive,
  classify: classifyByResult,
  render: renderEvent,
};
