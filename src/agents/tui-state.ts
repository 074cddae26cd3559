/**
 * An interactive agent's state, folded from its signals (hooks, notify), claude's session
 * registry and, where neither tells, its screen (docs/INTERACTIVE.md §3). Pure: time comes in with
 * each signal and observation. Hooks win over the registry (one written before the last hook line
 * is stale), both over the screen: the screen changes the activity only when it has said the same
 * for `SCREEN_SETTLE_MS` and neither a signal nor another change came in the last
 * `SCREEN_QUIET_MS`, so status from the screen alone never changes twice within 500 ms.
 */
import type { Activity, Question, TuiState, TuiVia } from '../core/interactive.js';
import type { RegistryReading } from './claude-registry.js';
import { describeInput, oneLine } from './json-lines.js';
import { parseReset } from './reset-time.js';
import { type ScreenReading, screenQuestionKind } from './screen.js';
import type { SignalLine } from './signals.js';

/** No two changes from the screen alone within this long, nor one this soon after a signal. */
export const SCREEN_QUIET_MS = 500;
/** The screen must have shown the same state this long (two looks) before it is believed. */
export const SCREEN_SETTLE_MS = 200;

/** An idle screen while a turn is in flight (its end hook not yet come) must hold this long. */
export const TURN_END_SETTLE_MS = 1000;

/** Codex's side request for a title, with its own thread id and notify (§3): not the task's turn. */
const TITLE_PREFIX = 'Generate a concise, single-line task title';

const CLAUDE_OPTIONS = ['Yes', 'Yes, and always allow', 'No'];
const CODEX_OPTIONS = [
  'Yes, proceed',
  "Yes, and don't ask again",
  'No, and tell Codex what to do differently',
];

export interface ScreenLook {
  reading: ScreenReading;
  at: number;
}

export function foldSignals(prev: TuiState, lines: readonly SignalLine[]): TuiState {
  let s = prev;
  for (const line of lines) s = foldSignal(s, line);
  return s;
}

function setActivity(s: TuiState, activity: Activity, at: number, via: TuiVia): TuiState {
  if (s.activity === activity) return { ...s, via };
  return { ...s, activity, activitySince: at, via };
}

export function foldSignal(prev: TuiState, line: SignalLine): TuiState {
  const p = line.payload;
  const at = line.at;
  let s: TuiState = { ...prev, lastSignalAt: Math.max(prev.lastSignalAt ?? 0, at) };
  if (line.source === 'hook' && typeof p.session_id === 'string' && p.session_id !== '')
    s = { ...s, sessionId: p.session_id };
  const via = line.source;
  switch (line.event) {
    case 'SessionStart':
      return s.activity === null ? setActivity(s, 'idle', at, via) : s;
    case 'UserPromptSubmit':
      // A prompt ends a limit seen before it; a late hook of the prompt that hit the limit does not.
      return {
        ...setActivity(s, 'working', at, via),
        turnInFlight: true,
        question: null,
        limit: s.limit && s.limit.at > at ? s.limit : null,
      };
    case 'PreToolUse':
    case 'PostToolUse':
      return {
        ...setActivity(s, 'working', at, via),
        question: null,
        toolInFlight: line.event === 'PreToolUse',
      };
    case 'PermissionRequest': {
      if (line.decision) {
        // Answered by a rule or the user's answer through the hook: the tool runs or is refused.
        const closed = s.question && (line.questionId === undefined || s.question.id === line.questionId);
        return { ...setActivity(s, 'working', at, via), question: closed ? null : s.question };
      }
      // The dialog is drawn 0.4 s after the hook fires (§4); a slow hook's asking line can come after
      // the screen already showed it: the same question, now answered through the hook.
      const seen = s.question?.via === 'screen' && s.question.kind === 'permission' ? s.question : null;
      const question: Question = {
        id: line.questionId ?? seen?.id ?? `q-${at}`,
        kind: 'permission',
        tool: typeof p.tool_name === 'string' ? p.tool_name : null,
        input: p.tool_input === undefined ? null : oneLine(describeInput(p.tool_input), 500),
        options: line.agent === 'claude' ? CLAUDE_OPTIONS : CODEX_OPTIONS,
        askedAt: seen?.askedAt ?? at,
        // A hook that waits for holdfast's answer names its question; else the dialog takes keys.
        via: line.questionId === undefined ? 'screen' : 'hook',
      };
      return { ...setActivity(s, 'waiting-input', at, via), question };
    }
    case 'Notification':
      if (p.notification_type === 'idle_prompt' && s.question === null)
        return setActivity(s, 'idle', at, via);
      // Claude's own continue after the reset (§5): the limit is over, its prompt follows.
      if (p.notification_type === 'quota_auto_resume_fired')
        return { ...s, limit: s.limit && s.limit.at > at ? s.limit : null };
      return s;
    case 'Stop':
    case 'SessionEnd':
      return { ...setActivity(s, 'idle', at, via), turnInFlight: false, toolInFlight: false, question: null };
    case 'StopFailure':
      return {
        ...setActivity(s, 'idle', at, via),
        turnInFlight: p.error === 'rate_limit' ? s.turnInFlight : false,
        limit: p.error === 'rate_limit' ? (s.limit ?? { at, detail: 'usage limit', resetAt: null }) : s.limit,
      };
    case 'agent-turn-complete': {
      const inputs = Array.isArray(p['input-messages']) ? p['input-messages'] : [];
      if (typeof inputs[0] === 'string' && inputs[0].startsWith(TITLE_PREFIX)) return prev;
      return { ...setActivity(s, 'idle', at, via), turnInFlight: false, question: null };
    }
    default:
      return s;
  }
}

