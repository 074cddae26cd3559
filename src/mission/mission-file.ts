/**
 * A mission file is plain markdown:
 *
 *   # Title                      ← required, first (blank lines and HTML comments may precede it)
 *   Free text: the mission's context, given to every session.
 *   gate: `npm test`             ← optional default gate for milestones without their own
 *
 *   ## Milestone title           ← one section per milestone, at least one
 *   What to do.
 *   gate: npm run build          ← optional; the milestone is done when this exits 0
 *   ### Sub-headings and deeper are part of the body.
 *
 * Lines inside a code fence (``` or ~~~) or a multi-line HTML comment are body text, never
 * structure. Bad input is refused with the line and what is wrong, as `EMISSION`.
 */
import { HoldfastError } from '../core/errors.js';

export interface MilestoneDefinition {
  /** The `##` heading text. */
  title: string;
  /** The section's text without its gate line; blank lines at either end removed. */
  body: string;
  /** The milestone's own gate command (exit 0 = done); null when it names none (the default applies). */
  gate: string | null;
  /** 1-based line of the `##` heading; null when the milestone came from a flag. */
  line: number | null;
}

export interface MissionDefinition {
  title: string;
  /** The text between the title and the first milestone, without the default gate line. */
  context: string;
  /** The gate for milestones that name none. */
  defaultGate: string | null;
  milestones: MilestoneDefinition[];
}

export interface MissionFlags {
  /** The mission's name; it becomes the title. */
  name: string;
  /** `--milestone "title: what to do"`, in order. */
  milestones: readonly string[];
  /** `--gate`: the default gate for every milestone. */
  gate?: string | null | undefined;
  /** Free text given to every session, as a file's context. */
  context?: string | null | undefined;
}

const FORMAT_HINT =
  'a mission file starts with a "# Title" line, then has one "## Milestone" section per milestone, each with an optional "gate: <command>" line';
const SLUG_MAX = 48;

/** The gate that decides whether `milestone` is done: its own, else the mission's default. */
export function effectiveGate(mission: MissionDefinition, milestone: MilestoneDefinition): string | null {
  return milestone.gate ?? mission.defaultGate;
}

/** A milestone's name on the command line: `Build the CLI!` → `build-the-cli`; may be '' for titles without a-z/0-9. */
export function milestoneSlug(title: string): string {
  return title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, SLUG_MAX)
    .replace(/-+$/, '');
}

export function parseMissionFile(text: string, fileName = 'mission.md'): MissionDefinition {
  const fail = (line: number | null, message: string): HoldfastError =>
    new HoldfastError(
      'EMISSION',
      line === null ? `${fileName}: ${message}` : `${fileName}:${line}: ${message}`,
      {
        hint: FORMAT_HINT,
      },
    );
  const lines = scanLines(text.replace(/^\uFEFF/, '').split(/\r?\n/), fail);

  let index = lines.findIndex((l) => l.kind !== 'blank' && l.kind !== 'comment');
  const first = lines[index];
  if (first === undefined) throw fail(null, 'expected a "# Title" line first, but the file is empty');
  if (first.kind !== 'heading' || first.level !== 1) {
    throw fail(first.line, `expected a "# Title" line first, found ${quoteSnippet(first.raw)}`);
  }
  if (first.text === '') throw fail(first.line, 'the title is empty: write it after "# "');

  const sections: Section[] = [];
  let current: Section = { heading: null, lines: [], gate: null };
  for (index += 1; index < lines.length; index++) {
    const line = lines[index]!;
    if (line.kind === 'heading' && line.level === 1) {
      throw fail(
        line.line,
        `a second "# " title (the first is at line ${first.line}); milestones are "## " sections`,
      );
    }
    if (line.kind === 'heading' && line.level === 2) {
      sections.push(current);
      current = { heading: { text: line.text, line: line.line }, lines: [], gate: null };
      continue;
    }
    if (line.kind === 'gate') {
      const owner =
        current.heading === null
          ? "the mission's default gate"
          : `milestone ${JSON.stringify(current.heading.text)}`;
      if (current.gate !== null) {
        throw fail(line.line, `${owner} has a second gate line (the first is at line ${current.gate.line})`);
      }
      if (line.command === '') {
        throw fail(line.line, current.heading === null ? `${owner} is empty` : `${owner} has an empty gate`);
      }
      current.gate = { command: line.command, line: line.line, at: current.lines.length };
      continue;
    }
    current.lines.push(line.raw);
  }
  sections.push(current);

  const [preamble, ...milestoneSections] = sections;
  if (milestoneSections.length === 0) throw fail(null, 'no milestones: add a "## Milestone" section');
  const milestones = milestoneSections.map(
    (section): MilestoneDefinition => ({
      title: section.heading!.text,
      body: sectionText(section),
      gate: section.gate?.command ?? null,
      line: section.heading!.line,
    }),
  );
  validateMilestoneTitles(milestones, (m) => m.line, {
    fail: (at, message) => fail(at, message),
    where: (at) => `line ${at}`,
  });
  return {
    title: first.text,
    context: sectionText(preamble!),
    defaultGate: preamble!.gate?.command ?? null,
    milestones,
  };
}

