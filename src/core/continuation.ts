/**
 * The prompts that start each agent session of a mission: `renderFirstPrompt` for a milestone's
 * first session, `renderContinuationPrompt` for every later one (what the last session did, how
 * it ended, what the gate said). Pure and deterministic: same input, same bytes; no dates.
 */

export type MilestoneStatus = 'done' | 'active' | 'pending';

export interface PromptMilestone {
  title: string;
  body: string;
  status: MilestoneStatus;
  gate: string | null;
}

export interface ActiveMilestone {
  title: string;
  body: string;
  /** The gate that decides this milestone (its own, else the mission's default); null: none. */
  gate: string | null;
}

export interface LastSession {
  /** One sentence, e.g. "the agent said it finished, but the gate failed (exit 1)". */
  endedHow: string;
  lastAgentMessage: string | null;
}

export interface ContinuationInput {
  missionTitle: string;
  context: string;
  /** Every milestone in order, the active one included. */
  milestones: readonly PromptMilestone[];
  active: ActiveMilestone;
  /** This session's number on the active milestone (2 for the first continuation). */
  sessionNumber: number;
  lastSession: LastSession | null;
  /** `git diff --stat` since the milestone started; '' when nothing changed, null when unknown. */
  diffStat: string | null;
  /** Output of the last gate run (its tail is enough); null when the gate has not run. */
  gateOutputTail: string | null;
  /** The command that produced `gateOutputTail`; defaults to `active.gate`. */
  gateCommand: string | null;
  gateExitCode: number | null;
  cwd: string;
  /** How the agent marks a milestone without a gate done, e.g. `holdfast mission done web build`. */
  doneCommand: string;
}

export type FirstPromptInput = Pick<
  ContinuationInput,
  'missionTitle' | 'context' | 'milestones' | 'active' | 'cwd' | 'doneCommand'
>;

export const GATE_TAIL_LINES = 60;
export const GATE_TAIL_MAX_CHARS = 8000;
export const LAST_MESSAGE_MAX_CHARS = 4000;
export const DIFF_STAT_MAX_LINES = 60;

export function renderFirstPrompt(input: FirstPromptInput): string {
  const position = milestonePosition(input);
  return joinSections([
    `# Mission: ${input.missionTitle}`,
    `You are working through this mission one milestone at a time, in \`${input.cwd}\`. This session is for ` +
      `the milestone "${input.active.title}"${position}. Work done for earlier milestones is already in the ` +
      'work tree.',
    contextSection(input.context),
    milestonesSection(input.milestones),
    activeSection(input.active, input.cwd),
    instructionsSection(input, 'Start from the work tree as it is.'),
  ]);
}

export function renderContinuationPrompt(input: ContinuationInput): string {
  const position = milestonePosition(input);
  return joinSections([
    `# Mission: ${input.missionTitle}`,
    `You are continuing this mission in \`${input.cwd}\`. This is session ${input.sessionNumber} on the ` +
      `milestone "${input.active.title}"${position}. An earlier session worked on it and ended; whatever it ` +
      'changed in the files is still there.',
    contextSection(input.context),
    milestonesSection(input.milestones),
    activeSection(input.active, input.cwd),
    input.lastSession && lastSessionSection(input.lastSession),
    input.diffStat !== null && diffStatSection(input.diffStat),
    input.gateOutputTail !== null &&
      gateOutputSection(input.gateOutputTail, input.gateCommand ?? input.active.gate, input.gateExitCode),
    instructionsSection(
      input,
      'Pick up where the last session left off: look at the work tree and the notes above, and do not start over.',
    ),
  ]);
}

/** The last `n` lines of `text` (a final newline does not count as an empty last line). */
export function tailLines(text: string, n: number): string {
  if (n <= 0) return '';
  return splitLines(text).slice(-n).join('\n');
}

/**
 * `text` cut to at most `maxChars` characters by leaving out its middle, with a marker saying how
 * much went; unchanged when it fits. The marker alone may exceed a tiny `maxChars`.
 */
export function truncateMiddle(text: string, maxChars: number): string {
  return cutMiddle(text, maxChars).text;
}

function cutMiddle(text: string, maxChars: number): { text: string; omitted: number } {
  if (text.length <= maxChars) return { text, omitted: 0 };
  const markerFor = (omitted: number): string => `\n[… ${omitted} characters left out …]\n`;
  const keep = Math.max(0, maxChars - markerFor(text.length).length);
  let headEnd = Math.ceil(keep / 2);
  let tailStart = text.length - Math.floor(keep / 2);
  // Never split a surrogate pair.
  if (headEnd > 0 && isHighSurrogate(text.charCodeAt(headEnd - 1))) headEnd -= 1;
  if (tailStart < text.length && isLowSurrogate(text.charCodeAt(tailStart))) tailStart += 1;
  const omitted = tailStart - headEnd;
  return { text: text.slice(0, headEnd) + markerFor(omitted) + text.slice(tailStart), omitted };
}

