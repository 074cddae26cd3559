import { describe, expect, it } from 'vitest';
import {
  type Action,
  type AgentFacts,
  type CaptureFacts,
  type CheckpointFacts,
  checkIntent,
  type Decision,
  decide,
  type Intent,
  type NewRun,
  type Observed,
  type PaneFact,
  type PaneFactKind,
  PERMISSION_GRANTED_PROMPT,
  type RunView,
  type TaskPatch,
} from './decide.js';
import { HoldfastError } from './errors.js';
import type { ExitVerdict } from './lifecycle.js';
import {
  type AgentSpec,
  DEFAULT_RESTART_POLICY,
  INITIAL_SUPERVISION,
  type RestartPolicy,
  TASK_STATES,
  type TaskRecord,
  type TaskSpec,
  type TaskState,
} from './task.js';

const NOW = 50_000_000;
const MIN = 60_000;

const AGENT: AgentSpec = {
  kind: 'claude',
  model: null,
  unattended: false,
  onLimit: 'wait',
  limitBackoffMs: [15 * MIN, 30 * MIN, 60 * MIN],
  extraArgs: [],
};

function spec(over: Partial<TaskSpec> = {}, policy: Partial<RestartPolicy> = {}): TaskSpec {
  return {
    command: ['x'],
    cwd: '/',
    umask: '022',
    restart: { ...DEFAULT_RESTART_POLICY, mode: 'on-failure', ...policy },
    stallTimeoutMs: null,
    onStall: 'restart',
    agent: null,
    checkpointEveryMs: null,
    mission: null,
    ...over,
  };
}

function task(over: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id: 1,
    name: 'job',
    spec: spec(),
    desired: 'running',
    state: 'running',
    reason: null,
    restarts: 0,
    nextStartAt: null,
    createdAt: NOW - 10 * MIN,
    updatedAt: NOW - MIN,
    currentRunId: 5,
    supervision: INITIAL_SUPERVISION,
    sessionId: null,
    limitResetsAt: null,
    stopRequestedAt: null,
    stopTimeoutMs: null,
    stopAs: null,
    nextRun: null,
    stopStage: 0,
    stalledAt: null,
    checkpointAskedAt: null,
    ...over,
  };
}

const LIVE: RunView = {
  id: 5,
  n: 2,
  cause: 'start',
  startedAt: NOW - 1000,
  endedAt: null,
  lastOutputAt: NOW - 500,
  pid: 4242,
  starterPid: 99,
};
const ENDED: RunView = { ...LIVE, endedAt: NOW - 100 };
const LIVE_STATE: ReadonlySet<TaskState> = new Set(['starting', 'running', 'stopping', 'stalled']);

const dead = (exitCode: number | null, signal: string | null = null): PaneFact => ({
  kind: 'dead',
  exitCode,
  signal,
  at: NOW,
  pid: 4242,
});
const lost = (reason: 'pane-lost' | 'server-lost'): PaneFact => ({ kind: 'lost', reason, at: NOW });
const stop = (timeoutMs = 10_000): Intent => ({ kind: 'stop', timeoutMs });
const restart = (runId: number | null = 5): Intent => ({ kind: 'restart', timeoutMs: 10_000, runId });
const resume = (over: Partial<Extract<Intent, { kind: 'resume' }>> = {}): Intent => ({
  kind: 'resume',
  prompt: null,
  now: false,
  unattended: false,
  ...over,
});
const agentFacts = (over: Partial<AgentFacts> = {}): AgentFacts => ({
  verdict: null,
  sessionId: null,
  toolInFlight: false,
  ...over,
});
const verdict = (v: ExitVerdict) => agentFacts({ verdict: v });
const signal = (sig: 'SIGINT' | 'SIGTERM' | 'SIGKILL'): Action => ({
  type: 'signal',
  runId: 5,
  pid: 4242,
  signal: sig,
});
const LAUNCH: Action = { type: 'launch' };
const CAPTURE: Action = { type: 'capture', runId: 5 };
const capture = (over: Partial<CaptureFacts> = {}): CaptureFacts => ({
  piped: true,
  logBytes: 1234,
  writable: true,
  lostAt: null,
  resumedAt: null,
  ...over,
});
const SWEEP: Action = { type: 'sweep', runId: 5 };

interface Row {
  title: string;
  task?: Partial<TaskRecord>;
  run?: Partial<RunView> | null;
  pane?: PaneFact;
  agent?: AgentFacts;
  checkpoint?: CheckpointFacts;
  capture?: CaptureFacts;
  intents?: Intent[];
  now?: number;
  jitter?: number;
  /** What the decision must say (events and actions are compared whole: unlisted means none). */
  state?: TaskState;
  events?: string[];
  /** The events' data, in order (compared whole when given). */
  eventData?: Record<string, unknown>[];
  actions?: Action[];
  patch?: TaskPatch;
  newRun?: Partial<NewRun> | null;
  endRun?: Record<string, unknown> | null;
  wakeAt?: number | null;
  consumed?: number;
  remove?: boolean;
  runPid?: number;
  adoptLaunch?: number;
}

function observedFor(row: Row, t: TaskRecord): Observed {
  const base = LIVE_STATE.has(t.state) ? LIVE : t.currentRunId === null ? null : ENDED;
  const run = row.run === null ? null : row.run === undefined ? base : { ...(base ?? LIVE), ...row.run };
  return {
    run,
    lastRunN: run?.n ?? 0,
    firstStartedAt: run === null ? null : NOW - 5000,
    pane: row.pane ?? { kind: 'none' },
    agent: row.agent ?? (t.spec.agent ? agentFacts() : null),
    checkpoint: row.checkpoint ?? null,
    ...(row.capture ? { capture: row.capture } : {}),
    intents: (row.intents ?? []).map((intent, i) => ({ id: i + 1, taskId: t.id, at: NOW - 10, intent })),
    jitter: row.jitter ?? 0,
  };
}

