/**
 * What an interactive agent's composer (its prompt box) holds, read from the pane's visible screen
 * (docs/INTERACTIVE.md §2, §3). Delivery types only into an empty composer, and after a crash
 * tells its own pasted text from a human's draft. Only the bottom of the screen is live: old
 * prompts stay in the history above, so the composer is found from the bottom up.
 */
import { normalizeInputText } from '../core/input.js';

export type InteractiveAgent = 'claude' | 'codex';

export type Composer =
  /** No prompt box on screen: starting, a dialog, a trust or model gate. */
  | { kind: 'none' }
  | { kind: 'empty' }
  /** The composer's lines as shown (a paste may show as `[Pasted text #N +M lines]`). */
  | { kind: 'draft'; lines: string[] };

const NBSP = '\u00a0';
const CLAUDE_RULE = '────';
const CLAUDE_PROMPT = '❯';
const CODEX_PROMPT = '›';
/** §3: codex's empty composer shows this placeholder. */
const CODEX_PLACEHOLDER = 'Ask Codex to do anything';
/** §3: codex's footer under the composer (idle), or the armed Ctrl-C notice in its place. */
const CODEX_FOOTERS = ['? for shortcuts', 'ctrl + c again to quit'];
/** codex's status line under its composer: `<model> [<effort>] · <cwd>`. */
const CODEX_STATUS = /^\S+(?: \S+)? · [~/].*$/;
/** codex's startup warnings notice, alone or right of the shortcuts hint. */
const CODEX_WARNINGS = /(?:^|\s)⚠ \d+ warnings? · f2 to view$/;
/** §3: both TUIs' working footer. */
const WORKING = 'esc to interrupt';
/** §2: Claude shows a multi-line or large paste as this placeholder. */
const PASTED = /^\[Pasted text #\d+ \+(\d+) lines\]$/;

const trimBlank = (line: string) => line.replace(/[\s\u00a0]+$/, '');

export function readComposer(agent: InteractiveAgent, screen: string): Composer {
  const lines = screen.split('\n').map(trimBlank);
  return agent === 'claude' ? claudeComposer(lines) : codexComposer(lines);
}

/** §3: the composer sits between the last two `────` rules, its first line starting `❯`. */
function claudeComposer(lines: string[]): Composer {
  const rules = lines.flatMap((l, i) => (l.startsWith(CLAUDE_RULE) ? [i] : []));
  if (rules.length < 2) return { kind: 'none' };
  const inside = lines.slice(rules.at(-2)! + 1, rules.at(-1));
  const first = inside[0];
  if (first === undefined || !first.startsWith(CLAUDE_PROMPT)) return { kind: 'none' };
  // §2: the empty composer is `❯` + U+00A0 (trimmed above with the rest of the blanks).
  const head = first.slice(CLAUDE_PROMPT.length).replace(new RegExp(`^[ ${NBSP}]`), '');
  const shown = [head, ...inside.slice(1).map((l) => l.replace(/^ {2}/, ''))];
  while (shown.length > 0 && shown.at(-1) === '') shown.pop();
  return shown.length === 0 ? { kind: 'empty' } : { kind: 'draft', lines: shown };
}

/**
 * §3: `› <draft>` (or the placeholder) above a blank line and the footer block, at the bottom. The
 * real codex 0.169.0 draws that block as its status line `  gpt-5-codex default · <cwd>` and, only
 * while the composer is empty, `  ← for agents · ? for shortcuts`, a `⚠ 3 warnings · f2 to view`
 * at its right or on a line of its own (seen by test/real-agents/interactive.test.ts); the fake a
 * lone `? for shortcuts`. The block is the lines after the last blank one, so a draft's own blank
 * lines stay in the draft.
 */
function codexComposer(lines: string[]): Composer {
  let end = lines.length - 1;
  while (end >= 0 && lines[end] === '') end--;
  let blank = end;
  while (blank >= 0 && lines[blank] !== '') blank--;
  const footer = lines.slice(blank + 1, end + 1).map((l) => l.trim());
  if (footer.length === 0 || !footer.every(isCodexFooter)) return { kind: 'none' };
  let start = blank - 1;
  while (start >= 0 && !lines[start]!.startsWith(CODEX_PROMPT)) start--;
  if (start < 0) return { kind: 'none' };
  const head = lines[start]!.slice(CODEX_PROMPT.length).replace(/^ /, '');
  if (head === CODEX_PLACEHOLDER) return { kind: 'empty' };
  const shown = [head, ...lines.slice(start + 1, blank).map((l) => l.replace(/^ {2}/, ''))];
  while (shown.length > 0 && shown.at(-1) === '') shown.pop();
  return shown.length === 0 ? { kind: 'empty' } : { kind: 'draft', lines: shown };
}

/** A line of codex's footer block: the shortcuts hint, the Ctrl-C notice, its status line, its warnings. */
function isCodexFooter(line: string): boolean {
  return (
    CODEX_FOOTERS.some((f) => line === f || line.endsWith(` · ${f}`) || line.includes(` · ${f} `)) ||
    CODEX_STATUS.test(line) ||
    CODEX_WARNINGS.test(line)
  );
}

/** Whether the bottom of the screen says the agent is working (§3: `esc to interrupt`). */
export function workingOnScreen(screen: string): boolean {
  return screen
    .trimEnd()
    .split('\n')
    .slice(-12)
    .some((l) => l.includes(WORKING));
}

/** Text with every blank removed: a screen wraps long lines and indents continuations. */
const squash = (text: string) => text.replace(/[\s\u00a0]+/g, '');

/**
 * Whether the composer holds exactly `text` (as pasted): how a deliverer that took over finds its
 * own paste. Claude shows a multi-line or large paste as a placeholder with its line count; codex
 * shows the last lines of a tall draft.
 */
export function composerHolds(agent: InteractiveAgent, composer: Composer, text: string): boolean {
  if (composer.kind !== 'draft') return false;
  const expected = normalizeInputText(text);
  const shown = composer.lines.join('\n');
  const placeholder = PASTED.exec(shown.trim());
  if (agent === 'claude' && placeholder)
    return Number(placeholder[1]) === (text.replace(/\r\n?/g, '\n').match(/\n/g)?.length ?? 0);
  const want = squash(expected);
  const got = squash(shown);
  if (got === want) return true;
  return agent === 'codex' && got.length > 0 && composer.lines.length >= 6 && want.endsWith(got);
}

/** Whether the composer holds exactly `text`, as text (not a paste's placeholder, which says only its line count). */
export function composerHoldsExactly(composer: Composer, text: string): boolean {
  if (composer.kind !== 'draft') return false;
  const shown = composer.lines.join('\n');
  return !PASTED.test(shown.trim()) && squash(shown) === squash(normalizeInputText(text));
}