/** The same definition from `--milestone "title: what to do"` flags (split at the first colon). */
export function missionFromFlags(flags: MissionFlags): MissionDefinition {
  const fail = (message: string): HoldfastError =>
    new HoldfastError('EMISSION', message, {
      hint: 'give one --milestone "title: what to do" per milestone, in order',
    });
  const title = flags.name.trim();
  if (title === '') throw fail('the mission needs a name');
  let defaultGate: string | null = null;
  if (flags.gate !== undefined && flags.gate !== null) {
    defaultGate = flags.gate.trim();
    if (defaultGate === '') throw fail('--gate: the command is empty');
  }
  if (flags.milestones.length === 0) throw fail('no milestones: add --milestone "title: what to do"');
  const milestones = flags.milestones.map((text): MilestoneDefinition => {
    const colon = text.indexOf(':');
    return colon === -1
      ? { title: text.trim(), body: '', gate: null, line: null }
      : { title: text.slice(0, colon).trim(), body: text.slice(colon + 1).trim(), gate: null, line: null };
  });
  validateMilestoneTitles(milestones, (_m, i) => i + 1, {
    fail: (at, message) => fail(`--milestone #${at}: ${message}`),
    where: (at) => `--milestone #${at}`,
  });
  return { title, context: (flags.context ?? '').trim(), defaultGate, milestones };
}

interface Section {
  heading: { text: string; line: number } | null;
  lines: string[];
  /** `at`: how many body lines came before the gate line. */
  gate: { command: string; line: number; at: number } | null;
}

type ScannedLine =
  | { kind: 'heading'; line: number; raw: string; level: number; text: string }
  | { kind: 'gate'; line: number; raw: string; command: string }
  | { kind: 'blank' | 'comment' | 'text'; line: number; raw: string };

const FENCE_OPEN = /^\s*(`{3,}|~{3,})(.*)$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$/;
const GATE = /^gate:(.*)$/i;

/** Classifies each line, treating fenced code and multi-line HTML comments as plain text. */
function scanLines(
  rawLines: readonly string[],
  fail: (line: number | null, message: string) => HoldfastError,
): ScannedLine[] {
  const out: ScannedLine[] = [];
  let fence: { char: string; length: number; line: number } | null = null;
  let commentFrom: number | null = null;
  for (const [i, raw] of rawLines.entries()) {
    const line = i + 1;
    if (fence !== null) {
      const close = /^\s*(`{3,}|~{3,})\s*$/.exec(raw);
      if (close?.[1]?.[0] === fence.char && close[1].length >= fence.length) fence = null;
      out.push({ kind: 'text', line, raw });
      continue;
    }
    if (commentFrom !== null) {
      if (raw.includes('-->')) commentFrom = null;
      out.push({ kind: 'comment', line, raw });
      continue;
    }
    const open = FENCE_OPEN.exec(raw);
    if (open && !(open[1]![0] === '`' && open[2]!.includes('`'))) {
      fence = { char: open[1]![0]!, length: open[1]!.length, line };
      out.push({ kind: 'text', line, raw });
      continue;
    }
    if (/^ {0,3}<!--/.test(raw)) {
      if (!raw.slice(raw.indexOf('<!--') + 4).includes('-->')) commentFrom = line;
      out.push({ kind: 'comment', line, raw });
      continue;
    }
    const heading = HEADING.exec(raw);
    if (heading) {
      const text = (heading[2] ?? '').replace(/(?:^|[ \t]+)#+$/, '').trim();
      out.push({ kind: 'heading', line, raw, level: heading[1]!.length, text });
      continue;
    }
    const command = gateCommand(raw);
    if (command !== null) {
      out.push({ kind: 'gate', line, raw, command });
      continue;
    }
    out.push({ kind: raw.trim() === '' ? 'blank' : 'text', line, raw });
  }
  if (fence !== null) throw fail(fence.line, 'this code fence is never closed');
  if (commentFrom !== null) throw fail(commentFrom, 'this HTML comment is never closed (no "-->")');
  return out;
}