const rows: Row[] = [
  // ── pending ──
  {
    title: 'a created task is due at once, so one whose creator died before starting it still starts',
    task: { state: 'pending', currentRunId: null, nextStartAt: null },
    state: 'starting',
    events: ['started'],
    actions: [LAUNCH],
    newRun: { n: 1, cause: 'start', budgeted: false },
    wakeAt: null,
  },
  {
    title: 'a pending task due later waits for its time',
    task: { state: 'pending', currentRunId: null, nextStartAt: NOW + 500 },
    state: 'pending',
    wakeAt: NOW + 500,
    newRun: null,
  },
  {
    title: 'a pending task that is stopped ends stopped without a run',
    task: { state: 'pending', currentRunId: null },
    intents: [stop()],
    state: 'stopped',
    patch: { desired: 'stopped' },
    events: ['stopped'],
    newRun: null,
    consumed: 1,
  },
  {
    title: 'a pending task restarted starts its first run with cause restart',
    task: { state: 'pending', currentRunId: null },
    intents: [restart(null)],
    state: 'starting',
    events: ['restart-requested', 'started'],
    actions: [LAUNCH],
    newRun: { n: 1, cause: 'restart', budgeted: false },
  },
  {
    title: 'a pending task nobody wants running is not started',
    task: { state: 'pending', currentRunId: null, desired: 'stopped' },
    state: 'pending',
    newRun: null,
    wakeAt: null,
  },
  {
    title: "the mission runner's run intent starts a task with the session's prompt",
    task: { state: 'pending', currentRunId: null },
    intents: [{ kind: 'run', cause: 'mission', prompt: 'do it', fresh: true }],
    state: 'starting',
    events: ['started'],
    actions: [LAUNCH],
    newRun: { cause: 'mission', prompt: 'do it', fresh: true },
  },
  // ── starting ──
  {
    title: 'a run put into tmux (its pid recorded) is running',
    task: { state: 'starting' },
    state: 'running',
    wakeAt: LIVE.startedAt + DEFAULT_RESTART_POLICY.healthyAfterMs,
  },
  {
    title: 'a run its live starter is still putting into tmux is left alone',
    task: { state: 'starting' },
    run: { pid: null },
    pane: { kind: 'launching' },
    state: 'starting',
    wakeAt: null,
  },
  {
    title: 'a run whose starter died before tmux had it is launched again by the decider',
    task: { state: 'starting' },
    run: { pid: null, starterPid: 12 },
    pane: { kind: 'unlaunched' },
    state: 'starting',
    events: ['launch-resumed'],
    actions: [{ type: 'relaunch', runId: 5 }],
    adoptLaunch: 5,
  },
  {
    title: 'a launch that failed under --restart no fails the task, which then wants nothing more',
    task: { state: 'starting', spec: spec({}, { mode: 'no' }) },
    run: { pid: null },
    pane: { kind: 'launch-failed', error: 'boom', at: NOW },
    state: 'failed',
    patch: { desired: 'stopped', reason: 'launch failed: boom' },
    events: ['start-failed', 'exited', 'failed'],
    endRun: { runId: 5, exit: { reason: 'launch-failed', exitCode: null } },
  },
  {
    title: 'a launch that failed is a crash of that attempt: --restart always backs off and starts again',
    task: { state: 'starting', spec: spec({}, { mode: 'always' }) },
    run: { pid: null },
    pane: { kind: 'launch-failed', error: 'tmux: server exited unexpectedly', at: NOW },
    state: 'backoff',
    patch: {
      desired: 'running',
      reason: 'launch failed: tmux: server exited unexpectedly',
      nextStartAt: NOW + DEFAULT_RESTART_POLICY.backoffInitialMs,
      nextRun: { cause: 'backoff', prompt: null, fresh: false },
    },
    events: ['start-failed', 'exited', 'backoff'],
    endRun: { runId: 5, exit: { reason: 'launch-failed', exitCode: null, signal: null } },
    wakeAt: NOW + DEFAULT_RESTART_POLICY.backoffInitialMs,
  },
  {
    title: 'a launch that failed under --restart on-failure backs off like any crash',
    task: { state: 'starting', supervision: { ...INITIAL_SUPERVISION, attempt: 2 } },
    run: { pid: null },
    pane: { kind: 'launch-failed', error: 'boom', at: NOW },
    state: 'backoff',
    patch: { desired: 'running', nextStartAt: NOW + 4 * DEFAULT_RESTART_POLICY.backoffInitialMs },
    events: ['start-failed', 'exited', 'backoff'],
  },
  {
    title:
      'a launch that failed with a zero backoff starts the next run in the same decision, spending budget',
    task: { state: 'starting', spec: spec({}, { mode: 'always', backoffInitialMs: 0, backoffMaxMs: 0 }) },
    run: { pid: null },
    pane: { kind: 'launch-failed', error: 'boom', at: NOW },
    state: 'starting',
    patch: { restarts: 1, reason: null },
    events: ['start-failed', 'exited', 'backoff', 'restarted'],
    actions: [LAUNCH],
    newRun: { n: 3, cause: 'backoff', budgeted: true },
  },
  {
    title: 'launches failing again and again trip the breaker into crash-loop',
    task: {
      state: 'starting',
      spec: spec({}, { mode: 'always' }),
      supervision: { ...INITIAL_SUPERVISION, restartTimes: [NOW - 5, NOW - 4, NOW - 3, NOW - 2, NOW - 1] },
    },
    run: { pid: null },
    pane: { kind: 'launch-failed', error: 'boom', at: NOW },
    state: 'crash-loop',
    events: ['start-failed', 'exited', 'crash-loop-entered', 'backoff'],
    wakeAt: NOW + DEFAULT_RESTART_POLICY.probeIntervalMs,
  },
  {
    title: 'a launch that failed past --max-restarts fails with that reason',
    task: { state: 'starting', restarts: 3, spec: spec({}, { mode: 'always', maxRestarts: 3 }) },
    run: { pid: null },
    pane: { kind: 'launch-failed', error: 'boom', at: NOW },
    state: 'failed',
    patch: { desired: 'stopped', reason: 'max-restarts (3)' },
    events: ['start-failed', 'exited', 'failed'],
  },
  {
    title: 'a launch that failed while a stop was asked for ends the task stopped, not restarted',
    task: {
      state: 'stopping',
      desired: 'stopped',
      spec: spec({}, { mode: 'always' }),
      stopRequestedAt: NOW - 10,
    },
    run: { pid: null },
    pane: { kind: 'launch-failed', error: 'boom', at: NOW },
    state: 'stopped',
    events: ['start-failed', 'exited', 'stopped'],
  },
  {
    title: "an agent's launch that failed is resumed after the backoff, spending budget",
    task: { state: 'starting', spec: spec({ agent: AGENT }) },
    run: { pid: null },
    pane: { kind: 'launch-failed', error: 'boom', at: NOW },
    state: 'backoff',
    patch: { nextRun: { cause: 'resume', prompt: null, fresh: false, budgeted: true } },
    events: ['start-failed', 'exited', 'backoff'],
  },
  {
    title:
      'a pid tmux reports for a run whose starter died before recording it is kept, and the run is running',
    task: { state: 'starting' },
    run: { pid: null, starterPid: 12 },
    pane: { kind: 'alive', pid: 777 },
    state: 'running',
    runPid: 777,
  },
  {
    title: 'a command that exits 0 before its start was even recorded has succeeded',
    task: { state: 'starting' },
    pane: dead(0),
    state: 'succeeded',
    patch: { desired: 'stopped' },
    events: ['exited', 'succeeded'],
  },
  {
    title: 'a stop while the run is being launched waits for its pid before signalling',
    task: { state: 'starting' },
    run: { pid: null },
    pane: { kind: 'launching' },
    intents: [stop()],
    state: 'stopping',
    events: ['stop-requested'],
    actions: [],
    wakeAt: null,
  },
  // ── running: how a run ends ──
  {
    title: 'exit 0 under --restart no succeeds',
    task: { spec: spec({}, { mode: 'no' }) },
    pane: dead(0),
    state: 'succeeded',
    events: ['exited', 'succeeded'],
  },
  {
    title: 'exit 1 under --restart no fails',
    task: { spec: spec({}, { mode: 'no' }) },
    pane: dead(1),
    state: 'failed',
    patch: { desired: 'stopped' },
    events: ['exited', 'failed'],
  },
  {
    title: 'exit 0 under --restart on-failure succeeds',
    pane: dead(0),
    state: 'succeeded',
    events: ['exited', 'succeeded'],
  },
  {
    title: 'exit 1 under on-failure backs off 1 s and wakes then',
    pane: dead(1),
    state: 'backoff',
    patch: { nextStartAt: NOW + 1000, nextRun: { cause: 'backoff', prompt: null, fresh: false } },
    events: ['exited', 'backoff'],
    endRun: { runId: 5, exit: { exitCode: 1, signal: null } },
    wakeAt: NOW + 1000,
  },
  {
    title: 'exit 0 under --restart always backs off as a crash does',
    task: { spec: spec({}, { mode: 'always' }) },
    pane: dead(0),
    state: 'backoff',
    events: ['exited', 'backoff'],
  },
  {
    title: 'a kill -9 is recorded with its signal and backed off',
    pane: dead(null, 'SIGKILL'),
    state: 'backoff',
    events: ['exited', 'backoff'],
    endRun: { exit: { exitCode: null, signal: 'SIGKILL' } },
  },
  {
    title: 'a crash with a zero backoff is restarted in the same decision, spending budget',
    task: { spec: spec({}, { backoffInitialMs: 0, backoffMaxMs: 0 }) },
    pane: dead(1),
    state: 'starting',
    patch: { restarts: 1 },
    events: ['exited', 'backoff', 'restarted'],
    actions: [LAUNCH],
    newRun: { n: 3, cause: 'backoff', budgeted: true },
  },
  {
    title: 'the sixth crash inside the window trips the breaker into crash-loop',
    task: {
      supervision: { ...INITIAL_SUPERVISION, restartTimes: [NOW - 5, NOW - 4, NOW - 3, NOW - 2, NOW - 1] },
    },
    pane: dead(1),
    state: 'crash-loop',
    patch: { nextStartAt: NOW + DEFAULT_RESTART_POLICY.probeIntervalMs },
    events: ['exited', 'crash-loop-entered', 'backoff'],
    wakeAt: NOW + DEFAULT_RESTART_POLICY.probeIntervalMs,
  },
  {
    title: 'a crash past --max-restarts fails with the reason',
    task: { restarts: 2, spec: spec({}, { maxRestarts: 2 }) },
    pane: dead(1),
    state: 'failed',
    patch: { reason: 'max-restarts (2)' },
    events: ['exited', 'failed'],
  },
  {
    title: 'a crash past --max-runtime fails with the reason',
    task: { spec: spec({}, { maxRuntimeMs: 4000 }) },
    pane: dead(1),
    state: 'failed',
    patch: { reason: 'max-runtime' },
    events: ['exited', 'failed'],
  },
  {
    title: 'a pane gone from the listing is a crash with the reason pane-lost',
    pane: lost('pane-lost'),
    state: 'backoff',
    events: ['exited', 'backoff'],
    endRun: { exit: { reason: 'pane-lost' } },
  },
  {
    title: 'a lost tmux server restarts the task at once in a fresh one, spending no budget',
    pane: lost('server-lost'),
    state: 'starting',
    patch: { restarts: 0 },
    events: ['exited', 'restarted'],
    actions: [LAUNCH],
    newRun: { cause: 'server-restarted', budgeted: false },
  },
  {
    title: 'a lost tmux server fails a task under --restart no, naming it',
    task: { spec: spec({}, { mode: 'no' }) },
    pane: lost('server-lost'),
    state: 'failed',
    patch: { reason: 'server-lost' },
    events: ['exited', 'failed'],
  },
  // ── a reboot (lifecycle.ts SERVER_LOST_ROWS) ──
  {
    title:
      'lost at boot: a task with a restart policy is journaled boot-recovered and started at its stagger slot',
    pane: { kind: 'lost', reason: 'server-lost', at: NOW, boot: { delayMs: 1000 } },
    state: 'backoff',
    patch: {
      reason: 'reboot',
      nextStartAt: NOW + 1000,
      nextRun: { cause: 'server-restarted', prompt: null, fresh: false },
    },
    events: ['exited', 'boot-recovered'],
    eventData: [
      { run: 2, exitCode: null, signal: null, durationMs: 1000, reason: 'server-lost' },
      { run: 2, by: 'restart-policy', delayMs: 1000, nextStartAt: NOW + 1000 },
    ],
    wakeAt: NOW + 1000,
  },
  {
    title:
      'lost at boot in the first slot: started at once, resuming (cause server-restarted), no budget spent',
    pane: { kind: 'lost', reason: 'server-lost', at: NOW, boot: { delayMs: 0 } },
    state: 'starting',
    patch: { restarts: 0 },
    events: ['exited', 'boot-recovered', 'restarted'],
    actions: [LAUNCH],
    newRun: { cause: 'server-restarted', budgeted: false, fresh: false },
  },
  {
    title: 'lost at boot: --restart no with --on-boot resume comes back too (by on-boot)',
    task: { spec: spec({ onBoot: 'resume' }, { mode: 'no' }) },
    pane: { kind: 'lost', reason: 'server-lost', at: NOW, boot: { delayMs: 500 } },
    state: 'backoff',
    patch: { nextStartAt: NOW + 500 },
    events: ['exited', 'boot-recovered'],
    eventData: [
      { run: 2, exitCode: null, signal: null, durationMs: 1000, reason: 'server-lost' },
      { run: 2, by: 'on-boot', delayMs: 500, nextStartAt: NOW + 500 },
    ],
    wakeAt: NOW + 500,
  },
  {
    title: 'lost at boot: an agent under --restart no resumes by default (on-boot resume)',
    task: { spec: spec({ agent: AGENT }, { mode: 'no' }) },
    pane: { kind: 'lost', reason: 'server-lost', at: NOW, boot: { delayMs: 0 } },
    state: 'starting',
    events: ['exited', 'boot-recovered', 'restarted'],
    actions: [LAUNCH],
    newRun: { cause: 'server-restarted', fresh: false },
  },
  {
    title: 'lost at boot: a command under --restart no fails by default (on-boot fail), saying why',
    task: { spec: spec({}, { mode: 'no' }) },
    pane: { kind: 'lost', reason: 'server-lost', at: NOW, boot: { delayMs: 0 } },
    state: 'failed',
    patch: { reason: 'server-lost: the machine restarted (--on-boot fail)' },
    events: ['exited', 'failed'],
  },
  {
    title: 'lost while the daemon runs: --on-boot resume does not bring back a --restart no task',
    task: { spec: spec({ onBoot: 'resume' }, { mode: 'no' }) },
    pane: lost('server-lost'),
    state: 'failed',
    patch: { reason: 'server-lost' },
    events: ['exited', 'failed'],
  },
  {
    title: 'lost at boot while being stopped: it stays stopped',
    task: {
      state: 'stopping',
      desired: 'stopped',
      stopRequestedAt: NOW - 500,
      stopTimeoutMs: 10_000,
      stopAs: 'stopped',
    },
    pane: { kind: 'lost', reason: 'server-lost', at: NOW, boot: { delayMs: 0 } },
    state: 'stopped',
    events: ['exited', 'stopped'],
    actions: [{ type: 'sweep', runId: 5 }],
  },
  {
    title: 'a dead pane tmux has not reaped yet is waited for (its status is not known)',
    pane: { kind: 'awaiting-reap', pid: 4242 },
    state: 'running',
    endRun: null,
  },
  {
    title: 'a live run with nothing due wakes when it will have been up --healthy-after',
    pane: { kind: 'alive', pid: 4242 },
    state: 'running',
    wakeAt: LIVE.startedAt + DEFAULT_RESTART_POLICY.healthyAfterMs,
  },
  // ── running: time ──
  {
    title: 'a run up --healthy-after resets the backoff, once',
    task: { supervision: { ...INITIAL_SUPERVISION, attempt: 3, restartTimes: [1, 2, 3] } },
    now: LIVE.startedAt + DEFAULT_RESTART_POLICY.healthyAfterMs,
    patch: { supervision: { ...INITIAL_SUPERVISION, healthyRunId: 5 } },
    events: [],
  },
  {
    title: 'a healthy run leaves crash-loop',
    task: { supervision: { ...INITIAL_SUPERVISION, crashLoop: true, restartTimes: [1] } },
    now: LIVE.startedAt + DEFAULT_RESTART_POLICY.healthyAfterMs,
    events: ['crash-loop-left'],
    patch: { supervision: { ...INITIAL_SUPERVISION, healthyRunId: 5 } },
  },
  {
    title: 'a run already counted healthy is not counted again',
    task: { supervision: { ...INITIAL_SUPERVISION, healthyRunId: 5 } },
    now: NOW + 60 * MIN,
    patch: {},
    wakeAt: null,
  },
  {
    title: 'silence past --stall-timeout with --on-stall notify is journaled only',
    task: { spec: spec({ stallTimeoutMs: 2000, onStall: 'notify' }) },
    now: LIVE.lastOutputAt! + 2000,
    state: 'stalled',
    patch: { reason: 'no output', stalledAt: LIVE.lastOutputAt! + 2000 },
    events: ['stalled'],
  },
  {
    title: 'silence past --stall-timeout with --on-stall restart ends the run with SIGTERM',
    task: { spec: spec({ stallTimeoutMs: 2000 }) },
    now: LIVE.lastOutputAt! + 2000,
    state: 'stalled',
    patch: { stopStage: 2, stopTimeoutMs: 5000 },
    events: ['stalled'],
    actions: [signal('SIGTERM')],
  },
  {
    title: "an agent's silence always restarts it, whatever --on-stall says",
    task: { spec: spec({ stallTimeoutMs: 2000, onStall: 'notify', agent: AGENT }) },
    now: LIVE.lastOutputAt! + 2000,
    state: 'stalled',
    events: ['stalled'],
    actions: [signal('SIGTERM')],
  },
  {
    title: 'a tool call in flight is silent for up to --tool-timeout without a stall',
    task: { spec: spec({ stallTimeoutMs: 2000, toolTimeoutMs: 60_000, agent: AGENT }) },
    agent: agentFacts({ toolInFlight: true }),
    now: LIVE.lastOutputAt! + 30_000,
    state: 'running',
    wakeAt: LIVE.lastOutputAt! + 60_000,
  },
  {
    title: 'a tool call in flight past --tool-timeout is a stall',
    task: { spec: spec({ stallTimeoutMs: 2000, toolTimeoutMs: 60_000, agent: AGENT }) },
    agent: agentFacts({ toolInFlight: true }),
    now: LIVE.lastOutputAt! + 60_000,
    state: 'stalled',
    events: ['stalled'],
    actions: [signal('SIGTERM')],
  },
  {
    title: '--max-runtime reached while running stops the run to fail the task',
    task: { spec: spec({}, { maxRuntimeMs: 5000 }) },
    state: 'stopping',
    patch: {
      desired: 'stopped',
      stopAs: 'failed',
      reason: 'max-runtime',
      stopTimeoutMs: 10_000,
      stopStage: 1,
    },
    events: ['stop-requested'],
    actions: [signal('SIGINT')],
    wakeAt: NOW + 5000,
  },
  // ── running: agent facts ──
  {
    title: 'the session id an agent reports becomes the task’s',
    task: { spec: spec({ agent: AGENT }) },
    agent: agentFacts({ sessionId: 'abc' }),
    patch: { sessionId: 'abc' },
    events: ['session-captured'],
  },
  {
    title: 'a different session id than the one resumed is journaled as changed',
    task: { spec: spec({ agent: AGENT }), sessionId: 'old' },
    agent: agentFacts({ sessionId: 'new' }),
    patch: { sessionId: 'new' },
    events: ['session-changed'],
  },
  {
    title: "pi's reported session id is not taken (its session is the file holdfast chose)",
    task: { spec: spec({ agent: { ...AGENT, kind: 'pi' } }), sessionId: '/s.jsonl' },
    agent: agentFacts({ sessionId: 'uuid' }),
    patch: {},
  },
  {
    title: 'a usage limit with a reset time waits for it, spending no budget',
    task: { spec: spec({ agent: AGENT }) },
    pane: dead(1),
    agent: verdict({ class: 'usage-limited', resetAt: NOW + 10 * MIN }),
    state: 'rate-limited',
    patch: {
      limitResetsAt: NOW + 10 * MIN,
      nextStartAt: NOW + 10 * MIN,
      nextRun: { cause: 'limit-reset', prompt: null, fresh: false },
    },
    events: ['exited', 'rate-limited'],
    wakeAt: NOW + 10 * MIN,
  },
  {
    title: 'a usage limit under --on-limit fail fails the task',
    task: { spec: spec({ agent: { ...AGENT, onLimit: 'fail' } }) },
    pane: dead(1),
    agent: verdict({ class: 'usage-limited', resetAt: null }),
    state: 'failed',
    patch: { reason: 'usage-limit' },
    events: ['exited', 'failed'],
  },
  {
    title: 'an agent that cannot log in fails and is never retried',
    task: { spec: spec({ agent: AGENT }, { mode: 'always' }) },
    pane: dead(1),
    agent: verdict({ class: 'auth' }),
    state: 'failed',
    patch: { reason: 'auth' },
    events: ['exited', 'failed'],
  },
  {
    title: 'a resume that found no conversation starts fresh at once with the original prompt, no budget',
    task: { spec: spec({ agent: AGENT }) },
    pane: dead(1),
    agent: verdict({ class: 'conversation-lost' }),
    state: 'starting',
    events: ['exited', 'conversation-lost', 'restarted'],
    actions: [LAUNCH],
    newRun: { cause: 'conversation-lost', fresh: true, budgeted: false },
  },
  {
    title: 'an agent denied its tools waits for input, with no restart',
    task: { spec: spec({ agent: AGENT }) },
    pane: dead(0),
    agent: verdict({ class: 'needs-input', detail: 'permission-denied: Bash' }),
    state: 'waiting-input',
    patch: { reason: 'permission-denied: Bash' },
    events: ['exited', 'waiting-input'],
    wakeAt: null,
  },
  {
    title: 'an agent that crashed resumes its conversation after the backoff (cause resume, budget spent)',
    task: { spec: spec({ agent: AGENT }) },
    pane: dead(1),
    agent: verdict({ class: 'crash' }),
    state: 'backoff',
    patch: { nextRun: { cause: 'resume', prompt: null, fresh: false, budgeted: true } },
    events: ['exited', 'backoff'],
  },
  {
    title: 'an agent that said it finished has succeeded',
    task: { spec: spec({ agent: AGENT }) },
    pane: dead(0),
    agent: verdict({ class: 'done' }),
    state: 'succeeded',
    events: ['exited', 'succeeded'],
  },
  // ── running: checkpoints ──
  {
    title: 'a checkpoint is asked for each --checkpoint-every, once',
    task: { spec: spec({ checkpointEveryMs: 500 }) },
    checkpoint: { lastAt: NOW - 600, off: false },
    patch: { checkpointAskedAt: NOW },
    actions: [{ type: 'checkpoint', reason: 'interval' }],
    wakeAt: NOW + 500,
  },
  {
    title: 'the next checkpoint waits out its interval',
    task: { spec: spec({ checkpointEveryMs: 5000 }) },
    checkpoint: { lastAt: NOW - 1000, off: false },
    wakeAt: NOW + 4000,
  },
  {
    title: 'no checkpoints where the cwd is not a git work tree',
    task: { spec: spec({ checkpointEveryMs: 500 }) },
    checkpoint: { lastAt: NOW - 9000, off: true },
    patch: {},
  },
  {
    title: 'a checkpoint asked for and not finished yet is not asked for again',
    task: { spec: spec({ checkpointEveryMs: 5000 }), checkpointAskedAt: NOW - 10 },
    checkpoint: { lastAt: NOW - 9000, off: false },
    wakeAt: NOW - 10 + 5000,
  },
  // ── running: capture of its output ──
  {
    title:
      'a live pane that lost its pipe is journaled at the log size and attached again when its disk has room',
    pane: { kind: 'alive', pid: 4242 },
    capture: capture({ piped: false }),
    state: 'running',
    events: ['capture-lost'],
    eventData: [{ run: 2, offset: 1234 }],
    actions: [CAPTURE],
  },
  {
    title:
      'a pipe lost on a full disk is journaled as such and not attached (it would die at its first write)',
    pane: { kind: 'alive', pid: 4242 },
    capture: capture({ piped: false, writable: false }),
    events: ['capture-lost'],
    eventData: [{ run: 2, offset: 1234, diskFull: true }],
    actions: [],
  },
  {
    title: 'a lost pipe already journaled, the disk still full: nothing until there is room',
    pane: { kind: 'alive', pid: 4242 },
    capture: capture({ piped: false, writable: false, lostAt: 1234 }),
    events: [],
    actions: [],
  },
  {
    title: 'a lost pipe already journaled, the disk has room again: attached again, not journaled twice',
    pane: { kind: 'alive', pid: 4242 },
    capture: capture({ piped: false, lostAt: 1234 }),
    events: [],
    actions: [CAPTURE],
  },
  {
    title: 'a pipe back after a loss: capture-resumed at the size the log had when it was attached',
    pane: { kind: 'alive', pid: 4242 },
    capture: capture({ lostAt: 1234, resumedAt: 1234, logBytes: 5000 }),
    events: ['capture-resumed'],
    eventData: [{ run: 2, offset: 1234 }],
    actions: [],
  },
  {
    title: 'a pipe back after a loss, attached by another process: capture-resumed at the log size now',
    pane: { kind: 'alive', pid: 4242 },
    capture: capture({ lostAt: 1234, logBytes: 5000 }),
    events: ['capture-resumed'],
    eventData: [{ run: 2, offset: 5000 }],
  },
  {
    title: 'a pane with its pipe and no loss journaled: nothing',
    pane: { kind: 'alive', pid: 4242 },
    capture: capture(),
    events: [],
    actions: [],
  },
  {
    title: 'a run adopted without a pipe (its launch cut short between the pane and its pipe-pane) gets one',
    task: { state: 'starting' },
    run: { pid: null, starterPid: null, lastOutputAt: null },
    pane: { kind: 'alive', pid: 777 },
    capture: capture({ piped: false, logBytes: 0 }),
    state: 'running',
    runPid: 777,
    events: ['capture-lost'],
    eventData: [{ run: 2, offset: 0 }],
    actions: [CAPTURE],
  },
  {
    title: 'a stopping run that lost its pipe gets it back too (what it prints while stopping matters)',
    task: {
      state: 'stopping',
      desired: 'stopped',
      stopRequestedAt: NOW - 100,
      stopTimeoutMs: 10_000,
      stopStage: 1,
    },
    pane: { kind: 'alive', pid: 4242 },
    capture: capture({ piped: false }),
    state: 'stopping',
    events: ['capture-lost'],
    actions: [CAPTURE],
  },
  {
    title: 'capture facts of a pane that is not alive are not about capture: the death decides',
    pane: dead(0),
    capture: capture({ piped: false }),
    events: ['exited', 'succeeded'],
    actions: [],
  },
  // ── running: intents ──
  {
    title: 'a stop sends SIGINT now and SIGTERM at half the timeout',
    intents: [stop(10_000)],
    state: 'stopping',
    patch: {
      desired: 'stopped',
      stopRequestedAt: NOW,
      stopTimeoutMs: 10_000,
      stopStage: 1,
      stopAs: 'stopped',
    },
    events: ['stop-requested'],
    actions: [signal('SIGINT')],
    wakeAt: NOW + 5000,
    consumed: 1,
  },
  {
    title:
      'a stop whose SIGINT the CLI sent before it could record it (full disk) goes on from then: no second SIGINT',
    intents: [{ kind: 'stop', timeoutMs: 10_000, signalled: { runId: 5, at: NOW - 1000 } }],
    state: 'stopping',
    patch: { desired: 'stopped', stopRequestedAt: NOW - 1000, stopTimeoutMs: 10_000, stopStage: 1 },
    events: ['stop-requested'],
    actions: [],
    wakeAt: NOW - 1000 + 5000,
    consumed: 1,
  },
  {
    title: 'a stop the CLI signalled long before it could record it sends the SIGTERM now due',
    intents: [{ kind: 'stop', timeoutMs: 10_000, signalled: { runId: 5, at: NOW - 6000 } }],
    state: 'stopping',
    patch: { stopRequestedAt: NOW - 6000, stopStage: 2 },
    events: ['stop-requested'],
    actions: [signal('SIGTERM')],
    wakeAt: NOW - 6000 + 10_000,
  },
  {
    title: 'a stop signalled for an older run starts its schedule afresh on the live one',
    intents: [{ kind: 'stop', timeoutMs: 10_000, signalled: { runId: 3, at: NOW - 6000 } }],
    state: 'stopping',
    patch: { stopRequestedAt: NOW, stopStage: 1 },
    events: ['stop-requested'],
    actions: [signal('SIGINT')],
    wakeAt: NOW + 5000,
  },
  {
    title: 'a restart stops the live run and asks for a new one, spending no budget',
    intents: [restart(5)],
    state: 'stopping',
    patch: { desired: 'running', nextRun: { cause: 'restart', prompt: null, fresh: false }, stopStage: 1 },
    events: ['restart-requested'],
    actions: [signal('SIGINT')],
  },
  {
    title: 'a restart meant for an older run has been done by the newer one: nothing happens',
    intents: [restart(3)],
    state: 'running',
    patch: {},
    consumed: 1,
  },
  {
    title: 'a resume of a running task is refused: nothing changes',
    intents: [resume()],
    state: 'running',
    patch: {},
    consumed: 1,
  },
  {
    title: 'removing a live task stops it first and keeps the removal for when it has ended',
    intents: [{ kind: 'remove', timeoutMs: 2000 }],
    state: 'stopping',
    events: ['stop-requested'],
    actions: [signal('SIGINT')],
    consumed: 0,
    remove: false,
  },
  {
    title: "the mission runner's next run for a task still running waits for the run to end",
    intents: [{ kind: 'run', cause: 'mission', prompt: 'next', fresh: false }],
    state: 'running',
    patch: { nextRun: { cause: 'mission', prompt: 'next', fresh: false } },
    newRun: null,
  },
  // ── stopping ──
  {
    title: "a stop's SIGTERM comes at half the timeout",
    task: {
      state: 'stopping',
      desired: 'stopped',
      stopRequestedAt: NOW - 5000,
      stopTimeoutMs: 10_000,
      stopStage: 1,
    },
    patch: { stopStage: 2 },
    actions: [signal('SIGTERM')],
    wakeAt: NOW + 5000,
  },
  {
    title: "a stop's SIGKILL comes at the timeout",
    task: {
      state: 'stopping',
      desired: 'stopped',
      stopRequestedAt: NOW - 10_000,
      stopTimeoutMs: 10_000,
      stopStage: 2,
    },
    patch: { stopStage: 3 },
    actions: [signal('SIGKILL')],
    wakeAt: NOW + 1000,
  },
  {
    title: 'a second SIGKILL a second later finishes a stop whose CLI went away',
    task: {
      state: 'stopping',
      desired: 'stopped',
      stopRequestedAt: NOW - 11_000,
      stopTimeoutMs: 10_000,
      stopStage: 3,
    },
    patch: { stopStage: 4 },
    actions: [signal('SIGKILL')],
    wakeAt: null,
  },
  {
    title: 'after the last SIGKILL nothing more is sent',
    task: {
      state: 'stopping',
      desired: 'stopped',
      stopRequestedAt: NOW - 60_000,
      stopTimeoutMs: 10_000,
      stopStage: 4,
    },
    patch: {},
    actions: [],
  },
  {
    title: 'a decider that was down sends only the latest signal due',
    task: {
      state: 'stopping',
      desired: 'stopped',
      stopRequestedAt: NOW - 10_000,
      stopTimeoutMs: 10_000,
      stopStage: 0,
    },
    patch: { stopStage: 3 },
    actions: [signal('SIGKILL')],
  },
  {
    title: 'a stop with no pid yet signals nothing until the run has one',
    task: { state: 'stopping', desired: 'stopped', stopRequestedAt: NOW - 6000, stopTimeoutMs: 10_000 },
    run: { pid: null },
    pane: { kind: 'launching' },
    actions: [],
    wakeAt: null,
  },
  {
    title: 'the run ending under a user stop leaves the task stopped and sweeps what it left behind',
    task: {
      state: 'stopping',
      desired: 'stopped',
      stopRequestedAt: NOW - 100,
      stopTimeoutMs: 10_000,
      stopStage: 1,
    },
    pane: dead(null, 'SIGINT'),
    state: 'stopped',
    patch: { stopRequestedAt: null, stopStage: 0 },
    events: ['exited', 'stopped'],
    actions: [SWEEP],
  },
  {
    title: 'a pane lost under a stop is swept too: its processes may outlive the pane',
    task: {
      state: 'stopping',
      desired: 'stopped',
      stopRequestedAt: NOW - 100,
      stopTimeoutMs: 10_000,
      stopStage: 1,
    },
    pane: lost('pane-lost'),
    state: 'stopped',
    events: ['exited', 'stopped'],
    actions: [SWEEP],
  },
  {
    title: 'the run ending under a --max-runtime stop fails the task with that reason',
    task: {
      state: 'stopping',
      desired: 'stopped',
      stopAs: 'failed',
      reason: 'max-runtime',
      stopRequestedAt: NOW - 100,
      stopTimeoutMs: 10_000,
      stopStage: 1,
    },
    pane: dead(null, 'SIGINT'),
    state: 'failed',
    patch: { reason: 'max-runtime' },
    events: ['exited', 'failed'],
    actions: [SWEEP],
  },
  {
    title:
      'the run ending under a restart sweeps what it left behind, then starts the next at once with cause restart, no budget',
    task: {
      state: 'stopping',
      nextRun: { cause: 'restart', prompt: null, fresh: false },
      stopRequestedAt: NOW - 100,
      stopTimeoutMs: 10_000,
      stopStage: 1,
    },
    pane: dead(null, 'SIGINT'),
    state: 'starting',
    patch: { restarts: 0 },
    events: ['exited', 'restarted'],
    actions: [SWEEP, LAUNCH],
    newRun: { n: 3, cause: 'restart', budgeted: false },
  },
  {
    title: 'the run ending under a resume starts the resume at once with its prompt',
    task: {
      state: 'stopping',
      nextRun: { cause: 'resume', prompt: 'go on', fresh: false, asked: true },
      stopRequestedAt: NOW - 100,
      stopTimeoutMs: 5000,
      stopStage: 2,
    },
    pane: dead(null, 'SIGTERM'),
    state: 'starting',
    events: ['exited', 'restarted'],
    actions: [SWEEP, LAUNCH],
    newRun: { cause: 'resume', prompt: 'go on', budgeted: false },
  },
  {
    title: 'a second stop while stopping changes nothing',
    task: {
      state: 'stopping',
      desired: 'stopped',
      stopRequestedAt: NOW - 100,
      stopTimeoutMs: 10_000,
      stopStage: 1,
    },
    intents: [stop()],
    patch: {},
    consumed: 1,
    wakeAt: NOW - 100 + 5000,
  },
  {
    title: 'a restart during a user stop turns it into a restart, keeping the escalation under way',
    task: {
      state: 'stopping',
      desired: 'stopped',
      stopAs: 'stopped',
      stopRequestedAt: NOW - 100,
      stopTimeoutMs: 10_000,
      stopStage: 1,
    },
    intents: [restart(5)],
    state: 'stopping',
    patch: { desired: 'running', stopAs: null, nextRun: { cause: 'restart', prompt: null, fresh: false } },
    events: ['restart-requested'],
    wakeAt: NOW - 100 + 5000,
  },
  // ── stalled ──
  {
    title: 'output after a stall moves the run back to running',
    task: {
      state: 'stalled',
      reason: 'no output',
      stalledAt: NOW - 2000,
      spec: spec({ stallTimeoutMs: 1000, onStall: 'notify' }),
    },
    run: { lastOutputAt: NOW - 10 },
    state: 'running',
    patch: { reason: null, stalledAt: null },
    events: ['output-resumed'],
  },
  {
    title: 'no output since the stall: it stays stalled',
    task: {
      state: 'stalled',
      reason: 'no output',
      stalledAt: NOW - 200,
      spec: spec({ stallTimeoutMs: 1000, onStall: 'notify' }),
    },
    state: 'stalled',
    events: [],
  },
  {
    title: 'a stalled run that dies is a stall, restarted at once with cause stall (budget spent)',
    task: { state: 'stalled', stalledAt: NOW - 200, spec: spec({ stallTimeoutMs: 1000, onStall: 'notify' }) },
    pane: dead(1),
    state: 'starting',
    patch: { restarts: 1 },
    events: ['exited', 'backoff', 'restarted'],
    actions: [LAUNCH],
    newRun: { cause: 'stall', budgeted: true },
  },
  {
    title: 'a stalled run its stall restart ended is swept before the next run is launched',
    task: {
      state: 'stalled',
      stalledAt: NOW - 200,
      stopRequestedAt: NOW - 200,
      stopTimeoutMs: 5000,
      stopStage: 2,
      spec: spec({ stallTimeoutMs: 1000 }),
    },
    pane: dead(null, 'SIGTERM'),
    state: 'starting',
    events: ['exited', 'backoff', 'restarted'],
    actions: [SWEEP, LAUNCH],
    newRun: { cause: 'stall', budgeted: true },
  },
  {
    title: 'a resume of a stalled run ends it with SIGTERM and asks for the resume after it',
    task: { state: 'stalled', stalledAt: NOW - 200, spec: spec({ stallTimeoutMs: 1000, onStall: 'notify' }) },
    intents: [resume({ prompt: 'wake up' })],
    state: 'stopping',
    patch: { nextRun: { cause: 'resume', prompt: 'wake up', fresh: false, asked: true }, stopStage: 2 },
    events: ['resume-requested'],
    actions: [signal('SIGTERM')],
  },
  {
    title: 'a stall restart escalates to SIGKILL after 5 s',
    task: {
      state: 'stalled',
      stalledAt: NOW - 5000,
      stopRequestedAt: NOW - 5000,
      stopTimeoutMs: 5000,
      stopStage: 2,
      spec: spec({ stallTimeoutMs: 1000 }),
    },
    patch: { stopStage: 3 },
    actions: [signal('SIGKILL')],
  },
  {
    title: 'output from a run being ended for its stall does not revive it',
    task: {
      state: 'stalled',
      stalledAt: NOW - 300,
      stopRequestedAt: NOW - 300,
      stopTimeoutMs: 5000,
      stopStage: 2,
      spec: spec({ stallTimeoutMs: 1000 }),
    },
    run: { lastOutputAt: NOW - 10 },
    state: 'stalled',
    events: [],
  },
  {
    title: 'a stop of a stalled run stops it',
    task: { state: 'stalled', stalledAt: NOW - 300, spec: spec({ stallTimeoutMs: 1000, onStall: 'notify' }) },
    intents: [stop()],
    state: 'stopping',
    events: ['stop-requested'],
    actions: [signal('SIGINT')],
  },
  // ── backoff ──
  {
    title: 'a backoff that has run out starts the next run (budget spent)',
    task: {
      state: 'backoff',
      nextStartAt: NOW,
      nextRun: { cause: 'backoff', prompt: null, fresh: false },
      restarts: 1,
    },
    state: 'starting',
    patch: { restarts: 2, nextStartAt: null, nextRun: null },
    events: ['restarted'],
    actions: [LAUNCH],
    newRun: { n: 3, cause: 'backoff', budgeted: true },
  },
  {
    title: 'a backoff not run out yet wakes at its time',
    task: { state: 'backoff', nextStartAt: NOW + 700 },
    state: 'backoff',
    wakeAt: NOW + 700,
  },
  {
    title: 'a stop during a backoff ends the task stopped at once',
    task: { state: 'backoff', nextStartAt: NOW + 700 },
    intents: [stop()],
    state: 'stopped',
    patch: { desired: 'stopped', nextStartAt: null },
    events: ['stopped'],
  },
  {
    title: 'a restart during a backoff starts at once with cause restart, no budget',
    task: { state: 'backoff', nextStartAt: NOW + 700 },
    intents: [restart(5)],
    state: 'starting',
    events: ['restart-requested', 'restarted'],
    actions: [LAUNCH],
    newRun: { cause: 'restart', budgeted: false },
  },
  {
    title: "a run's end asks for one last checkpoint while the backoff waits",
    task: { state: 'backoff', nextStartAt: NOW + 700, spec: spec({ checkpointEveryMs: 60_000 }) },
    checkpoint: { lastAt: NOW - 1000, off: false },
    state: 'backoff',
    patch: { checkpointAskedAt: NOW },
    actions: [{ type: 'checkpoint', reason: 'run-ended' }],
    wakeAt: NOW + 700,
  },
  {
    title: 'a resume during a backoff resets the breaker and starts at once with cause resume',
    task: { state: 'backoff', nextStartAt: NOW + 700, supervision: { ...INITIAL_SUPERVISION, attempt: 4 } },
    intents: [resume()],
    state: 'starting',
    patch: { supervision: INITIAL_SUPERVISION },
    events: ['resume-requested', 'restarted'],
    actions: [LAUNCH],
    newRun: { cause: 'resume', budgeted: false },
  },
  // ── crash-loop ──
  {
    title: 'a crash-loop probe starts when due (budget spent)',
    task: { state: 'crash-loop', nextStartAt: NOW, nextRun: { cause: 'probe', prompt: null, fresh: false } },
    state: 'starting',
    events: ['restarted'],
    actions: [LAUNCH],
    newRun: { cause: 'probe', budgeted: true },
  },
  {
    title: 'crash-loop waits for its probe',
    task: { state: 'crash-loop', nextStartAt: NOW + 30 * MIN },
    state: 'crash-loop',
    wakeAt: NOW + 30 * MIN,
  },
  {
    title: 'a resume in crash-loop leaves it and starts at once',
    task: {
      state: 'crash-loop',
      nextStartAt: NOW + 30 * MIN,
      supervision: { ...INITIAL_SUPERVISION, crashLoop: true },
    },
    intents: [resume()],
    state: 'starting',
    patch: { supervision: INITIAL_SUPERVISION },
    events: ['resume-requested', 'restarted'],
    actions: [LAUNCH],
  },
  {
    title: 'a stop in crash-loop ends it stopped',
    task: { state: 'crash-loop', nextStartAt: NOW + 30 * MIN },
    intents: [stop()],
    state: 'stopped',
    events: ['stopped'],
  },
  // ── rate-limited ──
  {
    title: 'a limit that has reset resumes the same session (cause limit-reset, no budget)',
    task: {
      state: 'rate-limited',
      nextStartAt: NOW,
      limitResetsAt: NOW,
      nextRun: { cause: 'limit-reset', prompt: null, fresh: false },
      spec: spec({ agent: AGENT }),
    },
    state: 'starting',
    patch: { limitResetsAt: null },
    events: ['restarted'],
    actions: [LAUNCH],
    newRun: { cause: 'limit-reset', budgeted: false },
  },
  {
    title: 'a limit not reset yet wakes at the reset',
    task: { state: 'rate-limited', nextStartAt: NOW + 10 * MIN, limitResetsAt: NOW + 10 * MIN },
    state: 'rate-limited',
    wakeAt: NOW + 10 * MIN,
  },
  {
    title: 'a resume of a rate-limited task without --now is refused: it waits for the reset',
    task: { state: 'rate-limited', nextStartAt: NOW + 10 * MIN, limitResetsAt: NOW + 10 * MIN },
    intents: [resume()],
    state: 'rate-limited',
    patch: {},
    consumed: 1,
    wakeAt: NOW + 10 * MIN,
  },
  {
    title: 'a resume --now of a rate-limited task starts it before the reset',
    task: { state: 'rate-limited', nextStartAt: NOW + 10 * MIN, limitResetsAt: NOW + 10 * MIN },
    intents: [resume({ now: true })],
    state: 'starting',
    patch: { limitResetsAt: null },
    events: ['resume-requested', 'restarted'],
    actions: [LAUNCH],
    newRun: { cause: 'resume' },
  },
  {
    title: 'a stop of a rate-limited task ends it stopped',
    task: { state: 'rate-limited', nextStartAt: NOW + 10 * MIN, limitResetsAt: NOW + 10 * MIN },
    intents: [stop()],
    state: 'stopped',
    patch: { limitResetsAt: null },
    events: ['stopped'],
  },
  // ── waiting-input ──
  {
    title: 'a task waiting for input is never started by time alone',
    task: { state: 'waiting-input', reason: 'permission-denied: Bash', spec: spec({ agent: AGENT }) },
    now: NOW + 100 * 24 * 60 * MIN,
    state: 'waiting-input',
    wakeAt: null,
    newRun: null,
  },
  {
    title: 'resume --unattended after denied tools grants them, with the grant prompt',
    task: { state: 'waiting-input', reason: 'permission-denied: Bash', spec: spec({ agent: AGENT }) },
    intents: [resume({ unattended: true })],
    state: 'starting',
    patch: { spec: spec({ agent: { ...AGENT, unattended: true } }) },
    events: ['resume-requested', 'restarted'],
    actions: [LAUNCH],
    newRun: { cause: 'resume', prompt: PERMISSION_GRANTED_PROMPT },
  },
  {
    title: 'a resume with a prompt gives the agent that prompt',
    task: { state: 'waiting-input', reason: 'needs-input', spec: spec({ agent: AGENT }) },
    intents: [resume({ prompt: 'use the other tool' })],
    state: 'starting',
    events: ['resume-requested', 'restarted'],
    actions: [LAUNCH],
    newRun: { cause: 'resume', prompt: 'use the other tool' },
  },
  {
    title: 'a stop of a task waiting for input ends it stopped',
    task: { state: 'waiting-input', reason: 'needs-input', spec: spec({ agent: AGENT }) },
    intents: [stop()],
    state: 'stopped',
    events: ['stopped'],
  },
  // ── succeeded, failed, stopped ──
  {
    title: 'a succeeded task stays as it is',
    task: { state: 'succeeded', desired: 'stopped' },
    now: NOW + 24 * 60 * MIN,
    state: 'succeeded',
    patch: {},
    wakeAt: null,
  },
  {
    title: 'a restart of a failed task runs it again',
    task: { state: 'failed', desired: 'stopped', reason: 'exit' },
    intents: [restart(5)],
    state: 'starting',
    patch: { desired: 'running', reason: null },
    events: ['restart-requested', 'restarted'],
    actions: [LAUNCH],
    newRun: { cause: 'restart' },
  },
  {
    title: 'a resume of a stopped task runs it again with cause resume',
    task: { state: 'stopped', desired: 'stopped' },
    intents: [resume()],
    state: 'starting',
    events: ['resume-requested', 'restarted'],
    actions: [LAUNCH],
    newRun: { cause: 'resume' },
  },
  {
    title: 'a stop of a succeeded task keeps it succeeded',
    task: { state: 'succeeded', desired: 'stopped' },
    intents: [stop()],
    state: 'succeeded',
    patch: {},
    events: [],
    consumed: 1,
  },
  {
    title: 'a stop of a failed task left wanting to run makes it want nothing, keeping failed',
    task: { state: 'failed', desired: 'running', nextRun: { cause: 'restart', prompt: null, fresh: false } },
    intents: [stop()],
    state: 'failed',
    patch: { desired: 'stopped', nextRun: null },
    events: [],
  },
  {
    title: 'removing an ended task removes it and its files',
    task: { state: 'stopped', desired: 'stopped' },
    intents: [{ kind: 'remove', timeoutMs: 2000 }],
    events: ['removed'],
    actions: [{ type: 'discard' }],
    remove: true,
    consumed: 1,
  },
  {
    title: "a failed task's last run gets its checkpoint once",
    task: { state: 'failed', desired: 'stopped', spec: spec({ checkpointEveryMs: 60_000 }) },
    checkpoint: { lastAt: NOW - 60_000, off: false },
    patch: { checkpointAskedAt: NOW },
    actions: [{ type: 'checkpoint', reason: 'run-ended' }],
  },
  {
    title: 'a run-end checkpoint already taken is not taken again',
    task: { state: 'failed', desired: 'stopped', spec: spec({ checkpointEveryMs: 60_000 }) },
    checkpoint: { lastAt: NOW, off: false },
    patch: {},
    actions: [],
  },
  {
    title: "the mission runner's gate run replaces the gate's spec and starts it",
    task: { state: 'succeeded', desired: 'stopped', spec: spec({ command: ['old'] }, { mode: 'no' }) },
    intents: [
      {
        kind: 'run',
        cause: 'start',
        prompt: null,
        fresh: false,
        spec: spec({ command: ['new'] }, { mode: 'no' }),
      },
    ],
    state: 'starting',
    patch: { desired: 'running', spec: spec({ command: ['new'] }, { mode: 'no' }) },
    events: ['restarted'],
    actions: [LAUNCH],
    newRun: { cause: 'start', budgeted: false },
  },
  {
    title: 'a restart and a stop recorded together: the later word (stop) wins',
    intents: [restart(5), stop()],
    state: 'stopping',
    patch: { desired: 'stopped', nextRun: null },
    events: ['restart-requested', 'stop-requested'],
    actions: [signal('SIGINT')],
    consumed: 2,
  },
  {
    title: 'two restarts of the run the user saw, recorded together, are one restart',
    intents: [restart(5), restart(5)],
    state: 'stopping',
    events: ['restart-requested'],
    actions: [signal('SIGINT')],
    consumed: 2,
  },
];

