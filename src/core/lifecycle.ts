/**
 * The task state machine, as pure functions of (task, observation, now).
 *
 *   pending ─▶ starting ─▶ running ──exit 0──▶ succeeded
 *                           │  ▲   └─exit≠0/signal─▶ backoff ─▶ starting (resume)
 *                           │  │                    └─too many in window─▶ crash-loop (probe later)
 *                           │  └── waiting-input / rate-limited (until reset) / stalled
 *                           └─ stop requested ─▶ stopping ─▶ stopped
 *
 * `planAfterExit` decides what a run's end means; `decide` (decide.ts) folds it together with what
 * time alone makes due and what the user asked for. Neither reads a clock or a random source of
 * its own: both are passed in, so a restarted daemon and a test reach the very decision the first
 * daemon would have.
 */

import type { TaskEvent } from './events.js';
import {
  DEFAULT_TOOL_TIMEOUT_MS,
  type NextRun,
  type OnLimit,
  onBootOf,
  type RestartPolicy,
  type RunCause,
  type RunExit,
  type RunRecord,
  type Supervision,
  type TaskRecord,
  type TaskState,
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

/** How finely an agent gave a reset time: to the second, or only to the minute (it may lift any time in that minute). */
export type ResetResolution = 'second' | 'minute';

export interface ExitVerdict {
  class: ExitClass;
  /** For `usage-limited`: when the limit resets (epoch ms), if the agent said. */
  resetAt?: number | null;
  /** The resolution of `resetAt`; absent = to the second. */
  resetResolution?: ResetResolution;
  detail?: string | null;
}

export function classifyCommandExit(exit: RunExit): ExitVerdict {
  if (exit.reason === 'server-lost') return { class: 'crash', detail: 'server-lost' };
  return exit.exitCode === 0 && exit.signal === null ? { class: 'done' } : { class: 'crash' };
}

/** A run lost with its tmux server: when, as the observer tells it (`PaneFact` `lost`). */
export interface ServerLoss {
  /** Lost to a reboot (the daemon that found it started with no server), and its place in the stagger. */
  boot: { delayMs: number } | null;
}

/**
 * What a lost tmux server means for a task: the first row that matches wins. A loss while the
 * daemon runs (someone killed the server) restarts what has a restart policy; a reboot also brings
 * back a `--restart no` task cut short when it has `--on-boot resume` (agents and missions by
 * default), each at its place in the stagger.
 */
export const SERVER_LOST_ROWS: readonly {
  boot: boolean;
  restarts: boolean;
  onBoot: 'resume' | 'fail' | '*';
  outcome: 'restart' | 'fail';
  reason: string;
}[] = [
  { boot: false, restarts: true, onBoot: '*', outcome: 'restart', reason: 'server-lost' },
  { boot: false, restarts: false, onBoot: '*', outcome: 'fail', reason: 'server-lost' },
  { boot: true, restarts: true, onBoot: '*', outcome: 'restart', reason: 'reboot' },
  { boot: true, restarts: false, onBoot: 'resume', outcome: 'restart', reason: 'reboot' },
  {
    boot: true,
    restarts: false,
    onBoot: 'fail',
    outcome: 'fail',
    reason: 'server-lost: the machine restarted (--on-boot fail)',
  },
];

export function serverLostRow(
  spec: Pick<TaskRecord['spec'], 'restart' | 'onBoot' | 'agent' | 'mission'>,
  boot: boolean,
): (typeof SERVER_LOST_ROWS)[number] {
  const restarts = spec.restart.mode !== 'no';
  const onBoot = onBootOf(spec);
  return SERVER_LOST_ROWS.find(
    (row) => row.boot === boot && row.restarts === restarts && (row.onBoot === '*' || row.onBoot === onBoot),
  )!;
}

export interface AfterExitInput {
  task: Pick<TaskRecord, 'desired' | 'restarts' | 'supervision' | 'stopAs' | 'nextRun'> & {
    reason?: string | null;
    spec?: Pick<TaskRecord['spec'], 'restart' | 'onBoot' | 'agent' | 'mission'>;
  };
  /** The run went with its tmux server (`exit.reason` `server-lost`). */
  serverLoss?: ServerLoss;
  policy: RestartPolicy;
  /** `cause`: what the ending run was for (a `limit-reset` run starts the 30 s spacing). */
  run: Pick<RunRecord, 'id' | 'startedAt'> & Partial<Pick<RunRecord, 'cause' | 'n'>>;
  /** An agent task: a crash restart resumes the conversation (cause `resume`). */
  agent?: boolean;
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
  events: TaskEvent[];
}

export function backoffDelay(policy: RestartPolicy, attempt: number, random: () => number): number {
  const base = Math.min(policy.backoffMaxMs, policy.backoffInitialMs * 2 ** Math.min(attempt, 40));
  // Up to 10% on top, so tasks that crashed together do not restart in lock-step.
  return Math.round(base + base * 0.1 * random());
}

/** A reset time this close (or past) is not acted on at once: the agent's clock or its rounding is off. */
export const LIMIT_MIN_LEAD_MS = 5_000;
/** Two limit-resets of one task are never closer than this, whatever the agent said. */
export const LIMIT_RESET_SPACING_MS = 30_000;

/** Jitter added to a usage-limit reset time: small against the wait, never more than 30 s. */
export function limitJitter(waitMs: number, random: () => number): number {
  return Math.round(random() * Math.min(30_000, Math.max(500, waitMs * 0.02)));
}

export function planAfterExit(input: AfterExitInput): AfterExitPlan {
  const { task, policy, run, exit, verdict, now, random } = input;
  let supervision: Supervision = { ...task.supervision, restartTimes: [...task.supervision.restartTimes] };
  if (run.cause === 'limit-reset') supervision.lastLimitResetAt = run.startedAt;
  const events: TaskEvent[] = [];
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
  // A restart (or a resume of a live run) the user asked for happens at once, whatever the policy says.
  if (task.nextRun?.cause === 'restart' || task.nextRun?.asked)
    return restartAtOnce(task.nextRun.cause, null);
  // Losing the tmux server (a reboot, a kill) is not the task's fault: no backoff, no budget spent.
  if (exit.reason === 'server-lost') {
    const boot = input.serverLoss?.boot ?? null;
    const spec = { agent: null, mission: null, ...task.spec, restart: policy };
    const row = serverLostRow(spec, boot !== null);
    if (row.outcome === 'fail') return end('failed', row.reason);
    if (boot === null) return restartAtOnce('server-restarted', row.reason);
    const nextStartAt = exit.endedAt + boot.delayMs;
    events.push({
      type: 'boot-recovered',
      data: {
        run: run.n ?? 0,
        by: policy.mode === 'no' ? 'on-boot' : 'restart-policy',
        delayMs: boot.delayMs,
        nextStartAt,
      },
    });
    return { ...restartAtOnce('server-restarted', row.reason), nextStartAt };
  }

  if (exit.endedAt - run.startedAt >= policy.healthyAfterMs) {
    if (supervision.crashLoop) events.push({ type: 'crash-loop-left', data: { runId: run.id } });
    supervision = { ...supervision, attempt: 0, restartTimes: [], crashLoop: false };
  }
  // A run the limit did not stop got past it: the limit episode is over, and a later limit with no
  // reset time waits the first of `--limit-backoff` again.
  if (verdict.class !== 'usage-limited' && (supervision.limitSince ?? null) !== null) {
    supervision = { ...supervision, limitSince: null, limitAttempt: 0 };
    events.push({ type: 'limit-lifted', data: { continuedBy: 'holdfast' } });
  }

  switch (verdict.class) {
    case 'auth':
      return end('failed', 'auth');
    case 'fatal':
      return end('failed', verdict.detail ?? 'fatal');
    case 'usage-limited': {
      if (input.onLimit === 'fail') return end('failed', 'usage-limit');
      const stated = verdict.resetAt ?? null;
      // A time printed to the minute may lift at any second of it: only the minute's end is sure.
      const statedEnd = stated === null ? null : stated + (verdict.resetResolution === 'minute' ? 60_000 : 0);
      // A reset already past (or about to be) says nothing about when the limit lifts: retrying
      // at once would be a request storm until the real reset, so it is waited out as unknown.
      const known = statedEnd !== null && statedEnd > now + LIMIT_MIN_LEAD_MS ? statedEnd : null;
      const list = input.limitBackoffMs.length > 0 ? input.limitBackoffMs : [15 * 60_000];
      const wait = known !== null ? known - now : list[Math.min(supervision.limitAttempt, list.length - 1)]!;
      const resetsAt = known ?? now + wait;
      supervision = {
        ...supervision,
        limitAttempt: known === null ? supervision.limitAttempt + 1 : 0,
        // The limit-reset runs it stops again are the same episode (one `rate-limited`).
        limitSince: supervision.limitSince ?? run.id,
      };
      const last = supervision.lastLimitResetAt ?? null;
      const nextStartAt = Math.max(
        resetsAt + limitJitter(wait, random),
        last === null ? 0 : last + LIMIT_RESET_SPACING_MS,
      );
      events.push({
        type: 'rate-limited',
        data: {
          resetsAt,
          known: known !== null,
          nextStartAt,
          ...(stated !== null && known === null ? { statedResetAt: stated } : {}),
        },
      });
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

  // An agent picks its conversation up again: the run is a resume, though it spends budget as a backoff does.
  const cause: RunCause = verdict.class === 'stalled' ? 'stall' : input.agent ? 'resume' : 'backoff';
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
    nextRun: { cause, prompt: null, fresh: false, ...(cause === 'resume' ? { budgeted: true } : {}) },
    events,
  };
}

/** How long a run may stay silent: `--stall-timeout`, or while a tool runs `--tool-timeout` (never less). */
export function stallLimit(
  spec: Pick<TaskRecord['spec'], 'stallTimeoutMs' | 'toolTimeoutMs'>,
  toolInFlight: boolean,
): number | null {
  if (spec.stallTimeoutMs === null) return null;
  if (!toolInFlight) return spec.stallTimeoutMs;
  const tool = spec.toolTimeoutMs === undefined ? DEFAULT_TOOL_TIMEOUT_MS : spec.toolTimeoutMs;
  return tool === null ? null : Math.max(tool, spec.stallTimeoutMs);
}
