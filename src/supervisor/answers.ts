/**
 * Delivering a user's answer (`holdfast answer`) to an interactive agent's open question, once.
 * A question a `PermissionRequest` hook waits on (agents/answers.ts) is answered through the
 * hook's answer file, which the hook takes by rename: the journal's `approval-decided` comes from
 * the hook's own signals line. An "always" adds the call's exact rule to the task's policy first.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  alwaysRule,
  answerFiles,
  QUESTION_ID,
  type WaitMarker,
  waitMarkerSchema,
} from '../agents/answers.js';
import { parseRule, policyFileOf, policyFileSchema } from '../agents/policy.js';
import type { AnswerIntent } from '../core/decide.js';
import { readOwnText, writePrivateFile } from '../fs-safe.js';
import type { Paths } from '../paths.js';
import { isAlive } from './process.js';

export interface HookQuestion {
  questionId: string;
  marker: WaitMarker;
}

/** The hook waiting on this question, if one still does (its marker there, its process alive). */
export function waitingHook(paths: Paths, task: string, questionId: string): HookQuestion | null {
  if (!QUESTION_ID.test(questionId)) return null;
  const text = readOwnText(join(paths.answersDir(task), answerFiles(questionId).wait));
  if (text === null) return null;
  try {
    const marker = waitMarkerSchema.parse(JSON.parse(text));
    return isAlive(marker.pid) ? { questionId, marker } : null;
  } catch {
    return null;
  }
}

/** The questions hooks of this task wait on now. */
export function waitingHooks(paths: Paths, task: string): HookQuestion[] {
  let names: string[];
  try {
    names = readdirSync(paths.answersDir(task));
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith('.wait'))
    .map((n) => waitingHook(paths, task, n.slice(0, -'.wait'.length)))
    .filter((q): q is HookQuestion => q !== null);
}

export type Delivery = 'hook' | 'no-hook';

/** Writes the answer file for the waiting hook; `no-hook` when none waits on this question. */
export function deliverToHook(
  paths: Paths,
  task: string,
  questionId: string,
  answer: AnswerIntent,
): Delivery {
  const waiting = waitingHook(paths, task, questionId);
  if (!waiting) return 'no-hook';
  if (answer.always && answer.behavior === 'allow') addAllowRule(paths, task, waiting.marker);
  const dir = paths.answersDir(task);
  const names = answerFiles(questionId);
  const body = {
    behavior: answer.behavior,
    by: answer.by,
    ...(answer.message ? { message: answer.message } : {}),
  };
  writePrivateFile(join(dir, names.answer), `${JSON.stringify(body)}\n`);
  return 'hook';
}

function addAllowRule(paths: Paths, task: string, marker: WaitMarker): void {
  const rule = alwaysRule(marker);
  if (rule === null || typeof parseRule('allow', rule) === 'string') return;
  const file = paths.policyFile(task);
  const text = readOwnText(file);
  let policy = { allow: [] as string[], deny: [] as string[] };
  if (text !== null) {
    const parsed = policyFileSchema.safeParse(safeJson(text));
    // A policy file that is not ours to read is left alone: the answer still allows this once.
    if (!parsed.success) return;
    policy = { allow: parsed.data.allow, deny: parsed.data.deny };
  }
  if (policy.allow.includes(rule)) return;
  writePrivateFile(file, `${JSON.stringify(policyFileOf({ ...policy, allow: [...policy.allow, rule] }))}\n`);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
