/**
 * How the hook answers a `PermissionRequest`: by the task's policy (`--allow`, `--deny`), else by
 * a user's answer while it waits, else not at all, so the agent draws its own dialog (never an
 * allow by default: DESIGN invariant 11).
 */
import type { SignalLine } from '../agents/signals.js';

export interface PermissionContext {
  home: string;
  task: string;
  taskId: number;
  agent: SignalLine['agent'];
}

/** The decision to print and journal, or null: no answer, the agent asks on its screen. */
export async function answerPermission(
  _ctx: PermissionContext,
  _payload: Record<string, unknown>,
): Promise<NonNullable<SignalLine['decision']> | null> {
  return null;
}
