/**
 * Codex CLI (`@openai/codex`) in exec mode with JSONL output; the prompt comes on stdin (`-`).
 *
 *   codex exec --json [--skip-git-repo-check] --sandbox workspace-write -
 *   codex exec resume --json [--skip-git-repo-check] -c sandbox_mode="workspace-write" <thread_id> -
 *
 * The thread id cannot be chosen: it arrives on the first line, `thread.started`. `exec resume`
 * has no `--sandbox`, so the sandbox goes through `-c` there. Given an id it does not know, codex
 * starts a new thread without a word: the `thread.started` id then differs from the one resumed.
 * Each exec is one turn: `turn.completed` is the done signal, `turn.failed` the failure.
 * Offline it retries `Reconnecting...` forever; only holdfast's stall timer ends that.
 */

import { join } from 'node:path';
import { mergeCodexConfig } from './codex-config.js';
import { hooksObject, tomlString } from './hook-config.js';
import {
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
import { classifyByResult, renderEvent } from './summary.js';
import type { AgentAdapter, AgentEvent, InteractiveAdapter } from './types.js';

const LIMIT =
  /you(?:'|’)ve (?:hit|reached) your\b[^\n]*?\blimit\b|\busage_limit_reached\b|exceeded retry limit, last status: 429/i;
const AUTH =
  /\bnot logged in\b|\b401 Unauthorized\b|\bplease (?:log|sign) in\b|\bsign in again\b|refresh token (?:has )?(?:expired|was already used|was revoked)/i;
// Resuming an id codex does not know usually starts a new thread silently; some builds refuse.
const LOST = /\bno rollout found for thread id\b|\bthread\/resume failed\b/i;

function detectCodex(text: string, now: number, timeZone: string): AgentEvent[] {
  const events: AgentEvent[] = [];
  // "try again at 12:31 PM" is the machine's local time, to the minute.
  if (LIMIT.test(text)) events.push(usageLimitEvent(text, now, timeZone));
  if (AUTH.test(text)) events.push({ type: 'auth-failed', detail: clip(oneLine(text), 300) });
  if (LOST.test(text)) events.push({ type: 'conversation-missing', detail: clip(oneLine(text), 300) });
  return events;
}

/** `{id}` when the item has one: a started command or tool call is in flight until its item completes. */
function itemId(item: JsonObject): { id?: string } {
  const id = asString(item.id);
  return id ? { id } : {};
}

function itemStarted(item: JsonObject): AgentEvent[] {
  switch (item.type) {
    case 'command_execution':
      return [{ type: 'tool-call', name: 'shell', input: describeInput(item.command), ...itemId(item) }];
    case 'mcp_tool_call':
      return [
        { type: 'tool-call', name: mcpName(item), input: describeInput(item.arguments), ...itemId(item) },
      ];
    default:
      return [];
  }
}

function itemCompleted(item: JsonObject, detect: (text: string) => AgentEvent[]): AgentEvent[] {
  switch (item.type) {
    case 'agent_message': {
      const text = asString(item.text);
      return text === null ? [] : [{ type: 'assistant', text }];
    }
    case 'command_execution': {
      const failed = item.status === 'failed' || (typeof item.exit_code === 'number' && item.exit_code !== 0);
      return [
        {
          type: 'tool-result',
          text: clip(asString(item.aggregated_output) ?? '', 2000),
          isError: failed,
          ...itemId(item),
        },
      ];
    }
    case 'mcp_tool_call': {
      const error = asString(asObject(item.error)?.message);
      const text = error ?? contentText(asObject(item.result)?.content);
      return [
        {
          type: 'tool-result',
          text: clip(text, 2000),
          isError: item.status === 'failed' || error !== null,
          ...itemId(item),
        },
      ];
    }
    case 'file_change': {
      const paths = (Array.isArray(item.changes) ? item.changes : [])
        .map((c) => asString(asObject(c)?.path))
        .filter((p): p is string => p !== null);
      return [{ type: 'tool-call', name: 'edit', input: clip(paths.join(', '), 1000) }];
    }
    case 'web_search':
      return [{ type: 'tool-call', name: 'web_search', input: describeInput(item.query) }];
    case 'error': {
      const message = asString(item.message);
      return message === null ? [] : errorTextEvents(message, detect);
    }
    default:
      return [];
  }
}

function mcpName(item: JsonObject): string {
  const server = asString(item.server);
  const tool = asString(item.tool) ?? 'tool';
  return server ? `${server}.${tool}` : tool;
}

/**
 * Models whose first start shows a migration picker where a blind Enter switches the model
 * (docs/INTERACTIVE.md §1): pre-answered in `[notice.model_migrations]`. The pairs are those the
 * fake TUI records (test/fixtures/fake-tui/recorded/codex.json); the doc does not name real ones.
 */
export const CODEX_MODEL_MIGRATIONS: Readonly<Record<string, string>> = { 'gpt-5.1-codex': 'gpt-5.2-codex' };

/**
 * The TUI in the pane (docs/INTERACTIVE.md §1, §3), with holdfast's own `CODEX_HOME`:
 *
 *   codex --no-daemon --dangerously-bypass-hook-trust                    fresh
 *   codex resume <thread-id> --no-daemon --dangerously-bypass-hook-trust continue it
 *
 * `--no-daemon` keeps the agent in the pane's process tree (its app-server daemon otherwise
 * outlives the TUI and keeps a turn running after a kill). `config.toml` holds notify, the model
 * notices and, with `--trust`, the folder trust; `hooks.json` holdfast's hooks, honoured without a
 * trust step only with `--dangerously-bypass-hook-trust`.
 */
const codexInteractive: InteractiveAdapter = {
  launch(input) {
    const program = programOf(input, 'codex');
    const argv = input.resume ? [program, 'resume', requireSessionId(input, 'codex', 'resuming')] : [program];
    argv.push('--no-daemon', '--dangerously-bypass-hook-trust');
    if (input.model !== null) argv.push('-m', input.model);
    if (input.unattended) argv.push('--dangerously-bypass-approvals-and-sandbox');
    argv.push(...input.extraArgs);
    return { argv, env: { CODEX_HOME: `${input.agentDir}/codex-home` } };
  },
  files(input) {
    const lines = [
      `notify = [${[...input.hook].map(tomlString).join(', ')}]`,
      '',
      '[notice.model_migrations]',
      ...Object.entries(CODEX_MODEL_MIGRATIONS).map(
        ([from, to]) => `${tomlString(from)} = ${tomlString(to)}`,
      ),
    ];
    if (input.trust) lines.push('', `[projects.${tomlString(input.cwd)}]`, 'trust_level = "trusted"');
    // The user's own settings (model, provider, profiles) carry over; holdfast's keys win.
    return {
      'codex-home/config.toml': mergeCodexConfig(input.readUserFile('config.toml'), `${lines.join('\n')}\n`),
      'codex-home/hooks.json': `${JSON.stringify({ hooks: hooksObject(input.hook) }, null, 2)}\n`,
    };
  },
  links(input) {
    // The user's login, shared rather than copied: codex refreshes (and rotates) its tokens in this
    // file, and a copy would leave one side holding a token the other made invalid.
    const auth = join(input.userHome, 'auth.json');
    const links: Record<string, string> = {};
    if (input.readUserFile('auth.json') !== null) links['codex-home/auth.json'] = auth;
    return links;
  },
};

export const codex: AgentAdapter = {
  kind: 'codex',
  binary: 'codex',
  npmPackage: '@openai/codex@0.169.0',
  preassignsSession: false,
  quietEnv: {},

  launch(input) {
    const program = programOf(input, 'codex');
    const shared: string[] = [];
    if (!input.inGitRepo) shared.push('--skip-git-repo-check');
    if (input.model !== null) shared.push('-m', input.model);
    if (input.unattended) shared.push('--dangerously-bypass-approvals-and-sandbox');
    if (input.resume) {
      const id = requireSessionId(input, 'codex', 'resuming');
      const sandbox = input.unattended ? [] : ['-c', 'sandbox_mode="workspace-write"'];
      return {
        argv: [program, 'exec', 'resume', '--json', ...shared, ...sandbox, id, ...input.extraArgs, '-'],
        env: {},
      };
    }
    const sandbox = input.unattended ? [] : ['--sandbox', 'workspace-write'];
    return { argv: [program, 'exec', '--json', ...shared, ...sandbox, ...input.extraArgs, '-'], env: {} };
  },

  parseLine(line, now, timeZone = 'local') {
    const detect = (text: string) => detectCodex(text, now, timeZone);
    const msg = parseJsonLine(line);
    if (msg === null) return plainLineEvents(line, detect);
    switch (msg.type) {
      case 'thread.started': {
        const id = asString(msg.thread_id);
        return id ? [{ type: 'session', id, newer: true }] : [];
      }
      case 'item.started': {
        const item = asObject(msg.item);
        return item ? itemStarted(item) : [];
      }
      case 'item.completed': {
        const item = asObject(msg.item);
        return item ? itemCompleted(item, detect) : [];
      }
      case 'turn.completed':
        return [{ type: 'turn' }, { type: 'result', ok: true, text: null, turns: null, costUsd: null }];
      case 'turn.failed': {
        const message = asString(asObject(msg.error)?.message) ?? 'the turn failed';
        return [...detect(message), { type: 'result', ok: false, text: message, turns: null, costUsd: null }];
      }
      case 'error': {
        const message = asString(msg.message);
        return message === null ? [] : errorTextEvents(message, detect);
      }
      default:
        return [];
    }
  },

  interactive: codexInteractive,
  classify: classifyByResult,
  render: renderEvent,
};
