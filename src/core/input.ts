/**
 * Input typed into an agent (DESIGN invariant 8: delivered exactly once). Every input is a row
 * recorded before anything is sent; its state says how far delivery got, so a deliverer killed at
 * any point is followed by one that knows what may already have reached the agent.
 */

/**
 * - `queued`: recorded, nothing sent.
 * - `sending`: the text is being pasted (recorded before the paste): it may be in the composer.
 * - `sent`: pasted and Enter pressed (recorded before the first Enter); a headless agent's resume asked for.
 * - `submitted`: the TUI took it (claude's `UserPromptSubmit` carrying it), its conversation has
 *   not kept it yet (the transcript's user line: see `settleSubmitted`).
 * - `confirmed`: the agent has it: claude's transcript holds it, codex's `UserPromptSubmit` carried
 *   it, the headless run resumed with it.
 * - `failed`: given up, with a reason; never sent again.
 *
 * A `submitted` input whose TUI died before its transcript kept it goes back to `queued`, for the
 * next run (`input-requeued`).
 */
export const INPUT_STATES = ['queued', 'sending', 'sent', 'submitted', 'confirmed', 'failed'] as const;
export type InputState = (typeof INPUT_STATES)[number];

export const OPEN_INPUT_STATES: ReadonlySet<InputState> = new Set(['queued', 'sending', 'sent', 'submitted']);

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
  /** When the TUI took it (its `UserPromptSubmit` hook ran); null until then, and again once requeued. */
  submittedAt: number | null;
  /**
   * The conversation's transcript the submit named (claude's hook payload `transcript_path`) and
   * its size when the hook ran: the user line that keeps the input is looked for past it.
   */
  transcript: string | null;
  transcriptOffset: number | null;
  /** How often it went back to `queued` because its TUI died before its conversation kept it. */
  requeues: number;
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

/**
 * How long a TUI may go on writing after its run ended (one that got a hangup is on its way out):
 * then its transcript is final.
 */
export const WRITER_GONE_MS = 5000;
/**
 * A live agent whose turn ended (its `Stop`, or idle again) this long ago while its transcript
 * never showed the prompt: taken as kept, as the hook line alone once was. The transcript gets the
 * line ~200 ms after the request, so this is a transcript holdfast cannot read (another CLI
 * version's format), or a turn interrupted before its request (Esc, which fires no hook): waiting
 * on would hold every later input back while the agent sits idle.
 */
export const KEPT_FALLBACK_MS = 3000;
/** A prompt whose TUI died this many times before keeping it is not typed again (it may be what kills it). */
export const MAX_REQUEUES = 3;

/** What is known of a `submitted` input (read by the deliverer: the transcript, the run, the signals). */
export interface SubmittedFacts {
  /** The transcript has a user line carrying the text, past the size it had at the submit. */
  inTranscript: boolean;
  /** When the run it was typed into ended; null: still live. */
  runEndedAt: number | null;
  /** The run's TUI process is still there (it may still write its transcript). */
  writerAlive: boolean;
  /** When the turn the submit began was first seen to end (its `Stop`, the agent idle again); null: not yet. */
  turnEndedAt: number | null;
  requeues: number;
}

export type SubmittedVerdict =
  | { kind: 'confirm'; by: 'transcript' | 'turn-end' }
  | { kind: 'requeue'; reason: string }
  | { kind: 'fail'; reason: string }
  | { kind: 'wait' };

/**
 * Whether a `submitted` input has reached the agent. docs/INTERACTIVE.md §3: the
 * `UserPromptSubmit` hook fires 20–50 ms after Enter and the prompt reaches the model once the
 * prompt hooks have ended (they can block it or add to it), the transcript gets the user line ~200
 * ms after that request, and a session killed before that line is resumed without the prompt. So
 * the transcript is the proof: a line there is confirmed whatever became of the run (never typed
 * again); a run that ended without one, once its TUI can no longer write (gone, or
 * `WRITER_GONE_MS` after the end), did not keep it, and the next run gets it (`requeue`), at most
 * `MAX_REQUEUES` times. The hook line alone proves nothing: a hook outlives a TUI killed while its
 * prompt hooks run. A live run waits, as long as it takes (a prompt queued into a busy turn, a slow
 * hook of the user's), except after `KEPT_FALLBACK_MS` past a turn's end (see there).
 */
export function settleSubmitted(f: SubmittedFacts, now: number): SubmittedVerdict {
  if (f.inTranscript) return { kind: 'confirm', by: 'transcript' };
  if (f.runEndedAt === null) {
    if (f.turnEndedAt !== null && now - f.turnEndedAt >= KEPT_FALLBACK_MS)
      return { kind: 'confirm', by: 'turn-end' };
    return { kind: 'wait' };
  }
  if (f.writerAlive && now - f.runEndedAt < WRITER_GONE_MS) return { kind: 'wait' };
  const why = 'the agent exited before its conversation kept the input';
  if (f.requeues + 1 >= MAX_REQUEUES)
    return { kind: 'fail', reason: `${why}, ${f.requeues + 1} times: not sent again` };
  return { kind: 'requeue', reason: why };
}
