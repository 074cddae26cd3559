import { getAdapter } from '../agents/registry.js';
import { describeExit } from '../agents/summary.js';
import {
  type DiffSinceCheckpoint,
  diffSinceCheckpoint,
  isGitWorkTree,
  listCheckpoints,
  type WorkTreeStatus,
  type WorktreeState,
  workTreeStatus,
  worktreeState,
} from '../checkpoint/index.js';
import type { TaskRecord, TaskState } from '../core/task.js';
import { logSize, readLog } from './log-segments.js';
import type { Runtime } from './runtime.js';

export interface RecoveryReport {
  task: string;
  state: TaskState;
  reason: string | null;
  lastRun: { n: number; cause: string; startedAt: string; endedAt: string | null; ended: string } | null;
  /** The last lines the run wrote (terminal escapes removed); for an agent, of its readable transcript. */
  lastOutput: string[];
  lastAgentMessage: string | null;
  workTree: WorkTreeStatus | null;
  latestCheckpoint: { id: string; commit: string; at: string; run: number | null } | null;
  changedSinceCheckpoint: DiffSinceCheckpoint | null;
  sessionId: string | null;
  /** The argv holdfast will run to continue the work. */
  resumeCommand: string[];
  nextMilestone: string | null;
  /** `run --worktree`: the task's branch, whether its worktree is there, commits ahead of base, what is uncommitted. */
  worktree: WorktreeState | null;
}

/**
 * `readable` turns log text into what `follow` shows (for an agent: its transcript, never raw stream
 * lines); it is the CLI's renderer, passed in so that both always show the same thing.
 */
export async function recoveryReport(
  rt: Runtime,
  task: TaskRecord,
  nextMilestone: string | null,
  readable: (raw: string) => string,
): Promise<RecoveryReport> {
  const runs = rt.store.runs.forTask(task.id);
  const last = runs.at(-1) ?? null;
  const info = rt.store.tasks.info(task.id);
  const cwd = task.spec.cwd;
  const inGit = (await isGitWorkTree(cwd)) !== null;
  const checkpoints = inGit ? await listCheckpoints(cwd, task.name, { limit: 1 }) : [];
  const latest = checkpoints[0] ?? null;
  return {
    task: task.name,
    state: task.state,
    reason: task.reason,
    lastRun: last
      ? {
          n: last.n,
          cause: last.cause,
          startedAt: new Date(last.startedAt).toISOString(),
          endedAt: last.endedAt === null ? null : new Date(last.endedAt).toISOString(),
          ended: last.endedAt === null ? 'still running' : (last.endReason ?? describeExit(last)),
        }
      : null,
    lastOutput: last ? tailLines(last.logPath, 15, task.spec.agent !== null, readable) : [],
    lastAgentMessage: typeof info.lastMessage === 'string' ? info.lastMessage : null,
    workTree: inGit ? await workTreeStatus(cwd) : null,
    latestCheckpoint: latest
      ? { id: latest.id, commit: latest.commit, at: latest.at, run: latest.run }
      : null,
    changedSinceCheckpoint: latest ? await diffSinceCheckpoint(cwd, latest.commit) : null,
    sessionId: task.sessionId,
    resumeCommand: resumeCommand(task, inGit),
    nextMilestone,
    worktree: task.spec.worktree ? await worktreeState(task.spec.worktree) : null,
  };
}

function resumeCommand(task: TaskRecord, inGitRepo: boolean): string[] {
  const agent = task.spec.agent;
  if (!agent) return task.spec.command;
  const adapter = getAdapter(agent.kind);
  const resume = task.sessionId !== null;
  return adapter.launch({
    sessionId: task.sessionId,
    resume,
    cwd: task.spec.cwd,
    model: agent.model,
    unattended: agent.unattended,
    extraArgs: agent.extraArgs,
    inGitRepo,
    runLabel: `${task.name}-run-next`,
    program: '',
  }).argv;
}

function tailLines(path: string, count: number, agent: boolean, readable: (raw: string) => string): string[] {
  const size = logSize(path);
  // An agent's stream lines are long (its init line alone is several KB): read far enough back
  // that the readable tail is still there.
  const from = Math.max(0, size - (agent ? 1 << 20 : 16_384));
  let text = readLog(path, from, size).toString('utf8');
  // A line cut by the window's start is no line at all (for an agent, half a JSON object).
  if (from > 0) text = text.slice(text.indexOf('\n') + 1);
  return readable(text)
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .slice(-count);
}
