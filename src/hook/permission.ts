/**
 * How the hook answers a `PermissionRequest`: by the task's policy (`--allow`, `--deny`), else by
 * a user's answer while it waits, else not at all, so the agent draws its own dialog (never an
 * allow by default: DESIGN invariant 11).
 *
 * Waiting: only while a daemon runs (hook/daemon-live.ts), since only the daemon delivers
 * `holdfast answer`. The hook makes a question id, has the asking line appended (`ask`), leaves
 * its pid in `answers/<id>.wait` and polls every 50 ms for `answers/<id>.json`, which it takes by
 * renaming it (agents/answers.ts). A daemon that goes away while it waits ends the wait with no
 * answer: the agent's dialog is on the screen then, for a human or a later answer by keys.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type AnswerFile, answerFileSchema, answerFiles, type WaitMarker } from '../agents/answers.js';
import { judge, policyFileSchema, type Rule, rulesOf } from '../agents/policy.js';
import type { SignalLine } from '../agents/signals.js';
import { ensurePrivateDir, readOwnText, writePrivateFile } from '../fs-safe.js';
import { makePaths } from '../paths.js';
import { daemonLive } from './daemon-live.js';

export interface PermissionContext {
  home: string;
  task: string;
  taskId: number;
  agent: SignalLine['agent'];
}

export type Decision = NonNullable<SignalLine['decision']>;

export interface PermissionOptions {
  /** Appends the line that puts the question to the user; false: it could not, so no wait. */
  ask?: (questionId: string) => boolean;
  pollMs?: number;
  now?: () => number;
}

export interface PermissionAnswer {
  decision: Decision | null;
  /** Set when the question was put to the user (asked, then answered or given up). */
  questionId?: string;
}

/** The decision to print and journal, or null: no answer, the agent asks on its screen. */
export async function answerPermission(
  ctx: PermissionContext,
  payload: Record<string, unknown>,
  options: PermissionOptions = {},
): Promise<PermissionAnswer> {
  const paths = makePaths(ctx.home);
  const call = toolCall(payload);
  if (call === null) return { decision: null };
  const { tool, input, cwd } = call;
  const byRule = ruleDecision(paths.policyFile(ctx.task), call);
  if (byRule) return { decision: byRule };
  const now = options.now ?? Date.now;
  if (!options.ask || !daemonLive(paths.daemonPid, now())) return { decision: null };
  const questionId = randomUUID();
  const dir = paths.answersDir(ctx.task);
  const names = answerFiles(questionId);
  try {
    ensurePrivateDir(dir);
    const marker: WaitMarker = { pid: process.pid, tool, input, cwd };
    writePrivateFile(join(dir, names.wait), `${JSON.stringify(marker)}\n`);
  } catch {
    return { decision: null };
  }
  const cleanup = () => rmSync(join(dir, names.wait), { force: true });
  // The agent ends a hook it no longer waits for (its dialog answered on screen): no marker stays.
  const onSignal = () => {
    cleanup();
    process.exit(0);
  };
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(s, onSignal);
  try {
    if (!options.ask(questionId)) return { decision: null };
    const answer = await waitForAnswer(
      dir,
      names,
      () => daemonLive(paths.daemonPid, now()),
      options.pollMs ?? 50,
    );
    if (!answer) return { decision: null, questionId };
    return {
      decision: {
        behavior: answer.behavior,
        by: answer.by,
        ...(answer.message ? { message: answer.message } : {}),
      },
      questionId,
    };
  } finally {
    cleanup();
    for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.off(s, onSignal);
  }
}

/**
 * A `PreToolUse` the task's deny rules refuse: fired before every call, also in a mode where the
 * agent asks nothing (claude's auto mode, a bypass), so a deny rule holds whatever the mode.
 * Allow rules are left to `PermissionRequest`: an allow here would skip the agent's own checks.
 */
export function denyBeforeUse(ctx: PermissionContext, payload: Record<string, unknown>): Decision | null {
  const call = toolCall(payload);
  if (call === null) return null;
  const decision = ruleDecision(makePaths(ctx.home).policyFile(ctx.task), call);
  return decision?.behavior === 'deny' ? decision : null;
}

interface ToolCall {
  tool: string;
  input: Record<string, unknown>;
  cwd: string;
}

function toolCall(payload: Record<string, unknown>): ToolCall | null {
  const tool = typeof payload.tool_name === 'string' ? payload.tool_name : null;
  if (tool === null) return null;
  const input =
    payload.tool_input !== null &&
    typeof payload.tool_input === 'object' &&
    !Array.isArray(payload.tool_input)
      ? (payload.tool_input as Record<string, unknown>)
      : {};
  return { tool, input, cwd: typeof payload.cwd === 'string' ? payload.cwd : process.cwd() };
}

function ruleDecision(policyFile: string, call: ToolCall): Decision | null {
  const verdict = judge(readRules(policyFile), { ...call, home: process.env.HOME ?? homedir() });
  if (!verdict) return null;
  return {
    behavior: verdict.effect,
    by: 'rule',
    rule: verdict.rule,
    ...(verdict.effect === 'deny' ? { message: denyMessage(verdict.rule) } : {}),
  };
}

/** The message a denied tool call gives the model (it goes on with its turn: INTERACTIVE.md §4). */
export function denyMessage(rule: string): string {
  return `holdfast: this task's rule deny ${rule} refuses this tool call; do not retry it, find another way.`;
}

/** The task's rules; none when its policy file is absent or unreadable (then nothing is allowed by a rule). */
function readRules(file: string): Rule[] {
  const text = readOwnText(file);
  if (text === null) return [];
  try {
    const parsed = policyFileSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return [];
    const rules = rulesOf(parsed.data);
    return typeof rules === 'string' ? [] : rules;
  } catch {
    return [];
  }
}

async function waitForAnswer(
  dir: string,
  names: ReturnType<typeof answerFiles>,
  live: () => boolean,
  pollMs: number,
): Promise<AnswerFile | null> {
  for (;;) {
    const answer = take(dir, names);
    if (answer !== undefined) return answer;
    if (!live()) return null;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

/** The answer once taken (null: a bad file, taken and ignored), undefined while there is none. */
function take(dir: string, names: ReturnType<typeof answerFiles>): AnswerFile | null | undefined {
  try {
    renameSync(join(dir, names.answer), join(dir, names.taken));
  } catch {
    return undefined;
  }
  try {
    const parsed = answerFileSchema.safeParse(JSON.parse(readFileSync(join(dir, names.taken), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}
