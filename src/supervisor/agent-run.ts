import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { getAdapter } from '../agents/registry.js';
import type { Paths } from '../paths.js';

/** The task's original prompt, kept for fresh starts (a lost conversation starts over with it). */
export const originalPromptFile = (paths: Paths, task: string): string =>
  join(paths.taskDir(task), 'prompt.txt');

/** The session id holdfast chooses before the first launch, for the agents that let it. */
export function preassignedSession(kind: string, paths: Paths, task: string): string | null {
  const adapter = getAdapter(kind);
  if (!adapter.preassignsSession) return null;
  return kind === 'pi' ? join(paths.taskDir(task), 'pi-session.jsonl') : randomUUID();
}
