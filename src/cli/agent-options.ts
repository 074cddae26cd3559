import { readFileSync } from 'node:fs';
import { AGENT_KINDS, getAdapter } from '../agents/registry.js';
import { parseDuration } from '../core/duration.js';
import { HoldfastError } from '../core/errors.js';
import type { AgentSpec, OnLimit } from '../core/task.js';

export interface AgentOptions {
  agent?: string;
  prompt?: string;
  promptFile?: string;
  model?: string;
  unattended?: boolean;
  onLimit?: string;
  limitBackoff?: string;
  interactive?: boolean;
  trust?: boolean;
  resumePrompt?: string;
}

/** The agents whose TUI gives signals holdfast verifies (hooks, notify): docs/INTERACTIVE.md. */
export const INTERACTIVE_AGENTS: readonly string[] = ['claude', 'codex'];
export const DEFAULT_RESUME_PROMPT = 'continue';

export const DEFAULT_AGENT_STALL_MS = 10 * 60_000;

export const ON_LIMIT_ACTIONS: readonly OnLimit[] = ['wait', 'fail'];

/** The flags that only mean something for an agent: given to a command task they would be lost. */
export const AGENT_ONLY_FLAGS = {
  prompt: '--prompt',
  promptFile: '--prompt-file',
  model: '--model',
  unattended: '--unattended',
  interactive: '--interactive',
  trust: '--trust',
  resumePrompt: '--resume-prompt',
} as const;

/** The flags that only mean something for an interactive agent (its TUI in the pane). */
export const INTERACTIVE_ONLY_FLAGS = ['trust', 'resumePrompt'] as const;

/** The agent spec of `run`, or null for a command task (which must not carry agent-only flags). */
export function agentSpecOf(options: AgentOptions, extraArgs: string[]): AgentSpec | null {
  if (options.agent !== undefined) return normalizeAgentSpec(options, extraArgs);
  for (const [key, flag] of Object.entries(AGENT_ONLY_FLAGS)) {
    if (options[key as keyof typeof AGENT_ONLY_FLAGS] !== undefined) {
      throw new HoldfastError('EUSAGE', `${flag} is for agent tasks: it needs --agent`, {
        hint: `add --agent <kind>, one of ${AGENT_KINDS.join(', ')}`,
      });
    }
  }
  return null;
}

export function normalizeAgentSpec(options: AgentOptions, extraArgs: string[]): AgentSpec {
  const kind = options.agent!;
  getAdapter(kind);
  const onLimit = options.onLimit ?? 'wait';
  if (!(ON_LIMIT_ACTIONS as readonly string[]).includes(onLimit)) {
    throw new HoldfastError('EUSAGE', `--on-limit: expected wait or fail, got ${JSON.stringify(onLimit)}`);
  }
  const interactive = Boolean(options.interactive);
  if (interactive && !INTERACTIVE_AGENTS.includes(kind)) {
    throw new HoldfastError(
      'EUSAGE',
      `--interactive: ${kind}'s TUI gives no signals holdfast can verify; interactive agents are ${INTERACTIVE_AGENTS.join(', ')}`,
      { hint: `run ${kind} headless: drop --interactive` },
    );
  }
  for (const [key, flag] of [
    ['trust', '--trust'],
    ['resumePrompt', '--resume-prompt'],
  ] as const) {
    if (!interactive && options[key] !== undefined) {
      throw new HoldfastError('EUSAGE', `${flag} is for interactive agents: it needs --interactive`);
    }
  }
  if (options.resumePrompt !== undefined && options.resumePrompt.trim() === '') {
    throw new HoldfastError('EUSAGE', '--resume-prompt: the text is empty');
  }
  return {
    kind,
    model: options.model ?? null,
    unattended: Boolean(options.unattended),
    onLimit: onLimit as OnLimit,
    limitBackoffMs: (options.limitBackoff ?? '15m,30m,60m')
      .split(',')
      .map((d) => parseDuration(d, '--limit-backoff')),
    extraArgs,
    ...(interactive
      ? {
          interactive: true,
          trust: Boolean(options.trust),
          resumePrompt: options.resumePrompt ?? DEFAULT_RESUME_PROMPT,
        }
      : {}),
  };
}

/**
 * An interactive agent's first prompt, from --prompt or --prompt-file only (never stdin: the TUI
 * may be started without one, to be attached to); null when none was given.
 */
export function readInteractivePrompt(options: AgentOptions): string | null {
  if (options.prompt === undefined && options.promptFile === undefined) return null;
  return readPrompt(options);
}

/** The prompt from --prompt, --prompt-file or standard input (when it is not a terminal). */
export function readPrompt(options: AgentOptions): string {
  if (options.prompt !== undefined && options.promptFile !== undefined) {
    throw new HoldfastError('EUSAGE', 'give the prompt once: --prompt or --prompt-file, not both');
  }
  let prompt: string | null = null;
  if (options.prompt !== undefined) prompt = options.prompt;
  else if (options.promptFile !== undefined) {
    try {
      prompt = readFileSync(options.promptFile, 'utf8');
    } catch (error) {
      throw new HoldfastError(
        'EUSAGE',
        `--prompt-file: cannot read ${options.promptFile}: ${(error as Error).message}`,
      );
    }
  } else if (!process.stdin.isTTY) {
    prompt = readFileSync(0, 'utf8');
  }
  if (prompt === null || prompt.trim() === '') {
    throw new HoldfastError(
      'EUSAGE',
      'an agent task needs a prompt: --prompt TEXT, --prompt-file FILE, or the prompt on stdin',
      {
        hint: `agents: ${AGENT_KINDS.join(', ')}`,
      },
    );
  }
  return prompt;
}
