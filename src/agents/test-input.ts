/** Shared by the adapter tests: a launch input with sensible defaults, and one JSON output line. */
import type { LaunchInput } from './types.js';

export function launchInput(program: string, over: Partial<LaunchInput> = {}): LaunchInput {
  return {
    sessionId: null,
    resume: false,
    cwd: '/work',
    model: null,
    unattended: false,
    extraArgs: [],
    inGitRepo: true,
    runLabel: 'build-1',
    program,
    ...over,
  };
}

/** A line as the pane delivers it: JSON, ended by the terminal's `\r`. */
export const jsonLine = (o: unknown): string => `${JSON.stringify(o)}\r`;