function check(row: Row, d: Decision, before: TaskRecord): void {
  const after = { ...before, ...d.patch };
  if (row.state !== undefined) expect(after.state).toBe(row.state);
  expect(d.events.map((e) => e.type)).toEqual(row.events ?? []);
  if (row.eventData !== undefined) expect(d.events.map((e) => e.data)).toEqual(row.eventData);
  expect(d.actions).toEqual(row.actions ?? []);
  if (row.patch !== undefined) {
    if (Object.keys(row.patch).length === 0) {
      const { state: _, ...rest } = d.patch;
      expect(rest).toEqual({});
    } else expect(after).toMatchObject(row.patch);
  }
  if (row.newRun === null) expect(d.newRun).toBeNull();
  else if (row.newRun !== undefined) expect(d.newRun).toMatchObject(row.newRun);
  if (row.endRun === null) expect(d.endRun).toBeNull();
  else if (row.endRun !== undefined) expect(d.endRun).toMatchObject(row.endRun);
  if (row.wakeAt !== undefined) expect(d.wakeAt).toBe(row.wakeAt);
  if (row.consumed !== undefined) expect(d.consumed).toHaveLength(row.consumed);
  expect(d.remove).toBe(row.remove ?? false);
  if (row.runPid !== undefined) expect(d.runPid).toEqual({ runId: 5, pid: row.runPid });
  if (row.adoptLaunch !== undefined) expect(d.adoptLaunch).toBe(row.adoptLaunch);
}

