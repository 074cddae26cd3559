import type { InputRecord } from '../core/input.js';

/** An input as `send --json` and the task view show it. Scripts depend on it: add fields, never rename. */
export interface InputView {
  id: number;
  task: string;
  state: InputRecord['state'];
  source: InputRecord['source'];
  mode: InputRecord['mode'];
  /** Why it waits right now (`human-typing`, `draft`, `busy`, `not-ready`), or null. */
  deferred: InputRecord['deferred'];
  /** A failed input's reason. */
  reason: string | null;
  createdAt: string;
  sentAt: string | null;
  /** When the TUI took it (claude's `UserPromptSubmit`); it is confirmed once its transcript kept it. */
  submittedAt: string | null;
  confirmedAt: string | null;
  /** From queued to confirmed. */
  latencyMs: number | null;
  enters: number;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toInputView(input: InputRecord, task: string): InputView {
  return {
    id: input.id,
    task,
    state: input.state,
    source: input.source,
    mode: input.mode,
    deferred: input.deferred,
    reason: input.reason,
    createdAt: iso(input.createdAt)!,
    sentAt: iso(input.sentAt),
    submittedAt: iso(input.submittedAt),
    confirmedAt: iso(input.confirmedAt),
    latencyMs: input.confirmedAt === null ? null : input.confirmedAt - input.createdAt,
    enters: input.enters,
  };
}
