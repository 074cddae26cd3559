/** Every agent holdfast can supervise, by kind. */
import { HoldfastError } from '../core/errors.js';
import { amp } from './amp.js';
import { claude } from './claude.js';
import { codex } from './codex.js';
import { gemini } from './gemini.js';
import { opencode } from './opencode.js';
import { pi } from './pi.js';
import type { AgentAdapter, AgentKind } from './types.js';

export const AGENTS: Record<AgentKind, AgentAdapter> = { claude, codex, opencode, gemini, pi, amp };

export const AGENT_KINDS = Object.keys(AGENTS) as AgentKind[];

export function isAgentKind(kind: string): kind is AgentKind {
  return Object.hasOwn(AGENTS, kind);
}

/** The adapter for `kind`; an EAGENT error naming the known kinds for any other. */
export function getAdapter(kind: string): AgentAdapter {
  if (isAgentKind(kind)) return AGENTS[kind];
  throw new HoldfastError(
    'EAGENT',
    `unknown agent ${JSON.stringify(kind)}: expected one of ${AGENT_KINDS.join(', ')}`,
    {
      hint: `holdfast supports ${AGENT_KINDS.join(', ')}`,
    },
  );
}