describe('decide', () => {
  it.each(rows.map((r) => [r.title, r] as const))('%s', (_, row) => {
    const t = task(row.task);
    check(row, decide(t, observedFor(row, t), row.now ?? NOW), t);
  });

  it('the table has at least 80 rows and covers every state, every pane observation and every intent', () => {
    expect(rows.length).toBeGreaterThanOrEqual(80);
    const states = new Set(rows.map((r) => r.task?.state ?? 'running'));
    expect([...TASK_STATES].filter((s) => !states.has(s))).toEqual([]);
    const panes = new Set(rows.map((r) => r.pane?.kind ?? 'none'));
    const kinds: PaneFactKind[] = [
      'none',
      'alive',
      'launching',
      'unlaunched',
      'awaiting-reap',
      'dead',
      'lost',
      'launch-failed',
    ];
    expect(kinds.filter((k) => !panes.has(k))).toEqual([]);
    const intents = new Set(rows.flatMap((r) => (r.intents ?? []).map((i) => i.kind)));
    expect(['stop', 'restart', 'resume', 'remove', 'run'].filter((k) => !intents.has(k as never))).toEqual(
      [],
    );
    expect(rows.some((r) => r.agent?.sessionId)).toBe(true);
    expect(rows.some((r) => r.agent?.toolInFlight)).toBe(true);
    expect(rows.some((r) => r.checkpoint)).toBe(true);
    expect(rows.some((r) => r.run?.lastOutputAt !== undefined)).toBe(true);
    expect(new Set(rows.map((r) => r.title)).size).toBe(rows.length);
  });
});

