/**
 * The prompt step of an agent run: argv and environment for a fresh start or a resume of the exact
 * session, and the run's own prompt file (`tasks/<name>/prompt-<n>.txt`, 0600), fed to its stdin.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { findSessionByTitle } from '../../agents/opencode.js';
import { getAdapter } from '../../agents/registry.js';
import { isGitWorkTree } from '../../checkpoint/git.js';
import type { RunCause, RunRecord, TaskRecord } from '../../core/task.js';
import { writePrivateFile } from '../../fs-safe.js';
import { originalPromptFile } from '../agent-run.js';
import type { Runtime } from '../runtime.js';
import { writeAgentFiles } from './agent-files.js';
import { readEnvFile } from './env-file.js';

const RESUME_PROMPTS: Partial<Record<RunCause, string>> = {
  'limit-reset': 'The usage limit has reset. Continue the task from where you left off.',
  stall:
    'You seemed stuck (no output for a long time) and were restarted. Continue the task from where you left off.',
  resume: 'Continue the task from where you left off.',
};
const DEFAULT_RESUME_PROMPT =
  'Your previous session was interrupted (the process ended unexpectedly). Continue the task from where you left off.';

/** argv, stdin and environment for an agent run: a fresh start or a resume of the exact session. */
/** An agent run's launch plan: its prompt is always fed on stdin. */
export interface AgentLaunch {
  argv: string[];
  /** null: the terminal (an interactive TUI reads its keys from the pane). */
  stdinFile: string | null;
  env: string[];
}

/**
 * An interactive run: the TUI on the pane's terminal, no prompt in argv or on stdin (the first
 * prompt and a resume's "continue" are delivered into its composer). A later run resumes the
 * task's session when there is one to resume: claude's transcript exists (it is written ~200 ms
 * after the first request; killed before that, the id is fresh again), codex's thread id is known.
 */
async function planInteractiveLaunch(rt: Runtime, task: TaskRecord, run: RunRecord): Promise<AgentLaunch> {
  const agent = task.spec.agent!;
  const adapter = getAdapter(agent.kind);
  writeAgentFiles(rt, task);
  const sessionId = task.sessionId;
  const resume =
    run.n > 1 &&
    !run.fresh &&
    sessionId !== null &&
    (agent.kind !== 'claude' || existsSync(claudeTranscript(rt, task, sessionId)));
  const launch = adapter.interactive!.launch({
    sessionId: agent.kind === 'claude' || resume ? sessionId : null,
    resume,
    model: agent.model,
    unattended: agent.unattended,
    extraArgs: agent.extraArgs,
    program: '',
    agentDir: rt.paths.agentDir(task.name),
  });
  const env = { ...adapter.quietEnv, ...launch.env };
  return { argv: launch.argv, stdinFile: null, env: Object.entries(env).map(([k, v]) => `${k}=${v}`) };
}

/**
 * `~/.claude/projects/<cwd>/<uuid>.jsonl` in the task's environment (docs/INTERACTIVE.md §3), the
 * cwd's folder named as claude 2.1.329 names it: every character but a letter or digit becomes
 * `-`, so a worktree's `.git/holdfast-worktrees/t` is `-git-holdfast-worktrees-t` (seen with the
 * real CLI, test/real-agents/worktree.test.ts). Not there (a long path claude shortens, say): the
 * session's file in any project folder, as `claude --resume` itself finds a session kept in
 * another worktree of the repository.
 */
export function claudeTranscript(rt: Runtime, task: TaskRecord, sessionId: string): string {
  const env = readEnvFile(rt.paths.envFile(task.name));
  const projects = join(env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), '.claude'), 'projects');
  const exact = join(projects, claudeProjectFolder(task.spec.cwd), `${sessionId}.jsonl`);
  if (existsSync(exact)) return exact;
  try {
    for (const folder of readdirSync(projects)) {
      const file = join(projects, folder, `${sessionId}.jsonl`);
      if (existsSync(file)) return file;
    }
  } catch {
    // no projects folder yet
  }
  return exact;
}

/** The folder claude keeps a cwd's transcripts in, under `projects/`. */
export function claudeProjectFolder(cwd: string): string {
  return cwd.replace(/[^A-Za-z0-9]/g, '-');
}

export async function planAgentLaunch(rt: Runtime, task: TaskRecord, run: RunRecord): Promise<AgentLaunch> {
  const agent = task.spec.agent!;
  if (agent.interactive) return planInteractiveLaunch(rt, task, run);
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
  return readFileSync(originalPromptFile(rt.paths, task.name), 'utf8');
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
