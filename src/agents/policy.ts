/**
 * A task's approval rules (`--allow`, `--deny`, `--rules-file`) and the pure matcher the hook
 * asks on each `PermissionRequest`. Rules are written in the agents' own permission-rule form
 * (Claude Code's `permissions.allow` syntax, which codex's hooks share):
 *
 *   Bash                 any call of the tool
 *   Bash(npm test*)      a command: `*` is any text; `npm test:*` is the prefix `npm test` (a word)
 *   Edit(src/**)         a file: gitignore-like (`*` within one folder, `**` across folders);
 *                        `path` `./path` `/path` from the task's working directory,
 *                        `//path` from the filesystem's root, `~/path` from the home directory
 *   WebFetch(domain:example.com)   a URL's host
 *
 * Deny wins over allow. A Bash command is split at `;` `&&` `||` `|` `&` and newlines (outside
 * quotes): each part must be matched by an allow rule, and a command substitution (`$(…)`,
 * backquotes, `<(…)`) is allowed only by the bare `Bash`; a deny rule matching any part denies. A rule that matches
 * nothing leaves the question to the user: nothing is ever allowed by default.
 */
import { posix } from 'node:path';
import * as z from 'zod';

export const EFFECTS = ['allow', 'deny'] as const;
export type Effect = (typeof EFFECTS)[number];

export interface Rule {
  effect: Effect;
  /** The rule as the user wrote it (`Bash(npm test*)`): what the journal names. */
  text: string;
  tool: string;
  /** What is between the parentheses; null for a bare tool name. */
  pattern: string | null;
}

export interface Policy {
  allow: string[];
  deny: string[];
}

/** `policy.json` in the task's folder, written at create (0600), read by the hook. */
export const policyFileSchema = z.strictObject({
  version: z.literal(1),
  allow: z.array(z.string()),
  deny: z.array(z.string()),
});
export type PolicyFile = z.infer<typeof policyFileSchema>;

export function policyFileOf(policy: Policy): PolicyFile {
  return { version: 1, allow: policy.allow, deny: policy.deny };
}

/** One tool call asking for approval, as a `PermissionRequest` payload gives it. */
export interface ToolCall {
  tool: string;
  input: Record<string, unknown>;
  /** The agent's working directory (relative file rules start there). */
  cwd: string;
  /** The home directory `~/` stands for. */
  home: string;
}

export type Verdict = { effect: Effect; rule: string } | null;

const TOOL_NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const MAX_RULE_CHARS = 1000;

/** Parses one rule; a string is why it is not one (for a one-line usage error). */
export function parseRule(effect: Effect, raw: string): Rule | string {
  const text = raw.trim();
  if (text === '') return 'a rule is empty';
  if (text.length > MAX_RULE_CHARS) return `a rule is longer than ${MAX_RULE_CHARS} characters`;
  if (/[\u0000-\u001f\u007f]/.test(text)) return `${JSON.stringify(text)}: a rule is one line of text`;
  const open = text.indexOf('(');
  if (open === -1) {
    if (!TOOL_NAME.test(text)) return `${JSON.stringify(text)}: expected a tool name such as Bash or Edit`;
    return { effect, text, tool: text, pattern: null };
  }
  const tool = text.slice(0, open);
  if (!TOOL_NAME.test(tool)) return `${JSON.stringify(text)}: expected a tool name before "("`;
  if (!text.endsWith(')')) return `${JSON.stringify(text)}: expected ")" at the end, as in Bash(npm test*)`;
  const pattern = text.slice(open + 1, -1).trim();
  if (pattern === '')
    return `${JSON.stringify(text)}: empty parentheses (write the bare tool name for every call)`;
  return { effect, text, tool, pattern };
}

/**
 * Parses a rules file: one rule a line, `allow RULE` or `deny RULE`; blank lines and lines
 * starting with `#` are skipped. Errors name the line.
 */
