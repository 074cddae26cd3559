import type { Activity, Question } from '../core/interactive.js';
import { type OnBoot, onBootOf, type RunRecord, type TaskRecord, type TaskState } from '../core/task.js';
import type { InputView } from './input.js';

/** The `--json` contract of `ls` and `status`. Scripts depend on it: add fields, never rename. */
export interface TaskView {
  id: number;
  name: string;
  state: TaskState;
  desired: 'running' | 'stopped';
  reason: string | null;
  pid: number | null;
  exitCode: number | null;
  signal: string | null;
  restarts: number;
  cwd: string;
  command: string[];
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  uptimeMs: number | null;
  nextStartAt: string | null;
  lastOutputAt: string | null;
  restart: string;
  /** What a reboot does to a `--restart no` run it cut short (`run --on-boot`, or its default). */
  onBoot: OnBoot;
  agent: string | null;
  sessionId: string | null;
  limitResetsAt: string | null;
  mission: string | null;
  /** An agent task's original prompt, in full; null for a command task. */
  prompt: string | null;
  info: Record<string, unknown>;
  /** Whether the agent's TUI runs in the pane (`run --interactive`). */
  interactive: boolean;
  /** An interactive agent's live run: working, idle or waiting-input; null otherwise or not known yet. */
  activity: Activity | null;
  activitySince: string | null;
  /** The question an interactive agent waits on (state `waiting-input` while there is one). */
  question: QuestionView | null;
  runs: RunView[];
  /** Inputs not yet confirmed or failed (`holdfast send`, an interactive run's prompts), oldest first. */
  inputs: InputView[];
  /** `run --worktree`: the task's own git worktree, its branch and the commit it started from; null otherwise. */
  worktree: { branch: string; path: string; base: string } | null;
}

export interface QuestionView {
  id: string;
  kind: Question['kind'];
  tool: string | null;
  input: string | null;
  options: string[];
  askedAt: string;
  /** How `answer` reaches it: the waiting hook, or keys on the dialog on screen. */
  via: Question['via'];
}

export interface RunView {
  n: number;
  cause: string;
  startedAt: string;
  endedAt: string | null;
  exitCode: number | null;
  signal: string | null;
  reason: string | null;
  pid: number | null;
  log: string;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function toRunView(run: RunRecord): RunView {
  return {
    n: run.n,
    cause: run.cause,
    startedAt: iso(run.startedAt)!,
    endedAt: iso(run.endedAt),
    exitCode: run.exitCode,
    signal: run.signal,
    reason: run.endReason,
    pid: run.taskPid ?? run.pid,
    log: run.logPath,
  };
}

export function toTaskView(
  task: TaskRecord,
  runs: readonly RunRecord[],
  now: number,
  extra: {
    lastOutputAt?: number | null;
    info?: Record<string, unknown>;
    prompt?: string | null;
    inputs?: InputView[];
  } = {},
): TaskView {
  const current = runs.find((r) => r.id === task.currentRunId) ?? runs.at(-1) ?? null;
  const live = current !== null && current.endedAt === null;
  const lastEnded = [...runs].reverse().find((r) => r.endedAt !== null) ?? null;
  return {
    id: task.id,
    name: task.name,
    state: task.state,
    desired: task.desired,
    reason: task.reason,
    pid: live ? (current.taskPid ?? current.pid) : null,
    exitCode: live ? null : (lastEnded?.exitCode ?? null),
    signal: live ? null : (lastEnded?.signal ?? null),
    restarts: task.restarts,
    cwd: task.spec.cwd,
    command: task.spec.command,
    createdAt: iso(task.createdAt)!,
    updatedAt: iso(task.updatedAt)!,
    startedAt: live ? iso(current.startedAt) : null,
    uptimeMs: live ? Math.max(0, now - current.startedAt) : null,
    nextStartAt: iso(task.nextStartAt),
    lastOutputAt: iso(extra.lastOutputAt ?? current?.lastOutputAt ?? null),
    restart: task.spec.restart.mode,
    onBoot: onBootOf(task.spec),
    agent: task.spec.agent?.kind ?? null,
    sessionId: task.sessionId,
    limitResetsAt: iso(task.limitResetsAt),
    mission: task.spec.mission,
    prompt: extra.prompt ?? null,
    info: extra.info ?? {},
    interactive: task.spec.agent?.interactive === true,
    activity: live ? (task.tui?.activity ?? null) : null,
    activitySince: live ? iso(task.tui?.activitySince ?? null) : null,
    question: live && task.tui?.question ? questionView(task.tui.question) : null,
    runs: runs.map(toRunView),
    inputs: extra.inputs ?? [],
    worktree: task.spec.worktree
      ? { branch: task.spec.worktree.branch, path: task.spec.worktree.path, base: task.spec.worktree.base }
      : null,
  };
}

function questionView(q: Question): QuestionView {
  return {
    id: q.id,
    kind: q.kind,
    tool: q.tool,
    input: q.input,
    options: q.options,
    askedAt: iso(q.askedAt)!,
    via: q.via,
  };
}

/** States in which a task has died or is waiting to come back: `status` shows the recovery report for these. */
export const DIED_STATES: ReadonlySet<TaskState> = new Set([
  'failed',
  'crash-loop',
  'backoff',
  'rate-limited',
  'stalled',
]);
