/**
 * Input typed into an agent (DESIGN invariant 8: delivered exactly once). Every input is a row
 * recorded before anything is sent; its state says how far delivery got, so a deliverer killed at
 * any point is followed by one that knows what may already have reached the agent.
 */

/**
 * - `queued`: recorded, nothing sent.
 * - `sending`: the text is being pasted (recorded before the paste): it may be in the composer.
 * - `sent`: pasted and Enter pressed (recorded before the first Enter); a headless agent's resume asked for.
 * - `confirmed`: the agent said it took the text (claude's / codex's `UserPromptSubmit` carrying it; the run resumed with it).
 * - `failed`: given up, with a reason; never sent again.
 */
export const INPUT_STATES = ['queued', 'sending', 'sent', 'confirmed', 'failed'] as const;
export type InputState = (typeof INPUT_STATES)[number];

export const OPEN_INPUT_STATES: ReadonlySet<InputState> = new Set(['queued', 'sending', 'sent']);

/**
 * Who asked: the user's `send`, an interactive run's first prompt, a resume's prompt, a continue,
 * an answer, a mission's next session typed into the same TUI.
 */
export const INPUT_SOURCES = ['send', 'prompt', 'resume-prompt', 'continue', 'answer', 'mission'] as const;
export type InputSource = (typeof INPUT_SOURCES)[number];

/**
 * How it reaches the agent: typed into its TUI, a headless agent's `resume --prompt` once its run
 * ended, or an answer pressed as a key on the dialog on its screen (supervisor/steps/answer-keys.ts;
 * its `text` is the recorded answer).
 */
export const INPUT_MODES = ['pane', 'resume', 'keys'] as const;
export type InputMode = (typeof INPUT_MODES)[number];

/**
 * Why a queued input waits: a human used an attached client's keyboard in the last 10 s, the
 * composer holds text holdfast did not put there, the agent is working (`send --now` skips only
 * this one), or there is no prompt box to type into (starting, a dialog, the run not up).
 */
export const DEFER_REASONS = ['human-typing', 'draft', 'busy', 'not-ready'] as const;
export type DeferReason = (typeof DEFER_REASONS)[number];

export const DEFER_TEXT: Record<DeferReason, string> = {
  'human-typing': 'a human is typing',
  draft: 'a draft is in the composer',
  busy: 'the agent is busy',
  'not-ready': 'waiting for the prompt box',
};

export interface InputRecord {
  id: number;
  taskId: number;
  text: string;
  source: InputSource;
  mode: InputMode;
  /** `send --now`: do not wait for a busy agent (the TUI queues it into the running turn). */
  now: boolean;
  state: InputState;
  /** The current reason it waits (null: not waiting). */
  deferred: DeferReason | null;
  createdAt: number;
  updatedAt: number;
  /** The run it was typed into (pane) or the run that was current when the resume was asked (resume). */
  runId: number | null;
  /** `signals.jsonl`'s size when sending began: the confirmation is looked for past it. */
  signalsOffset: number | null;
  /** The tmux buffer the text was loaded into (unique per attempt; `paste-buffer -d` deletes it). */
  buffer: string | null;
  sendingAt: number | null;
  /** When the first Enter was pressed (or the resume asked for). */
  sentAt: number | null;
  enters: number;
  confirmedAt: number | null;
  reason: string | null;
  /** The deliverer holding it while sending (pid and process start time): one deliverer per input. */
  ownerPid: number | null;
  ownerStart: string | null;
}

/** The text as it is compared with what an agent reports it took: line ends, tabs, trailing blanks. */
export function normalizeInputText(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').replace(/\s+$/, '');
}

/**
 * What is pasted for `text`. Claude turns a paste ending in `\` followed by Enter into a newline
 * instead of a submit (docs/INTERACTIVE.md §2): a trailing space keeps the backslash a character.
 * The agents drop trailing blanks, so the confirmation still carries the text.
 */
export function pastedText(text: string): string {
  return /\\\s*$/.test(text) ? `${text.replace(/\s+$/, '')} ` : text;
}
