/** The task model shared by every module: what the user asked for (spec) and what holdfast observed. */
import type { TuiState } from './interactive.js';
import type { SinkSpec } from './notify.js';

export const TASK_STATES = [
  'pending',
  'starting',
  'running',
  'stopping',
  'stopped',
  'succeeded',
  'failed',
  'backoff',
  'crash-loop',
  'rate-limited',
  'stalled',
  'waiting-input',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

/** States in which no run is alive and none will start without a user's word. */
export const FINAL_STATES: ReadonlySet<TaskState> = new Set(['stopped', 'succeeded', 'failed']);
/** States in which the current run's pane should be alive. */
export const LIVE_STATES: ReadonlySet<TaskState> = new Set([
  'starting',
  'running',
  'stopping',
  'stalled',
  'waiting-input',
]);

export type Desired = 'running' | 'stopped';
export type RestartMode = 'no' | 'on-failure' | 'always';
export type StallAction = 'restart' | 'notify';

export interface RestartPolicy {
  mode: RestartMode;
  /** Restarts allowed over the task's life; `null` = unlimited. */
  maxRestarts: number | null;
  /** Wall time from the first start after which the task is stopped and failed. */
  maxRuntimeMs: number | null;
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** A run that stays up this long resets the backoff and leaves crash-loop. */
  healthyAfterMs: number;
  /** More than `breakerMaxRestarts` restarts within `breakerWindowMs` → crash-loop. */
  breakerMaxRestarts: number;
  breakerWindowMs: number;
  /** In crash-loop, one probe restart this often. */
  probeIntervalMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = {
  mode: 'no',
  maxRestarts: null,
  maxRuntimeMs: null,
  backoffInitialMs: 1000,
  backoffMaxMs: 5 * 60_000,
  healthyAfterMs: 10 * 60_000,
  breakerMaxRestarts: 5,
  breakerWindowMs: 10 * 60_000,
  probeIntervalMs: 30 * 60_000,
};

export type OnLimit = 'wait' | 'fail';
/** What a reboot does to a `--restart no` task whose run it cut short (`run --on-boot`). */
export type OnBoot = 'resume' | 'fail';
export const ON_BOOT_ACTIONS: readonly OnBoot[] = ['resume', 'fail'];

export interface AgentSpec {
  kind: string;
  model: string | null;
  unattended: boolean;
  onLimit: OnLimit;
  /** Delays when a usage limit gives no reset time: 15 min, 30, 60 by default. */
  limitBackoffMs: number[];
  /** Arguments passed through to the agent after `--`. */
  extraArgs: string[];
  /** Approval rules (`--allow`, `--deny`, `--rules-file`; agents/policy.ts), also in the task's `policy.json`. */
  allow?: string[];
  deny?: string[];
  /** The agent's TUI runs in the pane (claude, codex); absent in specs older than it = headless. */
  interactive?: boolean;
  /** `--trust`: the task's cwd was added to the agent's folder trust (interactive only). */
  trust?: boolean;
  /** Typed into a resumed interactive agent whose turn a crash cut short (default "continue"). */
  resumePrompt?: string;
}

export interface TaskSpec {
  /** argv of a plain command; empty for agent tasks (the adapter builds argv). */
  command: string[];
  cwd: string;
  /** The creator's umask, octal: holdfast runs with 077, the task gets what its creator had. */
  umask: string;
  restart: RestartPolicy;
  stallTimeoutMs: number | null;
  /**
   * The stall limit while an agent's tool call is in flight (never less than `stallTimeoutMs`);
   * null = no limit then. Absent (older specs, missions) = `DEFAULT_TOOL_TIMEOUT_MS`.
   */
  toolTimeoutMs?: number | null;
  onStall: StallAction;
  agent: AgentSpec | null;
  /** 0 or null = off. */
  checkpointEveryMs: number | null;
  mission: string | null;
  /** `run --notify`: absent = the config's global sinks (read when sending); `[]` = none; else exactly these. */
  notify?: SinkSpec[];
  /** `--log-max`: a run's log rotates at this many bytes (0 = never). Absent (older specs) = the default. */
  logMaxBytes?: number;
  /** `--keep-runs`: the logs of this many newest runs are kept, older runs' removed. Absent = the default. */
  keepRuns?: number;
  /** `--keep-finished`: a finished task's logs go this long after it finished; null = kept. Absent = the default. */
  keepFinishedMs?: number | null;
  /** `run --on-boot`; absent (older specs) = `defaultOnBoot`. */
  onBoot?: OnBoot;
  /** The holdfast.yaml (absolute path) whose `up` made or last changed the task: what `up --prune` may remove. */
  declaredIn?: string;
  /** `run --worktree`: the task runs in a git worktree of its own; `cwd` is inside `worktree.path`. */
  worktree?: WorktreeSpec;
}

/**
 * A task's own git worktree, made when the task was created. `branch` and `sourceCwd` are what the
 * user asked for (a spec compares on them); `path` and `base` are what creating it produced.
 */
export interface WorktreeSpec {
  /** The branch made for the task (`holdfast/<task>` unless named), without `refs/heads/`. */
  branch: string;
  /** The top level of the user's work tree the worktree was made from. */
  repo: string;
  /** The worktree's directory. */
  path: string;
  /** The commit the branch started from (the user's HEAD then): what `holdfast diff` compares with. */
  base: string;
  /** The cwd the user gave; `cwd` is the same place relative to the worktree's top. */
  sourceCwd: string;
}

/**
 * The cwd the user asked for: for a `--worktree` task the one they gave, not the place in the
 * worktree it runs at. What a spec made again from the same options (`holdfast up`) compares with.
 */
export function requestedCwd(spec: Pick<TaskSpec, 'cwd' | 'worktree'>): string {
  return spec.worktree?.sourceCwd ?? spec.cwd;
}

export const DEFAULT_LOG_MAX_BYTES = 50 * 1024 * 1024;
export const DEFAULT_KEEP_RUNS = 20;
export const DEFAULT_KEEP_FINISHED_MS = 14 * 86_400_000;

export function retentionOf(spec: TaskSpec): {
  logMaxBytes: number;
  keepRuns: number;
  keepFinishedMs: number | null;
} {
  return {
    logMaxBytes: spec.logMaxBytes ?? DEFAULT_LOG_MAX_BYTES,
    keepRuns: spec.keepRuns ?? DEFAULT_KEEP_RUNS,
    keepFinishedMs: spec.keepFinishedMs === undefined ? DEFAULT_KEEP_FINISHED_MS : spec.keepFinishedMs,
  };
}

/** Agents and missions pick up their work after a reboot; a plain command fails unless asked. */
export function onBootOf(spec: Pick<TaskSpec, 'onBoot' | 'agent' | 'mission'>): OnBoot {
  return spec.onBoot ?? (spec.agent !== null || spec.mission !== null ? 'resume' : 'fail');
}

/** Whether a run cut short by a reboot is started again: by its restart policy, or by `--on-boot resume`. */
export function recoversAtBoot(spec: Pick<TaskSpec, 'onBoot' | 'agent' | 'mission' | 'restart'>): boolean {
  return spec.restart.mode !== 'no' || onBootOf(spec) === 'resume';
}

/** A tool running this long without a word (a test suite, a build) is taken for a stall. */
export const DEFAULT_TOOL_TIMEOUT_MS = 30 * 60_000;

/** Restart bookkeeping kept with the task so a restarted daemon decides exactly as the old one would. */
export interface Supervision {
  /** Consecutive failed runs, the exponent of the backoff. */
  attempt: number;
  /** Start times of recent restarts, for the breaker window. */
  restartTimes: number[];
  crashLoop: boolean;
  /** The run already counted as healthy, so it is counted once. */
  healthyRunId: number | null;
  /** Index into the agent's unknown-reset backoff list. */
  limitAttempt: number;
  /** When the last `limit-reset` run started: the next one waits at least `LIMIT_RESET_SPACING_MS` after it. */
  lastLimitResetAt?: number | null;
  /**
   * A headless agent's limit episode: the id of the run whose usage limit began it, kept through the
   * limit-reset runs the limit stops again, cleared by a run that gets past it (null: none).
   */
  limitSince?: number | null;
}

export const INITIAL_SUPERVISION: Supervision = {
  attempt: 0,
  restartTimes: [],
  crashLoop: false,
  healthyRunId: null,
  limitAttempt: 0,
};

export interface TaskRecord {
  id: number;
  name: string;
  spec: TaskSpec;
  desired: Desired;
  state: TaskState;
  reason: string | null;
  restarts: number;
  nextStartAt: number | null;
  createdAt: number;
  updatedAt: number;
  currentRunId: number | null;
  supervision: Supervision;
  sessionId: string | null;
  limitResetsAt: number | null;
  /** When a stop was asked for: the escalation timer counts from here. */
  stopRequestedAt: number | null;
  stopTimeoutMs: number | null;
  /** The state a stop ends in: `stopped` when a user asked, `failed` when a limit (max-runtime) did. */
  stopAs: TaskState | null;
  /** What the next run should be: a fresh start, a resume, and an optional prompt for it. */
  nextRun: NextRun | null;
  /** How many of a stop's signals (SIGINT, SIGTERM, SIGKILL, SIGKILL again) have been sent to the live run. */
  stopStage: number;
  /** When the live run was called stalled: output after this moves it back to running. */
  stalledAt: number | null;
  /** When a checkpoint was last asked for (taken or not yet): the next is due an interval after. */
  checkpointAskedAt: number | null;
  /** An interactive agent's activity, question and signal offset; null for every other task. */
  tui?: TuiState | null;
}

export interface NextRun {
  cause: RunCause;
  prompt: string | null;
  fresh: boolean;
  /** Spends restart budget though its cause alone would not (an agent's crash, resumed: cause `resume`). */
  budgeted?: boolean;
  /** The user asked for it while a run was live: it starts as soon as that run ends, whatever the policy. */
  asked?: boolean;
}

export type RunCause =
  | 'start'
  | 'restart'
  | 'resume'
  | 'backoff'
  | 'probe'
  | 'stall'
  | 'limit-reset'
  | 'server-restarted'
  | 'conversation-lost'
  | 'mission';

export interface RunRecord {
  id: number;
  taskId: number;
  n: number;
  cause: RunCause;
  startedAt: number;
  endedAt: number | null;
  exitCode: number | null;
  signal: string | null;
  endReason: string | null;
  logPath: string;
  /** The pane's process (the launcher): what tmux reports, and whose process group a stop signals. */
  pid: number | null;
  /** The task's own process, the launcher's child; null until the launcher has reported it. */
  taskPid: number | null;
  /** The process that created this run and is launching it; a dead starter means the launch may need redoing. */
  starterPid: number | null;
  logOffset: number;
  lastOutputAt: number | null;
  bytes: number;
  lines: number;
  /** For an agent run: the prompt it is given (null = continue without one) and whether it starts a fresh conversation. */
  prompt: string | null;
  fresh: boolean;
  /** The run spent restart budget (a crash restart, a probe, a stall, a user's restart). */
  budgeted: boolean;
}

export interface RunExit {
  exitCode: number | null;
  signal: string | null;
  endedAt: number;
  /** Why it ended when the process did not simply exit (e.g. `server-lost`). */
  reason: string | null;
}

/** Whether the task's agent runs its TUI in the pane (`run --interactive`). */
export function isInteractive(task: Pick<TaskRecord, 'spec'>): boolean {
  return task.spec.agent?.interactive === true;
}
