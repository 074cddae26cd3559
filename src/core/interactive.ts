/**
 * What holdfast knows of an interactive agent (its TUI in the pane): what it is doing and the
 * question it waits on. Shared by the decider, the store, the views and the hook's answers.
 */

export const ACTIVITIES = ['working', 'idle', 'waiting-input'] as const;
export type Activity = (typeof ACTIVITIES)[number];

export const QUESTION_KINDS = ['permission', 'trust', 'choice', 'text'] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];

/** An open question of the agent's, as the task JSON shows it (`question`). */
export interface Question {
  /** holdfast's id for it: the hook's `questionId`, or one made when the screen showed it. */
  id: string;
  kind: QuestionKind;
  /** The tool asking for approval (`Bash`, `Edit`…); null for a trust or text question. */
  tool: string | null;
  /** The tool's input as one line (the command, the file); null when none. */
  input: string | null;
  /** The choices on the dialog, in order (`Yes`, `Yes, and always allow…`, `No`). */
  options: string[];
  askedAt: number;
  /** How it is answered: a hook waits for the answer file, or the dialog on screen takes keys. */
  via: 'hook' | 'screen';
}

/** What `holdfast answer` says: yes, always, no, an option's number, each optionally with a message. */
export type AnswerChoice = 'yes' | 'always' | 'no' | { option: number };

/** Who decided a question, as the journal records every decision (DESIGN invariant 11). */
export type DecidedBy = 'rule' | 'user' | 'dashboard';

/** What the screen's bottom shows (agents/screen.ts): the states its signatures tell apart. */
export const SCREEN_STATES = ['working', 'idle', 'approval', 'trust', 'limit', 'unknown'] as const;
export type ScreenState = (typeof SCREEN_STATES)[number];

/** What said what an interactive agent does, most trusted first. */
export type TuiVia = 'hook' | 'notify' | 'registry' | 'screen';

/**
 * What holdfast knows of an interactive agent, folded from its signals and its screen
 * (agents/tui-state.ts) and written by the decision that read them, with the offset of
 * `signals.jsonl` they came from: a crash neither skips nor repeats a signal.
 */
export interface TuiState {
  activity: Activity | null;
  /** When `activity` last changed (the signal's own time, or the screen observation's). */
  activitySince: number | null;
  /** What said so last: a hook, notify, claude's session registry, or the screen. */
  via: TuiVia | null;
  question: Question | null;
  /** Bytes of `signals.jsonl` consumed (always at the start of a line). */
  signalsOffset: number;
  /** When the last signal ran (its `at`). */
  lastSignalAt: number | null;
  /** The mtime of claude's session registry when it was last folded in (agents/claude-registry.ts). */
  registryAt?: number | null;
  /** The session (claude) or thread (codex) id the hooks report. */
  sessionId: string | null;
  /** A prompt was submitted and its turn has not ended (Stop, notify): a crash now cuts a turn short. */
  turnInFlight: boolean;
  /** A tool call has started (PreToolUse) and not ended (PostToolUse): silence is the tool working. */
  toolInFlight?: boolean;
  /** The screen's state as last observed, since when, and when its text (timers aside) last changed. */
  screen: { state: ScreenState; since: number; hash: string; changedAt: number } | null;
  /** A usage limit the agent reported (claude StopFailure `rate_limit`, either screen), with the reset text. */
  limit: TuiLimit | null;
}

/**
 * A usage limit hit in a live TUI. The fold records what the agent said; the decider records the
 * continue it sent (once per limit), so a decision after a crash does not send it again.
 */
export interface TuiLimit {
  /** When it was seen (the StopFailure hook's time, or the screen look's). */
  at: number;
  /** The screen's limit line, or `usage limit` while only the hook has spoken. */
  detail: string;
  /** When the limit resets, as the screen's text gives it (agents/reset-time.ts); null: not said yet. */
  resetAt?: number | null;
  /** A time printed to the minute lifts at any second of it: only the minute's end is sure. */
  resolution?: 'minute' | 'second' | null;
  /** When holdfast queued its continue (null: not yet; the agent may have gone on by itself). */
  continuedAt?: number | null;
}

export const INITIAL_TUI: TuiState = {
  activity: null,
  activitySince: null,
  via: null,
  question: null,
  signalsOffset: 0,
  lastSignalAt: null,
  sessionId: null,
  turnInFlight: false,
  screen: null,
  limit: null,
};
