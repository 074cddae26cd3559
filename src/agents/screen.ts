/**
 * What an interactive agent's screen shows, from `capture-pane` text: the state signatures of
 * docs/INTERACTIVE.md §3 (working, idle, an approval dialog, a trust dialog, a usage limit). Only
 * the bottom of the screen is live (old status lines stay in the history above), so only the last
 * lines are matched. Used where no structured signal exists: an Esc interrupt, a denied approval,
 * a trust dialog, a dialog drawn while the hook could not ask holdfast.
 */
import type { QuestionKind, ScreenState } from '../core/interactive.js';

export interface ScreenReading {
  state: ScreenState;
  /** A dialog's choices in order, without their numbers and key hints. */
  options: string[];
  /** The line a dialog names its tool by (claude `Bash(npm test)`), or the command (codex). */
  subject: string | null;
  /** A usage limit's text (with its reset time). */
  detail: string | null;
  /** The screen's text with the timers and spinners that change every second taken out. */
  hash: string;
}

/** How many lines from the bottom are live. */
const LIVE_LINES = 14;
const NBSP = '\u00a0';

const CLAUDE = {
  approval: /Do you want to proceed\?/,
  approvalFooter: /Esc to cancel/,
  trust: /Do you trust the (?:files|contents) (?:in|of) this (?:folder|directory)\?/i,
  limit: /Usage limit reached/,
  working: /esc to interrupt/,
};
const CODEX = {
  approval: /Would you like to (?:run the following command|make the following edits)\?/,
  approvalFooter: /Press enter to confirm or esc to cancel/,
  trust: /Do you trust the (?:files|contents) (?:in|of) this (?:folder|directory)\?/i,
  limit: /You(?:'|’)ve hit your usage limit/,
  working: /esc to interrupt/,
};

export function readScreen(kind: 'claude' | 'codex', text: string): ScreenReading {
  const all = text.replace(/\s+$/, '').split('\n');
  const lines = all.slice(-LIVE_LINES);
  const live = lines.join('\n');
  const p = kind === 'claude' ? CLAUDE : CODEX;
  const hash = stableText(live);
  const base = { options: [], subject: null, detail: null, hash };
  if (p.trust.test(live)) return { ...base, state: 'trust', options: dialogOptions(lines) };
  if (p.approval.test(live) && p.approvalFooter.test(live)) {
    return { ...base, state: 'approval', options: dialogOptions(lines), subject: dialogSubject(kind, lines) };
  }
  if (p.working.test(live)) return { ...base, state: 'working' };
  const limit = liveLimit(kind, lines, p.limit);
  if (limit) return { ...base, state: 'limit', detail: limit.trim() };
  if (kind === 'claude' ? claudeIdle(lines) : codexIdle(live)) return { ...base, state: 'idle' };
  return { ...base, state: 'unknown' };
}

/** The question a dialog on screen asks: its kind for the task JSON. */
export function screenQuestionKind(state: ScreenState): QuestionKind | null {
  if (state === 'approval') return 'permission';
  if (state === 'trust') return 'trust';
  return null;
}

/**
 * The limit line, while it is the last thing the agent said: nothing but blank lines (and claude's
 * `Continuing automatically at …` while its own continue is armed) between it and the composer.
 * Once a prompt went in, the old line stays in the history above and is no longer the state.
 */
function liveLimit(kind: 'claude' | 'codex', lines: string[], limit: RegExp): string | null {
  const at = lines.findLastIndex((l) => limit.test(l));
  if (at < 0) return null;
  // The composer is the bottom one (a prompt in the history above looks the same in codex).
  const composer =
    kind === 'claude'
      ? (lines.flatMap((l, i) => (l.startsWith('────') ? [i] : [])).at(-2) ?? -1)
      : lines.findLastIndex((l) => /^\s*›/.test(l));
  if (composer < at) return null;
  const between = lines.slice(at + 1, composer);
  return between.every((l) => l.trim() === '' || /Continuing automatically at/.test(l)) ? lines[at]! : null;
}

/** Claude's idle composer: `❯` + U+00A0 (or a draft) between the last two `────` rules. */
function claudeIdle(lines: string[]): boolean {
  const rules = lines.flatMap((l, i) => (l.startsWith('────') ? [i] : []));
  if (rules.length < 2) return false;
  return lines.slice(rules.at(-2)! + 1, rules.at(-1)).some((l) => l.startsWith('❯'));
}

function codexIdle(live: string): boolean {
  return live.includes('? for shortcuts') && /^\s*›/m.test(live);
}

/** `1. Yes`, `❯ 2. No, exit`, `3. No, and tell Codex … (esc)` → the choice's words. */
function dialogOptions(lines: string[]): string[] {
  return lines.flatMap((l) => {
    const m = /^\s*(?:[❯›>]\s*)?\d\.\s+(.+?)\s*(?:\((?:y|p|esc)\))?\s*$/.exec(l.replaceAll(NBSP, ' '));
    return m ? [m[1]!] : [];
  });
}

/** The tool line above the dialog's question (claude `Bash(npm test)`; codex the command after `$`). */
function dialogSubject(kind: 'claude' | 'codex', lines: string[]): string | null {
  for (const l of lines) {
    const t = l.trim();
    if (kind === 'claude' && /^[A-Z][A-Za-z]+\(.*\)$/.test(t)) return t;
    if (kind === 'codex' && t.startsWith('$ ')) return t.slice(2);
  }
  return null;
}

/** The screen without what moves by itself while nothing happens: counters, spinners, elapsed times. */
function stableText(live: string): string {
  return live
    .split('\n')
    .filter((l) => !/esc to interrupt/.test(l))
    .map((l) => l.replace(/[0-9]+/g, '#').replace(/^\s*[✻✶✳✢·*◦•]\s/u, ''))
    .join('\n');
}
