/**
 * Answering a question on the agent's screen by keys (docs/INTERACTIVE.md §1, §4): which key
 * answers which dialog, and whether the screen still shows the dialog a question was about (the
 * peers' top bug is a key pressed on the wrong screen). Pure: the screen comes in as a reading.
 *
 * - claude's approval: `1` yes, `2` yes and always, Esc no (keys are ignored ~125 ms after it is
 *   drawn); codex's: `y`, `p` (adds the command's prefix rule), Esc.
 * - the trust dialog: `1` accepts, for both. Never Enter: claude's default is "No, exit".
 */
import * as z from 'zod';
import type { Question } from '../core/interactive.js';
import type { InteractiveAgent } from './composer.js';
import type { ScreenReading } from './screen.js';

/** What a question answered by keys needs, kept with the input that delivers it (its `text`). */
export const keysAnswerSchema = z.strictObject({
  questionId: z.string(),
  kind: z.enum(['permission', 'trust']),
  tool: z.string().nullable(),
  input: z.string().nullable(),
  askedAt: z.number(),
  behavior: z.enum(['allow', 'deny']),
  always: z.boolean(),
  message: z.string().nullable(),
  by: z.enum(['user', 'dashboard']),
  /** The tmux key pressed. */
  key: z.string(),
});
export type KeysAnswer = z.infer<typeof keysAnswerSchema>;

export function parseKeysAnswer(text: string): KeysAnswer | null {
  try {
    const parsed = keysAnswerSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * The key for this answer on this agent's dialog, or a reason there is none. A "no" to the trust
 * dialog is not pressed: the agent would exit (and be restarted into the same dialog).
 */
export function answerKey(
  agent: InteractiveAgent,
  kind: Question['kind'],
  answer: { behavior: 'allow' | 'deny'; always: boolean },
): { key: string } | { refused: string } {
  if (kind === 'trust') {
    if (answer.behavior === 'deny')
      return { refused: `no to the trust dialog makes ${agent} exit: stop the task instead` };
    return { key: '1' };
  }
  if (kind !== 'permission') return { refused: `a ${kind} question is not answered by keys` };
  if (answer.behavior === 'deny') return { key: 'Escape' };
  if (agent === 'codex') return { key: answer.always ? 'p' : 'y' };
  return { key: answer.always ? '2' : '1' };
}

const squash = (text: string) => text.replace(/[\s\u00a0]+/g, '');

/**
 * Whether the screen shows the dialog the question was about: the same kind, and for an approval
 * the same call where the dialog names it (claude `Bash(npm test)`, codex the command).
 */
export function dialogShows(
  answer: Pick<KeysAnswer, 'kind' | 'tool' | 'input'>,
  reading: ScreenReading,
): boolean {
  if (answer.kind === 'trust') return reading.state === 'trust';
  if (reading.state !== 'approval') return false;
  if (answer.input === null || reading.subject === null) return true;
  const shown = squash(reading.subject);
  const wanted = [answer.input, ...(answer.tool ? [`${answer.tool}(${answer.input})`] : [])].map(squash);
  if (wanted.includes(shown)) return true;
  // A long call is cut at the screen's edge.
  const cut = shown.endsWith('…') ? shown.slice(0, -1) : null;
  return cut !== null && cut.length >= 8 && wanted.some((w) => w.startsWith(cut));
}
