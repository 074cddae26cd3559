/**
 * One line of a task's `signals.jsonl`: what an interactive agent's hook (claude `--settings`
 * hooks, codex `hooks.json`) or codex's `notify` reported, as `hook/main.ts` appended it. The
 * payload is the agent's own JSON (docs/INTERACTIVE.md §3): `hook_event_name`, `session_id`,
 * `prompt`, `tool_name`, `tool_input`, `last_assistant_message`…; notify's is
 * `{type: "agent-turn-complete", "thread-id", "turn-id", "input-messages", "last-assistant-message"}`.
 */
import * as z from 'zod';

export const SIGNAL_SOURCES = ['hook', 'notify'] as const;

export const signalLineSchema = z.object({
  /** When the hook ran (ms since the epoch). */
  at: z.number().int().nonnegative(),
  agent: z.enum(['claude', 'codex']),
  source: z.enum(SIGNAL_SOURCES),
  /** The hook's `hook_event_name`, or notify's `type` (`agent-turn-complete`). */
  event: z.string().min(1),
  payload: z.record(z.string(), z.unknown()),
  /**
   * A `PermissionRequest` no rule answered: the hook waits for `answers/<questionId>.json` (while
   * the daemon runs) and appends a second line with the same id and the user's `decision`.
   */
  questionId: z.string().min(1).optional(),
  /**
   * claude's `UserPromptSubmit`: the size of the transcript its payload names (`transcript_path`)
   * as the hook ran, 0 when there is none yet. The prompt's user line is written after the prompt
   * hooks end (docs/INTERACTIVE.md §3), so it lies past this size: the deliverer looks for it there.
   */
  transcriptSize: z.number().int().nonnegative().optional(),
  /** What the hook answered a `PermissionRequest` with, when it answered (by a rule or a user's answer). */
  decision: z
    .object({
      behavior: z.enum(['allow', 'deny']),
      message: z.string().optional(),
      by: z.enum(['rule', 'user', 'dashboard']),
      rule: z.string().optional(),
    })
    .optional(),
});

export type SignalLine = z.infer<typeof signalLineSchema>;

/** Parses one line; null for a line that is not a signal (cut short by a crash, or garbage). */
export function parseSignalLine(line: string): SignalLine | null {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return null;
  }
  const parsed = signalLineSchema.safeParse(json);
  return parsed.success ? parsed.data : null;
}
