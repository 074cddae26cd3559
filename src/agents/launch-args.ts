/** Small checks shared by the adapters' `launch`. */
import { HoldfastError } from '../core/errors.js';
import type { AgentKind, LaunchInput } from './types.js';

/** The executable to run: the input's program, else the adapter's published binary. */
export function programOf(input: Pick<LaunchInput, 'program'>, binary: string): string {
  return input.program !== '' ? input.program : binary;
}

/** The session id a launch cannot do without (a resume, or pi's session file). */
export function requireSessionId(
  input: Pick<LaunchInput, 'sessionId'>,
  kind: AgentKind,
  why: string,
): string {
  if (input.sessionId === null || input.sessionId === '') {
    throw new HoldfastError('EAGENT', `${kind}: ${why} needs a session id, and the run has none`);
  }
  return input.sessionId;
}
