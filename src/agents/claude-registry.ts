/**
 * Claude's session registry, `~/.claude/sessions/<pid>.json`, which the interactive TUI itself
 * rewrites as its status changes (docs/INTERACTIVE.md §3): `idle`, `busy`, or `waiting` with
 * `waitingFor: "permission prompt"`. It is the one structured signal of an Esc interrupt and of a
 * denied approval, which fire no hook. Only the fields the doc records are read.
 */
import * as z from 'zod';

const registrySchema = z.looseObject({
  status: z.enum(['idle', 'busy', 'waiting']),
  waitingFor: z.string().optional(),
});

/** What the registry said, and when (the file's mtime: the doc records no time field). */
export interface RegistryReading {
  status: 'idle' | 'busy' | 'waiting';
  waitingFor: string | null;
  at: number;
}

/** The file's text read at `at`; null for a missing, half-written or unknown one (no signal). */
export function parseRegistry(text: string | null, at: number): RegistryReading | null {
  if (text === null) return null;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = registrySchema.safeParse(json);
  if (!parsed.success) return null;
  return { status: parsed.data.status, waitingFor: parsed.data.waitingFor ?? null, at };
}
