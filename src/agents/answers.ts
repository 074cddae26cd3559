/**
 * How an answer reaches a `PermissionRequest` hook that waits for it (hook/permission.ts), and how
 * approval decisions read in `signals.jsonl` become journal entries. In the task's `answers/`:
 *
 *   <questionId>.wait    the waiting hook's pid and the call (WaitMarker): there while it waits
 *   <questionId>.json    the answer, written whole (a rename) by the daemon
 *   <questionId>.taken   the answer once the hook took it (renamed from .json: it or the daemon's
 *                        withdrawal wins, never both, so an answer is delivered at most once)
 */
import * as z from 'zod';
import { event, type JournalDraft } from '../core/events.js';
import type { SignalLine } from './signals.js';

export const QUESTION_ID = /^[A-Za-z0-9-]{1,64}$/;

export const answerFileSchema = z.strictObject({
  behavior: z.enum(['allow', 'deny']),
  message: z.string().optional(),
  by: z.enum(['user', 'dashboard']),
});
export type AnswerFile = z.infer<typeof answerFileSchema>;

/** What `<questionId>.wait` holds: who waits, and for what call (an "always" answer makes a rule of it). */
export const waitMarkerSchema = z.object({
  pid: z.number().int().positive(),
  tool: z.string(),
  input: z.record(z.string(), z.unknown()),
  cwd: z.string(),
});
export type WaitMarker = z.infer<typeof waitMarkerSchema>;

/**
 * The allow rule an "always" answer adds to the task's policy: this command, this file, or this
 * tool with this input, exactly. Null when the input holds a glob character (the rule would allow
 * more than was asked), so the answer allows once.
 */
export function alwaysRule(call: {
  tool: string;
  input: Record<string, unknown>;
  cwd: string;
}): string | null {
  const line = inputLine(call.input);
  if (line === null) return call.tool;
  if (/[*?]/.test(line) || /[\u0000-\u001f]/.test(line)) return null;
  const file = ['file_path', 'notebook_path', 'path'].some((k) => typeof call.input[k] === 'string');
  if (file) return `${call.tool}(/${line.startsWith('/') ? line : `${call.cwd}/${line}`})`;
  return `${call.tool}(${line})`;
}

export const answerFiles = (questionId: string) => ({
  wait: `${questionId}.wait`,
  answer: `${questionId}.json`,
  taken: `${questionId}.taken`,
  withdrawn: `${questionId}.withdrawn`,
});

/** A tool call's input as one line, as the journal and the question show it. */
export function inputLine(input: unknown): string | null {
  if (input === null || typeof input !== 'object') return null;
  const rec = input as Record<string, unknown>;
  for (const key of ['command', 'file_path', 'notebook_path', 'path', 'url', 'pattern', 'query']) {
    const v = rec[key];
    if (typeof v === 'string') return v.replace(/\s*\n\s*/g, ' ');
    if (key === 'command' && Array.isArray(v)) return v.join(' ');
  }
  const json = JSON.stringify(rec);
  return json === '{}' ? null : json;
}

/**
 * The journal entry a `PermissionRequest` signal line with a decision means: `approval-decided`,
 * with who made it (the question itself is tui's `question-asked`). Other lines journal nothing
 * here. The daemon's reader of `signals.jsonl` journals it with the line.
 */
export function approvalEvents(line: SignalLine): JournalDraft<'approval-decided'>[] {
  // A PreToolUse line has a decision only when a deny rule refused the call before it ran.
  if (line.event !== 'PermissionRequest' && line.event !== 'PreToolUse') return [];
  const tool = typeof line.payload.tool_name === 'string' ? line.payload.tool_name : null;
  const input = inputLine(line.payload.tool_input);
  if (line.decision) {
    const d = line.decision;
    return [
      event('approval-decided', {
        ...(line.questionId ? { questionId: line.questionId } : {}),
        tool,
        input,
        behavior: d.behavior,
        by: d.by,
        ...(d.rule ? { rule: d.rule } : {}),
        ...(d.message ? { message: d.message } : {}),
        via: 'hook',
      }),
    ];
  }
  return [];
}