export function parseRulesFile(text: string): { rules: Rule[]; errors: string[] } {
  const rules: Rule[] = [];
  const errors: string[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const m = /^(allow|deny)\s+(.+)$/.exec(trimmed);
    if (!m) {
      errors.push(`line ${i + 1}: expected "allow RULE" or "deny RULE", got ${JSON.stringify(trimmed)}`);
      return;
    }
    const rule = parseRule(m[1] as Effect, m[2]!);
    if (typeof rule === 'string') errors.push(`line ${i + 1}: ${rule}`);
    else rules.push(rule);
  });
  return { rules, errors };
}

/** Parses a policy's rules; the first bad one is thrown back as its reason. */
export function rulesOf(policy: Policy): Rule[] | string {
  const rules: Rule[] = [];
  for (const effect of EFFECTS) {
    for (const raw of policy[effect]) {
      const rule = parseRule(effect, raw);
      if (typeof rule === 'string') return rule;
      rules.push(rule);
    }
  }
  return rules;
}

/**
 * The policy's word on a call: a deny rule that matches, else the allow rules that match (for a
 * compound command, one for each of its parts; `rule` names them all, comma-separated), else null.
 */
export function judge(rules: readonly Rule[], call: ToolCall): Verdict {
  const denied = rules.find((r) => r.effect === 'deny' && matches(r, call));
  if (denied) return { effect: 'deny', rule: denied.text };
  const allows = rules.filter((r) => r.effect === 'allow' && toolCovers(r.tool, call.tool));
  const bare = allows.find((r) => r.pattern === null);
  if (bare) return { effect: 'allow', rule: bare.text };
  if (call.tool === 'Bash') {
    const command = commandOf(call.input);
    // An allow rule never covers what a substitution would run, nor an empty command.
    if (command === null || hasSubstitution(command)) return null;
    const parts = splitCommand(command);
    if (parts.length === 0) return null;
    const used: string[] = [];
    for (const part of parts) {
      const hit = allows.find((r) => commandPatternMatches(r.pattern!, part));
      if (!hit) return null;
      if (!used.includes(hit.text)) used.push(hit.text);
    }
    return { effect: 'allow', rule: used.join(', ') };
  }
  const hit = allows.find((r) => matches(r, call));
  return hit ? { effect: 'allow', rule: hit.text } : null;
}

/** Tools a rule of another tool's name covers, as Claude's rules do (an Edit rule covers every edit). */
const FAMILIES: Record<string, readonly string[]> = {
  Edit: ['Edit', 'MultiEdit', 'Write', 'NotebookEdit'],
  Read: ['Read', 'Grep', 'Glob', 'LS', 'NotebookRead'],
};

const FILE_TOOLS = new Set([...FAMILIES.Edit!, ...FAMILIES.Read!]);

/** Whether one rule matches a call (for Bash, a deny rule's reading: the command or any part). */
function matches(rule: Rule, call: ToolCall): boolean {
  if (!toolCovers(rule.tool, call.tool)) return false;
  if (rule.pattern === null) return true;
  if (call.tool === 'Bash') return commandMatches(rule, commandOf(call.input));
  if (FILE_TOOLS.has(call.tool)) {
    const file = fileOf(call.input);
    return file !== null && pathMatches(rule.pattern, file, call.cwd, call.home);
  }
  if (rule.pattern.startsWith('domain:')) {
    const host = hostOf(call.input.url);
    return host !== null && globMatches(rule.pattern.slice('domain:'.length).toLowerCase(), host, false);
  }
  const subject = subjectOf(call.input);
  return subject !== null && globMatches(rule.pattern, subject, false);
}

function toolCovers(ruleTool: string, tool: string): boolean {
  if (ruleTool === tool) return true;
  if (FAMILIES[ruleTool]?.includes(tool)) return true;
  // `mcp__server` covers every tool of that server.
  return (
    ruleTool.startsWith('mcp__') && !ruleTool.slice(5).includes('__') && tool.startsWith(`${ruleTool}__`)
  );
}

// ---------------------------------------------------------------------------------------- commands

function commandOf(input: Record<string, unknown>): string | null {
  const c = input.command;
  if (typeof c === 'string') return c;
  if (Array.isArray(c) && c.every((p) => typeof p === 'string')) return c.join(' ');
  return null;
}

/** Whether a deny rule's pattern matches the command or any of its parts. */
function commandMatches(rule: Rule, command: string | null): boolean {
  if (command === null) return false;
  const one = (part: string) => commandPatternMatches(rule.pattern!, part);
  return one(command.trim()) || splitCommand(command).some(one);
}

