import { readFileSync } from 'node:fs';
import { type Policy, parseRule, parseRulesFile } from '../agents/policy.js';
import { HoldfastError } from '../core/errors.js';
import type { AgentSpec } from '../core/task.js';

export interface ApprovalOptions {
  allow?: string[];
  deny?: string[];
  rulesFile?: string;
}

/** The agents whose `PermissionRequest` hook holdfast answers (run with `--interactive`). */
export const RULE_AGENTS: readonly string[] = ['claude', 'codex'];

/** commander's collector for a repeatable option. */
export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/**
 * The approval rules of `run` (`--allow`, `--deny`, `--rules-file`), or null when none is given.
 * A bad rule is the user's error, before anything is created.
 */
export function policyOf(options: ApprovalOptions, agent: AgentSpec | null): Policy | null {
  const given = options.allow !== undefined || options.deny !== undefined || options.rulesFile !== undefined;
  if (!given) return null;
  const flag = options.allow ? '--allow' : options.deny ? '--deny' : '--rules-file';
  // Only an interactive agent's hooks ask holdfast; a headless one's rules would silently do nothing.
  if (agent === null || !RULE_AGENTS.includes(agent.kind) || agent.interactive !== true) {
    throw new HoldfastError(
      'EUSAGE',
      `${flag} answers an interactive agent's approval requests: it needs --agent ${RULE_AGENTS.join('|')} --interactive`,
    );
  }
  const policy: Policy = { allow: [], deny: [] };
  for (const effect of ['allow', 'deny'] as const) {
    for (const raw of options[effect] ?? []) {
      const rule = parseRule(effect, raw);
      if (typeof rule === 'string') {
        throw new HoldfastError('EUSAGE', `--${effect}: ${rule}`, {
          hint: 'a rule is a tool name, or a tool and a pattern: Bash, Bash(npm test*), Edit(src/**)',
        });
      }
      policy[effect].push(rule.text);
    }
  }
  if (options.rulesFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(options.rulesFile, 'utf8');
    } catch (error) {
      throw new HoldfastError(
        'EUSAGE',
        `--rules-file: cannot read ${options.rulesFile}: ${(error as Error).message}`,
      );
    }
    const { rules, errors } = parseRulesFile(text);
    if (errors.length > 0) {
      throw new HoldfastError('EUSAGE', `--rules-file ${options.rulesFile}: ${errors[0]}`, {
        hint: 'one rule a line: "allow RULE" or "deny RULE"; # starts a comment',
      });
    }
    for (const rule of rules) policy[rule.effect].push(rule.text);
  }
  return policy;
}
