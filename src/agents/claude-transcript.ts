/**
 * claude's transcript (`~/.claude/projects/<cwd>/<session>.jsonl`, one JSON object a line) as far
 * as delivery needs it: whether a line is the user's prompt carrying an input's text. Its user line
 * is what a resumed session has of the prompt (docs/INTERACTIVE.md §3), so it, not the prompt hook,
 * says the conversation kept the input (core/input.ts `settleSubmitted`). Pure.
 */
import * as z from 'zod';
import { normalizeInputText } from '../core/input.js';

const textBlock = z.object({ type: z.literal('text'), text: z.string() });

/** A prompt the user typed, as the transcript keeps it. */
const userLine = z.object({
  type: z.literal('user'),
  message: z.object({
    role: z.literal('user'),
    content: z.union([z.string(), z.array(z.unknown())]),
  }),
});

/**
 * A prompt sent while a tool ran: claude takes it into the running turn with the tool's result and
 * keeps it as this attachment, never as a user line (seen with claude 2.1.329: its
 * `queue-operation` lines only say it was queued and then taken, and are not the conversation).
 */
const queuedCommandLine = z.object({
  type: z.literal('attachment'),
  attachment: z.object({ type: z.literal('queued_command'), prompt: z.string() }),
});

/**
 * The prompt text of a line of the conversation: a user line's `message.content` as a string, or its
 * text blocks joined by line ends; a queued command's prompt; null for any other line (assistant
 * text, a tool result, garbage, a line cut short).
 */
export function userPromptOf(line: string): string | null {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return null;
  }
  const queued = queuedCommandLine.safeParse(entry);
  if (queued.success) return queued.data.attachment.prompt;
  const user = userLine.safeParse(entry);
  if (!user.success) return null;
  const content = user.data.message.content;
  if (typeof content === 'string') return content;
  const texts = content.flatMap((block) => {
    const text = textBlock.safeParse(block);
    return text.success ? [text.data.text] : [];
  });
  return texts.length > 0 ? texts.join('\n') : null;
}

/**
 * Whether a prompt as the transcript has it carries `text`, as whole lines: claude wraps pasted
 * multi-line or large text as `<pasted_content id="…">…</pasted_content id="…">` (§2), and prompts
 * queued while busy go to the model joined by line ends. Compared as `normalizeInputText` compares
 * what an agent reports it took (line ends, tabs, trailing blanks).
 */
export function promptCarries(prompt: string, text: string): boolean {
  const want = normalizeInputText(text);
  if (want === '') return false;
  const body = normalizeInputText(prompt.replace(/<\/?pasted_content(?: id="[^"]*")?>/g, ''));
  return `\n${body}\n`.includes(`\n${want}\n`);
}

/** Whether any of these transcript lines is a user prompt carrying `text`. */
export function transcriptKeeps(lines: readonly string[], text: string): boolean {
  return lines.some((line) => {
    const prompt = userPromptOf(line);
    return prompt !== null && promptCarries(prompt, text);
  });
}