function commandPatternMatches(pattern: string, command: string): boolean {
  // `npm test:*`: the prefix `npm test`, then the end or a space (Claude's legacy prefix form).
  if (pattern.endsWith(':*')) {
    const prefix = pattern.slice(0, -2);
    return command === prefix || command.startsWith(`${prefix} `);
  }
  return globMatches(pattern, command, false);
}

/** A command's parts at the shell's list and pipe operators, outside quotes; empty parts dropped. */
export function splitCommand(command: string): string[] {
  const parts: string[] = [];
  let cur = '';
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (quote) {
      cur += ch;
      if (ch === '\\' && quote === '"' && i + 1 < command.length) cur += command[++i];
      else if (ch === quote) quote = null;
      continue;
    }
    if (ch === '\\' && i + 1 < command.length) {
      cur += ch + command[++i];
      continue;
    }
    if (ch === "'" || ch === '"') {
      quote = ch;
      cur += ch;
      continue;
    }
    if (ch === ';' || ch === '&' || ch === '|' || ch === '\n') {
      // `2>&1`, `>&2`: a redirection, not a list operator.
      if (ch === '&' && (command[i - 1] === '>' || command[i - 1] === '<' || command[i + 1] === '>')) {
        cur += ch;
        continue;
      }
      parts.push(cur);
      cur = '';
      if ((ch === '&' || ch === '|') && command[i + 1] === ch) i++;
      continue;
    }
    cur += ch;
  }
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function hasSubstitution(command: string): boolean {
  let single = false;
  for (let i = 0; i < command.length; i++) {
    const ch = command[i]!;
    if (ch === '\\' && !single) {
      i++;
      continue;
    }
    if (ch === "'") single = !single;
    if (single) continue;
    if (ch === '`') return true;
    if ((ch === '$' || ch === '<' || ch === '>') && command[i + 1] === '(') return true;
  }
  // An unclosed quote: the shell would read on; the rule cannot know what runs.
  return single;
}

// ------------------------------------------------------------------------------------------- files

function fileOf(input: Record<string, unknown>): string | null {
  for (const key of ['file_path', 'notebook_path', 'path']) {
    const v = input[key];
    if (typeof v === 'string' && v !== '') return v;
  }
  return null;
}

function pathMatches(pattern: string, file: string, cwd: string, home: string): boolean {
  const abs = posix.normalize(posix.isAbsolute(file) ? file : posix.join(cwd, file));
  if (pattern.startsWith('//')) return globMatches(posix.normalize(pattern.slice(1)), abs, true);
  if (pattern.startsWith('~/')) return globMatches(posix.join(home, pattern.slice(2)), abs, true);
  const rel = posix.relative(posix.normalize(cwd), abs);
  // Outside the working directory, no relative rule applies.
  if (rel === '' || rel === '..' || rel.startsWith('../')) return false;
  let p = pattern.startsWith('/') ? pattern.slice(1) : pattern.replace(/^(\.\/)+/, '');
  // gitignore: a pattern with no slash matches at any depth.
  if (!p.includes('/')) p = `**/${p}`;
  return globMatches(p, rel, true);
}

// --------------------------------------------------------------------------------------- the rest

function hostOf(url: unknown): string | null {
  if (typeof url !== 'string') return null;
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return null;
  }
}

function subjectOf(input: Record<string, unknown>): string | null {
  for (const key of ['command', 'file_path', 'path', 'url', 'pattern', 'query', 'arg']) {
    const v = input[key];
    if (typeof v === 'string') return v;
  }
  return null;
}

/**
 * Whether `text` matches a glob: `*` is any run of characters (within one path segment when
 * `paths`), `**` any run across segments (`**​/` also none), `?` one character; nothing else is special.
 */
export function globMatches(glob: string, text: string, paths: boolean): boolean {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (paths && glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else re += '.*';
      } else re += paths ? '[^/]*' : '.*';
    } else if (ch === '?') re += paths ? '[^/]' : '.';
    else re += ch.replace(/[.+^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's').test(text);
}
