/**
 * The task state machine, as pure functions of (task, observation, now).
 *
 *   pending ─▶ starting ─▶ running ──exit 0──▶ succeeded
 *                           │  ▲   └─exit≠0/signal─▶ backoff ─▶ starting (resume)
 *                           │  │                    └─too many in window─▶ crash-loop (probe later)
 *                           │  └── waiting-input / rate-limited (until reset) / stalled
 *                           └─ stop requested ─▶ stopping ─▶ stopped
 *
 * `planAfterExit` decides what a run's end means; `decideTimers` decides what time alone makes due.
 * Neither reads a clock or a random source of its own: both are passed in, so a restarted daemon
 * and a test reach the very decision the first daemon would have.
 */
import type {
  NextRun,
  OnLimit,
  RestartPolicy,
  RunCause,
  RunExit,
  RunRecord,
  Supervision,
  TaskRecord,
  TaskState,
} from './task.js';

export type ExitClass =
  | 'done'
  | 'crash'
  | 'usage-limited'
  | 'auth'
  | 'conversation-lost'
  | 'stalled'
  /** The agent could not go on without a person (tools it was denied): wait for `resume`. */
  | 'needs-input'
  | 'fatal';

export interface ExitVerdict {
  class: ExitClass;
  /** For `usage-limited`: when the limit resets (epoch ms), if the agent said. */
  resetAt?: number | null;
  detail?: string | null;
}

export interface EventDraft {
  type: string;
  data: Record<string, unknown>;
}

export function classifyCommandExit(exit: RunExit): ExitVerdict {
  if (exit.reason === 'server-lost') return { class: 'crash', detail: 'server-lost' };
  return exit.exitCode === 0 && exit.signal === null ? { class: 'done' } : { class: 'crash' };
}

export interface AfterExitInput {
  task: Pick<TaskRecord, 'desired' | 'restarts' | 'supervision' | 'stopAs' | 'nextRun'> & {
    reason?: string | null;
  };
  policy: RestartPolicy;
  run: Pick<RunRecord, 'id' | 'startedAt'>;
  exit: RunExit;
  verdict: ExitVerdict;
  firstStartedAt: number;
  onLimit: OnLimit;
  limitBackoffMs: readonly number[];
  now: number;
  random: () => number;
}

export interface AfterExitPlan {
  state: TaskState;
  reason: string | null;
  nextStartAt: number | null;
  limitResetsAt: number | null;
  supervision: Supervision;
  nextRun: NextRun | null;
  events: EventDraft[];
}

export function backoffDelay(policy: RestartPolicy, attempt: number, random: () => number): number {
  const base = Math.min(policy.backoffMaxMs, policy.backoffInitialMs * 2 ** Math.min(attempt, 40));
  // Up to 10% on top, so tasks that crashed together do not restart in lock-step.
  return Math.round(base + base * 0.1 * random());
}

/** Jitter added to a usage-limit reset time: small against the wait, never more than 30 s. */
export function limitJitter(waitMs: number, random: () => number): number {
  return Math.round(random() * Math.min(30_000, Math.max(500, waitMs * 0.02)));
}