/** `gate: npm test`, ``gate: `npm test` `` or `` `gate: npm test` `` → `npm test`; null if not a gate line. */
function gateCommand(raw: string): string | null {
  const trimmed = raw.trim();
  const match = GATE.exec(trimmed) ?? GATE.exec(unwrapCodeSpan(trimmed) ?? '');
  if (!match) return null;
  const value = match[1]!.trim();
  return (unwrapCodeSpan(value) ?? value).trim();
}

/** The inside of a text that is exactly one markdown code span, else null. */
function unwrapCodeSpan(text: string): string | null {
  const match = /^(`+)([\s\S]*)\1$/.exec(text);
  if (!match) return null;
  const [, ticks, inner] = match as unknown as [string, string, string];
  // The span closes at the first run of the same length: `a` && `b` is two spans, not one.
  if ([...inner.matchAll(/`+/g)].some((run) => run[0].length === ticks.length)) return null;
  return inner.trim();
}

function sectionText(section: Section): string {
  const lines = [...section.lines];
  // Where the gate line stood between two blank lines, keep only one of them.
  const at = section.gate?.at;
  if (at !== undefined && at > 0 && isBlank(lines[at - 1]) && isBlank(lines[at])) lines.splice(at, 1);
  while (lines.length > 0 && isBlank(lines[0])) lines.shift();
  return lines.join('\n').trimEnd();
}

const isBlank = (line: string | undefined): boolean => line !== undefined && line.trim() === '';

function quoteSnippet(raw: string): string {
  const trimmed = raw.trim();
  return JSON.stringify(trimmed.length > 40 ? `${trimmed.slice(0, 39)}…` : trimmed);
}

/** Titles must be non-empty, have a usable slug, and be unique by slug (so `mission done` can name each). */
function validateMilestoneTitles<M extends MilestoneDefinition>(
  milestones: readonly M[],
  position: (milestone: M, index: number) => number | null,
  report: {
    fail: (at: number | null, message: string) => HoldfastError;
    where: (at: number | null) => string;
  },
): void {
  const seen = new Map<string, { title: string; at: number | null }>();
  milestones.forEach((milestone, index) => {
    const at = position(milestone, index);
    if (milestone.title === '') throw report.fail(at, 'a milestone needs a title');
    const slug = milestoneSlug(milestone.title);
    const title = JSON.stringify(milestone.title);
    if (slug === '') {
      throw report.fail(at, `milestone title ${title} needs at least one letter or digit (a-z, 0-9)`);
    }
    const earlier = seen.get(slug);
    if (earlier !== undefined) {
      if (earlier.title.toLowerCase() === milestone.title.toLowerCase()) {
        throw report.fail(at, `duplicate milestone title ${title} (first at ${report.where(earlier.at)})`);
      }
      throw report.fail(
        at,
        `milestone title ${title} names the same milestone as ${JSON.stringify(earlier.title)} (${report.where(earlier.at)}): both become "${slug}"`,
      );
    }
    seen.set(slug, { title: milestone.title, at });
  });
}
