import { getAdapter } from '../agents/registry.js';
import { cleanTerminalText as cleanText } from '../core/continuation.js';
import type { TaskRecord } from '../core/task.js';

/**
 * Turns an agent's JSON lines into a readable transcript (assistant text, tool calls and results,
 * errors). Plain lines the agent printed outside its JSON stream (warnings, stderr) pass through.
 */
export function renderTranscript(task: TaskRecord, raw: string, now: number): string {
  const kind = task.spec.agent?.kind;
  if (!kind) return cleanText(raw);
  const adapter = getAdapter(kind);
  const out: string[] = [];
  const text = cleanText(raw);
  const lines = text.split('\n');
  const trailing = lines.at(-1) === '' ? lines.pop() : undefined;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const rendered = adapter
      .parseLine(line, now)
      .map((event) => adapter.render(event))
      .filter((r): r is string => r !== null);
    if (rendered.length > 0) out.push(...rendered);
    else if (!line.trimStart().startsWith('{')) out.push(line);
  }
  return out.length === 0 ? '' : `${out.join('\n')}${trailing === undefined ? '' : '\n'}`;
}