/** When the last structured word came (a hook, notify, the registry): the screen is older news. */
export function lastWordAt(s: TuiState): number {
  return Math.max(s.lastSignalAt ?? 0, s.registryAt ?? 0);
}

/**
 * What claude's session registry adds: its status, while the file was written after the last hook
 * line ran (an Esc interrupt or a denied approval makes it `idle` with no hook). A state, not an
 * event: a hook line that ran before the file was written but lands after it does not undo it.
 * Not before the first hook (SessionStart): at launch it says `idle` while a first-run dialog may
 * be up.
 */
export function foldRegistry(prev: TuiState, reading: RegistryReading): TuiState {
  if (prev.activity === null || reading.at <= (prev.lastSignalAt ?? 0)) return prev;
  const at = reading.at;
  const s: TuiState = { ...prev, registryAt: at };
  switch (reading.status) {
    case 'idle':
      if (s.activity === 'idle' && s.question === null) return s;
      return {
        ...setActivity(s, 'idle', at, 'registry'),
        question: null,
        turnInFlight: false,
        toolInFlight: false,
      };
    case 'busy':
      // A dialog answered by its keys: the tool runs.
      if (s.activity === 'working' && s.question === null) return s;
      return { ...setActivity(s, 'working', at, 'registry'), question: null, turnInFlight: true };
    case 'waiting':
      // Which tool asks is the PermissionRequest hook's to say (or the screen's): a hook line that
      // lands after the file would otherwise open the same question twice.
      if (reading.waitingFor !== 'permission prompt' || s.question === null) return prev;
      return s.activity === 'waiting-input' ? s : setActivity(s, 'waiting-input', at, 'registry');
  }
}

/**
 * What the screen adds. It is remembered on every look (so a stable state can be told from a
 * passing frame), and believed only as the top of this file says.
 */
export function foldScreen(prev: TuiState, look: ScreenLook): TuiState {
  const { reading, at } = look;
  const seen = prev.screen;
  const screen = {
    state: reading.state,
    since: seen && seen.state === reading.state ? seen.since : at,
    hash: reading.hash,
    changedAt: seen && seen.hash === reading.hash ? seen.changedAt : at,
  };
  let s: TuiState = { ...prev, screen };
  // A turn's end has its own hook (Stop, notify) that may run a little after the screen shows
  // idle: the screen is believed then only when the hook is late by more than a moment.
  const settle = reading.state === 'idle' && s.turnInFlight ? TURN_END_SETTLE_MS : SCREEN_SETTLE_MS;
  if (reading.state === 'unknown' || at - screen.since < settle) return s;
  const quietSince = Math.max(
    s.lastSignalAt ?? Number.NEGATIVE_INFINITY,
    s.registryAt ?? Number.NEGATIVE_INFINITY,
    s.activitySince ?? Number.NEGATIVE_INFINITY,
  );
  if (at - quietSince < SCREEN_QUIET_MS) return s;
  if (reading.state === 'limit') {
    // The hook says a limit was hit; only the screen says when it resets (§5: no epoch in the payload).
    if (s.limit && s.limit.resetAt != null) return s;
    const detail = reading.detail ?? 'usage limit';
    const reset = parseReset(detail, at);
    return {
      ...s,
      limit: {
        ...(s.limit ?? { at }),
        detail,
        resetAt: reset?.at ?? null,
        resolution: reset?.resolution ?? null,
      },
    };
  }
  const kind = screenQuestionKind(reading.state);
  if (kind !== null) {
    if (s.question?.kind === kind) return s;
    const question: Question = {
      id: `q-${at}`,
      kind,
      tool: kind === 'permission' ? toolOf(reading.subject) : null,
      input: kind === 'permission' ? reading.subject : null,
      options: reading.options,
      askedAt: at,
      via: 'screen',
    };
    return { ...setActivity(s, 'waiting-input', at, 'screen'), question };
  }
  // working or idle: a dialog that is no longer drawn was answered (keys, Esc) or went away, and a
  // limit no longer the last thing on screen is over (a prompt went in, the agent works again).
  const activity: Activity = reading.state === 'working' ? 'working' : 'idle';
  if (s.limit) s = { ...s, limit: null };
  if (s.activity === activity && s.question === null) return s;
  return {
    ...setActivity(s, activity, at, 'screen'),
    question: null,
    // An Esc interrupt fires no hook (§3): the turn is over once the screen is idle.
    turnInFlight: activity === 'idle' ? false : s.turnInFlight,
    toolInFlight: activity === 'idle' ? false : s.toolInFlight,
  };
}

function toolOf(subject: string | null): string | null {
  const m = subject === null ? null : /^([A-Za-z]+)\(/.exec(subject);
  return m ? m[1]! : null;
}

/** Whether the screen is worth a look: where no signal tells what the agent does. */
export function wantsScreen(s: TuiState): boolean {
  // Idle is left only by a prompt, whose UserPromptSubmit hook says so; every other state can end
  // silently (an Esc interrupt, a denied approval, a trust dialog answered by keys). Until the
  // screen itself has shown idle, a first-run dialog may be up whatever the hooks said.
  return s.activity !== 'idle' || s.question !== null || s.limit !== null || s.screen?.state !== 'idle';
}
