/**
 * The prompt a mission's next session gets, from where the mission stands and a few facts the
 * supervisor read (the agent's last message, `git diff` since the milestone started, the end of
 * the last gate run's log). Pure: the reading is done by the caller, the rendering by
 * core/continuation.ts, which knows nothing of missions.
 */
import {
  type ContinuationInput,
  cleanTerminalText,
  type FirstPromptInput,
  GATE_TAIL_LINES,
  type PromptMilestone,
  renderContinuationPrompt,
  renderFirstPrompt,
  tailLines,
} from '../core/continuation.js';
import { effectiveGate, milestoneSlug } from './mission-file.js';
import type { MilestoneProgress, Mission, SessionProgress } from './types.js';

/** How much of the end of a gate run's log is read for the prompt (its last lines are quoted). */
export const GATE_LOG_TAIL_BYTES = 65_536;

/** What changed since the milestone started, as `git diff --stat` counts it. */
export interface DiffFacts {
  entries: readonly { path: string; insertions: number; deletions: number; binary: boolean }[];
  /** `3 files changed, 10 insertions(+), 2 deletions(-)`. */
  summary: string;
}

export interface PromptFacts {
  /** The agent's last message in its previous session. */
  lastAgentMessage: string | null;
  /** null: unknown (no base checkpoint, not a git work tree). */
  diff: DiffFacts | null;
  /** The run `promptGateRun` names, when it exists: its exit and the end of its log, as read. */
  lastGate: { exitCode: number | null; logTail: string } | null;
}

/** The gate run a continuation prompt quotes: the one the last session on this milestone handed to. */
export function promptGateRun(
  m: Pick<Mission, 'active'>,
  sessions: readonly SessionProgress[],
): number | null {
  return sessions.filter((s) => s.milestone === m.active).at(-1)?.gateRun ?? null;
}

/**
 * The inputs of the next session's prompt: the first prompt's while no session has run (`sessions`
 * are the sessions before the one the prompt is for), else a continuation's.
 */
export function sessionPromptInput(
  m: Mission,
  milestones: readonly MilestoneProgress[],
  sessions: readonly SessionProgress[],
  facts: PromptFacts,
): { first: FirstPromptInput } | { continuation: ContinuationInput } {
  const def = m.definition;
  const activeDef = def.milestones[m.active]!;
  const gate = effectiveGate(def, activeDef);
  const list: PromptMilestone[] = def.milestones.map((x, i) => ({
    title: x.title,
    body: x.body,
    gate: effectiveGate(def, x),
    status: i === m.active ? 'active' : milestones[i]?.status === 'done' ? 'done' : 'pending',
  }));
  const base: FirstPromptInput = {
    missionTitle: def.title,
    context: def.context,
    milestones: list,
    active: { title: activeDef.title, body: activeDef.body, gate },
    cwd: m.cwd,
    doneCommand: `holdfast mission done ${m.name} ${milestoneSlug(activeDef.title)}`,
  };
  const last = sessions.at(-1);
  if (!last) return { first: base };
  const gateRun = facts.lastGate;
  return {
    continuation: {
      ...base,
      sessionNumber: sessions.filter((s) => s.milestone === m.active).length + 1,
      lastSession: { endedHow: last.endedHow ?? 'it ended', lastAgentMessage: facts.lastAgentMessage },
      diffStat: facts.diff ? diffStatText(facts.diff) : null,
      gateOutputTail: gateRun ? tailLines(cleanTerminalText(gateRun.logTail), GATE_TAIL_LINES) : null,
      gateCommand: gateRun ? gate : null,
      gateExitCode: gateRun ? gateRun.exitCode : null,
    },
  };
}

export function renderSessionPrompt(
  m: Mission,
  milestones: readonly MilestoneProgress[],
  sessions: readonly SessionProgress[],
  facts: PromptFacts,
): string {
  const input = sessionPromptInput(m, milestones, sessions, facts);
  return 'first' in input ? renderFirstPrompt(input.first) : renderContinuationPrompt(input.continuation);
}

/** The lines of `git diff --stat`: one per file, then the summary; '' when nothing changed. */
export function diffStatText(diff: DiffFacts): string {
  if (diff.entries.length === 0) return '';
  const width = Math.max(...diff.entries.map((e) => e.path.length));
  const lines = diff.entries.map((e) =>
    e.binary
      ? `${e.path.padEnd(width)} | Bin`
      : `${e.path.padEnd(width)} | ${e.insertions + e.deletions} ${'+'.repeat(Math.min(e.insertions, 40))}${'-'.repeat(Math.min(e.deletions, 40))}`,
  );
  return [...lines, diff.summary].join('\n');
}
