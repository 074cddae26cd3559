import { getAdapter } from '../agents/registry.js';
import { describeExit } from '../agents/summary.js';
import {
  type DiffSinceCheckpoint,
  diffSinceCheckpoint,
  isGitWorkTree,
  listCheckpoints,
  type WorkTreeStatus,
  workTreeStatus,
} from '../checkpoint/index.js';
import { cleanTerminalText } from '../core/continuation.js';
import type { TaskRecord, TaskState } from '../core/task.js';
import { fileSize, readRange } from './file-range.js';
import type { Runtime } from './runtime.js';

export interface RecoveryReport {
  task: string;
  state: TaskState;
  reason: string | null;
  lastRun: { n: number; cause: string; startedAt: string; endedAt: string | null; ended: string } | null;
  /** The last lines the run wrote (terminal escapes removed). */
  lastOutput: string[];
  lastAgentMessage: string | null;
  workTree: WorkTreeStatus | null;
  latestCheckpoint: { id: string; commit: string; at: string; run: number | null } | null;
  changedSinceCheckpoint: DiffSinceCheckpoint | null;
  sessionId: string | null;
  /** The argv holdfast will run to continue the work. */
  resumeCommand: string[];
  nextMilestone: string | null;
}

/** States in which a task has died or is waiting to come back: `status` shows the report for these. */
export const DIED_STATES: ReadonlySet<TaskState> = new Set([
  'failed',
  'crash-loop',
  'backoff',
  'rate-limited',
  'stalled',
]);

export async function recoveryReport(
  rt: Runtime,
  task: TaskRecord,
  nextMilestone: string | null = null,
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
    lastOutput: last ? tailLines(last.logPath, 15) : [],
    lastAgentMessage: typeof info.lastMessage === 'string' ? info.lastMessage : null,
    workTree: inGit ? await workTreeStatus(cwd) : null,
    latestCheckpoint: latest
      ? { id: latest.id, commit: latest.commit, at: latest.at, run: latest.run }
      : null,
    changedSinceCheckpoint: latest ? await diffSinceCheckpoint(cwd, latest.commit) : null,
    sessionId: task.sessionId,
    resumeCommand: resumeCommand(task, inGit),
    nextMilestone,
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

function tailLines(path: string, count: number): string[] {
  const size = fileSize(path);
  const text = readRange(path, Math.max(0, size - 16_384), size).toString('utf8');
  return cleanTerminalText(text)
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .slice(-count);
}