/** Terminal output as text: no ANSI escapes or stray control characters; `\r` overwrites keep the last write. */
export function cleanTerminalText(text: string): string {
  return text
    .replace(/\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g, '')
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((line) => line.split('\r').findLast((part) => part !== '') ?? '')
    .join('\n')
    .replace(/[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g, '');
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  return text.replace(/\r\n/g, '\n').replace(/\n$/, '').split('\n');
}

const isHighSurrogate = (code: number): boolean => code >= 0xd800 && code <= 0xdbff;
const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

function joinSections(sections: ReadonlyArray<string | false | null>): string {
  return `${sections.filter((s): s is string => typeof s === 'string' && s !== '').join('\n\n')}\n`;
}

function milestonePosition(input: Pick<ContinuationInput, 'milestones'>): string {
  const index = input.milestones.findIndex((m) => m.status === 'active');
  return index === -1 ? '' : ` (${index + 1} of ${input.milestones.length})`;
}

function contextSection(context: string): string | null {
  const text = context.trim();
  return text === '' ? null : `## Mission context\n\n${text}`;
}

function milestonesSection(milestones: readonly PromptMilestone[]): string | null {
  if (milestones.length === 0) return null;
  const done = milestones.filter((m) => m.status === 'done').length;
  const items = milestones.map((m) => {
    if (m.status === 'done') return `- [x] ${m.title}`;
    if (m.status === 'active') return `- [ ] **${m.title}** (current)`;
    return `- [ ] ${m.title}`;
  });
  return `## Milestones (${done} of ${milestones.length} done)\n\n${items.join('\n')}`;
}

function activeSection(active: ActiveMilestone, cwd: string): string {
  const body = active.body.trim() === '' ? '_No description beyond the title._' : active.body.trim();
  const gate =
    active.gate === null
      ? '**Gate:** none. You decide when this milestone is complete (see the last section).'
      : `**Gate:** ${inlineCode(active.gate)}, run in \`${cwd}\`. The milestone is done when it exits 0.`;
  return `## Current milestone: ${active.title}\n\n${body}\n\n${gate}`;
}

function lastSessionSection(last: LastSession): string {
  const parts = [`## How the last session ended\n\n${capitalize(last.endedHow.trim())}`];
  const message = last.lastAgentMessage?.trim() ?? '';
  if (message !== '') {
    const { text: shown, omitted } = cutMiddle(message, LAST_MESSAGE_MAX_CHARS);
    const quoted = shown
      .split('\n')
      .map((line) => (line === '' ? '>' : `> ${line}`))
      .join('\n');
    const note =
      omitted === 0
        ? ''
        : `\n\n_holdfast shortened this message: ${omitted} of its ${message.length} characters were left ` +
          'out of the middle, where marked._';
    parts.push(`### Its last message\n\n${quoted}${note}`);
  }
  return parts.join('\n\n');
}

function diffStatSection(diffStat: string): string {
  const title = '## Changes since this milestone started';
  const lines = splitLines(diffStat.trimEnd());
  if (lines.length === 0) return `${title}\n\n\`git diff --stat\` shows no changes to tracked files yet.`;
  let shown = lines;
  if (lines.length > DIFF_STAT_MAX_LINES) {
    // Keep the head and git's summary line ("N files changed, …").
    const head = lines.slice(0, DIFF_STAT_MAX_LINES - 2);
    shown = [...head, ` … ${lines.length - head.length - 1} more lines …`, lines.at(-1)!];
  }
  return `${title}\n\n\`git diff --stat\`:\n\n${fenced(shown.join('\n'))}`;
}

function gateOutputSection(output: string, command: string | null, exitCode: number | null): string {
  const lines = splitLines(cleanTerminalText(output).trimEnd());
  const name = command === null ? 'the gate' : inlineCode(command);
  const result =
    exitCode === null
      ? `Last gate run: ${name} (exit status unknown).`
      : `Last gate run: ${name} exited with ${exitCode}${exitCode === 0 ? ' (passed)' : ''}.`;
  if (lines.length === 0) return `## Gate output\n\n${result} It printed nothing.`;
  const tail = truncateMiddle(lines.slice(-GATE_TAIL_LINES).join('\n'), GATE_TAIL_MAX_CHARS);
  const which =
    lines.length > GATE_TAIL_LINES ? `Its last ${GATE_TAIL_LINES} of ${lines.length} lines` : 'Its output';
  return `## Gate output\n\n${result} ${which}:\n\n${fenced(tail)}`;
}

function instructionsSection(input: FirstPromptInput, start: string): string {
  const { active } = input;
  const items = [
    `Work on the current milestone "${active.title}" only. Later milestones come in later sessions; do not start them.`,
    start,
  ];
  if (active.gate === null) {
    items.push(
      `When the milestone is complete, mark it done by running ${inlineCode(input.doneCommand)}, then stop.`,
    );
  } else {
    items.push(
      `Make the gate pass: ${inlineCode(active.gate)}. Run it yourself as you go. When it passes and the ` +
        'milestone is complete, stop: holdfast runs the gate again and moves on to the next milestone.',
    );
  }
  items.push(
    'You do not need to commit: holdfast snapshots the work tree itself. Commit only if the milestone asks for it.',
    'If you are blocked (missing access, or a decision only a person can make), say so plainly in your last ' +
      'message and stop without marking the milestone done.',
  );
  return `## What to do now\n\n${items.map((item) => `- ${item}`).join('\n')}`;
}

const capitalize = (text: string): string => text.charAt(0).toUpperCase() + text.slice(1);

/** A fenced block whose fence is longer than any backtick run inside, so the content cannot close it. */
function fenced(text: string): string {
  const ticks = '`'.repeat(Math.max(3, longestBacktickRun(text) + 1));
  return `${ticks}\n${text}\n${ticks}`;
}

function inlineCode(text: string): string {
  const run = longestBacktickRun(text);
  if (run === 0) return `\`${text}\``;
  const ticks = '`'.repeat(run + 1);
  return `${ticks} ${text} ${ticks}`;
}

function longestBacktickRun(text: string): number {
  return Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
}