export function planAfterExit(input: AfterExitInput): AfterExitPlan {
  const { task, policy, run, exit, verdict, now, random } = input;
  let supervision: Supervision = { ...task.supervision, restartTimes: [...task.supervision.restartTimes] };
  const events: EventDraft[] = [];
  const end = (state: TaskState, reason: string | null): AfterExitPlan => ({
    state,
    reason,
    nextStartAt: null,
    limitResetsAt: null,
    supervision,
    nextRun: null,
    events,
  });

  // The stop's own reason (max-runtime, …) is the one worth keeping.
  if (task.desired === 'stopped') return end(task.stopAs ?? 'stopped', task.reason ?? null);

  const restartAtOnce = (cause: RunCause, reason: string | null): AfterExitPlan => ({
    state: 'backoff',
    reason,
    nextStartAt: now,
    limitResetsAt: null,
    supervision,
    nextRun: { cause, prompt: task.nextRun?.prompt ?? null, fresh: task.nextRun?.fresh ?? false },
    events,
  });
  // A restart the user asked for happens at once, whatever the policy says.
  if (task.nextRun?.cause === 'restart') return restartAtOnce('restart', null);
  // Losing the tmux server (a reboot, a kill) is not the task's fault: no backoff, no budget spent.
  if (exit.reason === 'server-lost' && policy.mode !== 'no')
    return restartAtOnce('server-restarted', 'server-lost');

  if (exit.endedAt - run.startedAt >= policy.healthyAfterMs) {
    if (supervision.crashLoop) events.push({ type: 'crash-loop-left', data: { runId: run.id } });
    supervision = { ...supervision, attempt: 0, restartTimes: [], crashLoop: false };
  }

  switch (verdict.class) {
    case 'auth':
      return end('failed', 'auth');
    case 'fatal':
      return end('failed', verdict.detail ?? 'fatal');
    case 'usage-limited': {
      if (input.onLimit === 'fail') return end('failed', 'usage-limit');
      const known = verdict.resetAt ?? null;
      const list = input.limitBackoffMs.length > 0 ? input.limitBackoffMs : [15 * 60_000];
      const wait =
        known !== null
          ? Math.max(0, known - now)
          : list[Math.min(supervision.limitAttempt, list.length - 1)]!;
      const resetsAt = known ?? now + wait;
      supervision = { ...supervision, limitAttempt: known === null ? supervision.limitAttempt + 1 : 0 };
      const nextStartAt = resetsAt + limitJitter(wait, random);
      events.push({ type: 'rate-limited', data: { resetsAt, known: known !== null, nextStartAt } });
      return {
        state: 'rate-limited',
        reason: 'usage-limit',
        nextStartAt,
        limitResetsAt: resetsAt,
        supervision,
        nextRun: { cause: 'limit-reset', prompt: null, fresh: false },
        events,
      };
    }
    case 'conversation-lost':
      // Not the task's fault: start again at once with the original prompt, no budget spent.
      events.push({ type: 'conversation-lost', data: { runId: run.id } });
      return {
        state: 'backoff',
        reason: 'conversation-lost',
        nextStartAt: now,
        limitResetsAt: null,
        supervision,
        nextRun: { cause: 'conversation-lost', prompt: null, fresh: true },
        events,
      };
    case 'needs-input': {
      // No run is left and none is scheduled: restarting would only be denied again.
      const reason = verdict.detail ?? 'needs-input';
      events.push({ type: 'waiting-input', data: { reason } });
      return end('waiting-input', reason);
    }
    case 'done':
      if (policy.mode !== 'always') return end('succeeded', null);
      break;
    case 'crash':
    case 'stalled':
      if (policy.mode === 'no') return end('failed', verdict.detail ?? null);
      break;
  }

  if (policy.maxRestarts !== null && task.restarts >= policy.maxRestarts) {
    return end('failed', `max-restarts (${policy.maxRestarts})`);
  }
  if (policy.maxRuntimeMs !== null && now - input.firstStartedAt >= policy.maxRuntimeMs) {
    return end('failed', 'max-runtime');
  }

  const cause: RunCause = verdict.class === 'stalled' ? 'stall' : 'backoff';
  const recent = supervision.restartTimes.filter((t) => t > now - policy.breakerWindowMs);
  if (supervision.crashLoop || recent.length >= policy.breakerMaxRestarts) {
    if (!supervision.crashLoop) {
      events.push({
        type: 'crash-loop-entered',
        data: { restarts: recent.length, windowMs: policy.breakerWindowMs },
      });
    }
    supervision = { ...supervision, crashLoop: true, restartTimes: [...recent, now] };
    const nextStartAt = now + policy.probeIntervalMs;
    events.push({ type: 'backoff', data: { delayMs: policy.probeIntervalMs, nextStartAt, probe: true } });
    return {
      state: 'crash-loop',
      reason: `more than ${policy.breakerMaxRestarts} restarts in ${Math.round(policy.breakerWindowMs / 1000)}s`,
      nextStartAt,
      limitResetsAt: null,
      supervision,
      nextRun: { cause: 'probe', prompt: null, fresh: false },
      events,
    };
  }

  const delayMs = verdict.class === 'stalled' ? 0 : backoffDelay(policy, supervision.attempt, random);
  supervision = { ...supervision, attempt: supervision.attempt + 1, restartTimes: [...recent, now] };
  const nextStartAt = now + delayMs;
  events.push({ type: 'backoff', data: { delayMs, nextStartAt, attempt: supervision.attempt } });
  return {
    state: 'backoff',
    reason: verdict.class === 'stalled' ? 'stalled' : null,
    nextStartAt,
    limitResetsAt: null,
    supervision,
    nextRun: { cause, prompt: null, fresh: false },
    events,
  };
}

