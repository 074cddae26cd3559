/**
 * claude's transcript (`~/.claude/projects/<cwd>/<session>.jsonl`, one JSON object a line) as far
 * as delivery needs it: whether a line is the user's prompt carrying an input's text. Its user line
 * is what a resumed session has of the prompt (docs/INTERACTIVE.md §3), so it, not the prompt hook,
 * says the conversation kept the input (core/input.ts `settleSubmitted`). Pure.
 */
import { normalizeInputText } from '../core/input.js';

/**
 * The prompt text of a user line: `message.content` as a string, or its text blocks joined by
 * line ends; null for any other line (assistant text, a tool result, garbage, a line cut short).
 */
export function userPromptOf(line: string): string | null {
  let entry: unknown;
  try {
    entry = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isRecord(entry) || entry.type !== 'user' || !isRecord(entry.message)) return null;
  if (entry.message.role !== 'user') return null;
  const content = entry.message.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  const texts = content.flatMap((block) =>
    isRecord(block) && block.type === 'text' && typeof block.text === 'string' ? [block.text] : [],
  );
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
