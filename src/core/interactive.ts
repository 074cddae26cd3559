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