export type TimedAction =
  | { type: 'start' }
  | { type: 'mark-healthy'; runId: number }
  | { type: 'stall'; runId: number }
  | { type: 'max-runtime' }
  | { type: 'kill-stopping' }
  | { type: 'checkpoint'; reason: 'interval' | 'run-ended' };

export interface TimerInput {
  task: Pick<
    TaskRecord,
    'state' | 'desired' | 'nextStartAt' | 'supervision' | 'stopRequestedAt' | 'stopTimeoutMs' | 'spec'
  >;
  run: Pick<RunRecord, 'id' | 'startedAt' | 'endedAt' | 'lastOutputAt'> | null;
  firstStartedAt: number | null;
  now: number;
  /** When the last checkpoint was attempted, and whether the cwd turned out not to be a git work tree. */
  checkpoint?: { lastAt: number | null; off: boolean };
}

export interface TimerDecision {
  actions: TimedAction[];
  /** When to look at this task again; `null` = only when something happens. */
  wakeAt: number | null;
}

/** What the passing of time alone makes due for one task. */
export function decideTimers({ task, run, firstStartedAt, now, checkpoint }: TimerInput): TimerDecision {
  const actions: TimedAction[] = [];
  const wakes: number[] = [];
  const due = (at: number, action: TimedAction) => {
    if (now >= at) actions.push(action);
    else wakes.push(at);
  };
  const policy = task.spec.restart;
  const live = run !== null && run.endedAt === null;

  if (task.desired === 'running' && task.nextStartAt !== null && !live) {
    if (
      task.state === 'backoff' ||
      task.state === 'crash-loop' ||
      task.state === 'rate-limited' ||
      task.state === 'pending'
    ) {
      due(task.nextStartAt, { type: 'start' });
    }
  }
  if (live && (task.state === 'running' || task.state === 'stalled')) {
    if (task.supervision.healthyRunId !== run.id)
      due(run.startedAt + policy.healthyAfterMs, { type: 'mark-healthy', runId: run.id });
    if (task.spec.stallTimeoutMs !== null && task.state === 'running') {
      due((run.lastOutputAt ?? run.startedAt) + task.spec.stallTimeoutMs, { type: 'stall', runId: run.id });
    }
    if (policy.maxRuntimeMs !== null && firstStartedAt !== null && task.desired === 'running') {
      due(firstStartedAt + policy.maxRuntimeMs, { type: 'max-runtime' });
    }
  }
  if (live && task.state === 'stopping' && task.stopRequestedAt !== null) {
    // The CLI escalates while it waits; this is for a `stop` whose CLI went away mid-way.
    due(task.stopRequestedAt + (task.stopTimeoutMs ?? 10_000) + 1000, { type: 'kill-stopping' });
  }
  const every = task.spec.checkpointEveryMs;
  if (every && checkpoint && !checkpoint.off && run !== null) {
    if (live && task.state !== 'stopping') {
      due((checkpoint.lastAt ?? run.startedAt) + every, { type: 'checkpoint', reason: 'interval' });
    } else if (run.endedAt !== null && (checkpoint.lastAt === null || checkpoint.lastAt < run.endedAt)) {
      // One more when a run ends, for any reason.
      actions.push({ type: 'checkpoint', reason: 'run-ended' });
    }
  }
  return { actions, wakeAt: wakes.length > 0 ? Math.min(...wakes) : null };
}
