import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findSessionByTitle } from '../agents/opencode.js';
import { getAdapter } from '../agents/registry.js';
import { emptySummary, summarizeLines } from '../agents/summary.js';
import { transcriptSummarySchema } from '../agents/summary-schema.js';
import type { AgentAdapter } from '../agents/types.js';
import { isGitWorkTree } from '../checkpoint/git.js';
import type { ExitVerdict } from '../core/lifecycle.js';
import type { RunCause, RunExit, RunRecord, TaskRecord } from '../core/task.js';
import { writePrivateFile } from '../fs-safe.js';
import type { Paths } from '../paths.js';
import type { Runtime } from './runtime.js';
import type { LineConsumer } from './tailer.js';

/** The task's original prompt, kept for fresh starts (a lost conversation starts over with it). */
/** The session id holdfast chooses before the first launch, for the agents that let it. */
export function preassignedSession(kind: string, paths: Paths, task: string): string | null {
  const adapter = getAdapter(kind);
  if (!adapter.preassignsSession) return null;
  return kind === 'pi' ? join(paths.taskDir(task), 'pi-session.jsonl') : randomUUID();
}

const RESUME_PROMPTS: Partial<Record<RunCause, string>> = {
  'limit-reset': 'The usage limit has reset. Continue the task from where you left off.',
  stall:
    'You seemed stuck (no output for a long time) and were restarted. Continue the task from where you left off.',
  resume: 'Continue the task from where you left off.',
};
const DEFAULT_RESUME_PROMPT =
  'Your previous session was interrupted (the process ended unexpectedly). Continue the task from where you left off.';

/** An agent run's launch plan (a LaunchPlan); its prompt is always fed on stdin. */
export interface AgentLaunch {
  argv: string[];
  stdinFile: string;
  env: string[];
}

/** argv, stdin and environment for an agent run: a fresh start or a resume of the exact session. */
export async function planAgentLaunch(rt: Runtime, task: TaskRecord, run: RunRecord): Promise<AgentLaunch> {
  const agent = task.spec.agent!;
  const adapter = getAdapter(agent.kind);
  let sessionId = task.sessionId;
  if (sessionId === null && agent.kind === 'opencode' && run.n > 1) {
    // It died before printing its id: the title it was given names it.
    sessionId = await opencodeSessionByTitle(task, `${task.name}-run-${run.n - 1}`);
  }
  const resume = run.n > 1 && !run.fresh && sessionId !== null;
  if (!resume && !adapter.preassignsSession) sessionId = null;
  // A crash resumed (cause `resume`, budget spent) is told of the crash, as a user's resume is not.
  const crashResume = run.cause === 'resume' && run.budgeted;
  const prompt =
    run.prompt ??
    (resume
      ? ((crashResume ? undefined : RESUME_PROMPTS[run.cause]) ?? DEFAULT_RESUME_PROMPT)
      : readOriginalPrompt(rt, task));
  const stdinFile = rt.paths.promptFile(task.name, run.n);
  writePrivateFile(stdinFile, prompt);
  const launch = adapter.launch({
    sessionId,
    resume,
    cwd: task.spec.cwd,
    model: agent.model,
    unattended: agent.unattended,
    extraArgs: agent.extraArgs,
    inGitRepo: (await isGitWorkTree(task.spec.cwd)) !== null,
    runLabel: `${task.name}-run-${run.n}`,
    program: '',
  });
  const env = { ...adapter.quietEnv, ...launch.env };
  return { argv: launch.argv, stdinFile, env: Object.entries(env).map(([k, v]) => `${k}=${v}`) };
}

function readOriginalPrompt(rt: Runtime, task: TaskRecord): string {
  return readFileSync(rt.paths.originalPrompt(task.name), 'utf8');
}

function opencodeSessionByTitle(task: TaskRecord, title: string): Promise<string | null> {
  return new Promise((resolve) => {
    execFile(
      'opencode',
      ['session', 'list', '--format', 'json'],
      { cwd: task.spec.cwd, timeout: 15_000 },
      (error, stdout) => resolve(error ? null : findSessionByTitle(stdout, title)),
    );
  });
}

/**
 * Folds an agent run's new lines into its summary, inside the tailer's transaction: the session id
 * it reports becomes the task's (a changed id is journaled: the agent did not continue the one we
 * asked for), and the last message, turns and cost become visible in `ls`/`status`.
 */
export function makeAgentLineConsumer(rt: Runtime): LineConsumer {
  return (task, run, lines, now) => {
    if (!task.spec.agent) return;
    const adapter = getAdapter(task.spec.agent.kind);
    const before = rt.store.runs.summary(run.id, transcriptSummarySchema) ?? emptySummary();
    const summary = summarizeLines(adapter, lines, now, undefined, before);
    rt.store.runs.setSummary(run.id, summary);
    const journal = (type: string, data: Record<string, unknown>) =>
      rt.store.events.append({ taskId: task.id, taskName: task.name, runId: run.id, at: now, type, data });
    if (
      summary.sessionId !== null &&
      summary.sessionId !== task.sessionId &&
      task.currentRunId === run.id &&
      task.spec.agent.kind !== 'pi'
    ) {
      rt.store.tasks.update(task.id, { sessionId: summary.sessionId }, now);
      journal(task.sessionId === null ? 'session-captured' : 'session-changed', {
        sessionId: summary.sessionId,
        previous: task.sessionId,
      });
    }
    if (summary.usageLimit && !before.usageLimit)
      journal('usage-limit-seen', { resetAt: summary.usageLimit.resetAt, detail: summary.usageLimit.detail });
    const denied = (summary.permissionDenials ?? []).slice((before.permissionDenials ?? []).length);
    if (denied.length > 0)
      journal('permission-denied', { tools: [...new Set(denied.map((d) => d.tool))], denials: denied });
    rt.store.tasks.mergeInfo(task.id, {
      lastMessage: summary.lastAssistant === null ? null : summary.lastAssistant.slice(0, 2000),
      turns: summary.turns,
      costUsd: summary.costUsd,
      // This run's denials (null removes the key: a new run starts without any).
      permissionDenials: summary.permissionDenials?.length ? summary.permissionDenials : null,
    });
  };
}

/** How an agent run ended, from everything it printed (read to the end first) and its exit status. */
export function agentVerdict(rt: Runtime, task: TaskRecord, run: RunRecord, exit: RunExit): ExitVerdict {
  const adapter: AgentAdapter = getAdapter(task.spec.agent!.kind);
  const summary = rt.store.runs.summary(run.id, transcriptSummarySchema) ?? emptySummary();
  return adapter.classify(summary, exit);
}