describe('checkIntent (the CLI refuses at once what cannot be done)', () => {
  it.each([
    ['running', 'job is running: there is nothing to resume'],
    ['starting', 'job is starting: there is nothing to resume'],
    ['stopping', 'job is stopping: there is nothing to resume'],
  ] as const)('a resume of a %s task', (state, message) => {
    expect(() => checkIntent(task({ state }), LIVE, resume())).toThrow(message);
  });

  it('a resume of a rate-limited task without --now names the reset', () => {
    const t = task({ state: 'rate-limited', limitResetsAt: Date.UTC(2026, 0, 1) });
    expect(() => checkIntent(t, ENDED, resume())).toThrow(
      'job is rate-limited until 2026-01-01T00:00:00.000Z; holdfast resumes it then',
    );
    expect(() => checkIntent(t, ENDED, resume({ now: true }))).not.toThrow();
  });

  it('--unattended on a command task is a usage error', () => {
    const error = (() => {
      try {
        checkIntent(task({ state: 'failed' }), ENDED, resume({ unattended: true }));
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(HoldfastError);
    expect((error as HoldfastError).code).toBe('EUSAGE');
  });

  it('a task waiting for input with no live run, a stalled one and a failed one can be resumed', () => {
    expect(() => checkIntent(task({ state: 'waiting-input' }), ENDED, resume())).not.toThrow();
    expect(() => checkIntent(task({ state: 'stalled' }), LIVE, resume())).not.toThrow();
    expect(() => checkIntent(task({ state: 'failed' }), ENDED, resume())).not.toThrow();
  });
});
