import * as z from 'zod';
import type { Intent, IntentKind } from '../core/decide.js';
import {
  ACTIVITIES,
  QUESTION_KINDS,
  type Question,
  SCREEN_STATES,
  type TuiState,
} from '../core/interactive.js';
import { NOTIFY_EVENTS, type SinkSpec, WEBHOOK_FORMATS } from '../core/notify.js';
import {
  type AgentSpec,
  type Desired,
  type NextRun,
  type OnBoot,
  type OnLimit,
  type RestartMode,
  type RestartPolicy,
  type RunCause,
  type StallAction,
  type Supervision,
  TASK_STATES,
  type TaskSpec,
  type TaskState,
} from '../core/task.js';
import { enumOf, int, intOrNull } from './rows.js';

/**
 * What the store's JSON columns hold, checked when read. Objects are loose: a key this holdfast
 * does not know survives a read and a write back.
 */
export const taskState = enumOf<TaskState>()(TASK_STATES);
export const desired = enumOf<Desired>()(['running', 'stopped']);
export const runCause = enumOf<RunCause>()([
  'start',
  'restart',
  'resume',
  'backoff',
  'probe',
  'stall',
  'limit-reset',
  'server-restarted',
  'conversation-lost',
  'mission',
]);
const restartMode = enumOf<RestartMode>()(['no', 'on-failure', 'always']);
const stallAction = enumOf<StallAction>()(['restart', 'notify']);
const onLimit = enumOf<OnLimit>()(['wait', 'fail']);
const onBoot = enumOf<OnBoot>()(['resume', 'fail']);

export const restartPolicy: z.ZodType<RestartPolicy> = z.looseObject({
  mode: restartMode,
  maxRestarts: intOrNull,
  maxRuntimeMs: intOrNull,
  backoffInitialMs: int,
  backoffMaxMs: int,
  healthyAfterMs: int,
  breakerMaxRestarts: int,
  breakerWindowMs: int,
  probeIntervalMs: int,
});

export const agentSpec: z.ZodType<AgentSpec> = z.looseObject({
  kind: z.string(),
  model: z.string().nullable(),
  unattended: z.boolean(),
  onLimit,
  limitBackoffMs: z.array(int),
  extraArgs: z.array(z.string()),
  allow: z.array(z.string()).optional(),
  deny: z.array(z.string()).optional(),
  interactive: z.boolean().optional(),
  trust: z.boolean().optional(),
  resumePrompt: z.string().optional(),
});

const sinkCommon = { name: z.string().optional(), events: z.array(z.enum(NOTIFY_EVENTS)).optional() };
/** A notification sink as a task's spec and the outbox keep it (core/notify.ts SinkSpec). */
export const sinkSpec: z.ZodType<SinkSpec> = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('command'), argv: z.array(z.string()).min(1), ...sinkCommon }),
  z.looseObject({
    type: z.literal('webhook'),
    url: z.string(),
    format: z.enum(WEBHOOK_FORMATS),
    secret: z.string().optional(),
    secretEnv: z.string().optional(),
    ...sinkCommon,
  }),
  z.looseObject({ type: z.literal('desktop'), ...sinkCommon }),
]);

export const taskSpec: z.ZodType<TaskSpec> = z.looseObject({
  command: z.array(z.string()),
  cwd: z.string(),
  umask: z.string(),
  restart: restartPolicy,
  stallTimeoutMs: intOrNull,
  toolTimeoutMs: intOrNull.optional(),
  onStall: stallAction,
  agent: agentSpec.nullable(),
  checkpointEveryMs: intOrNull,
  mission: z.string().nullable(),
  notify: z.array(sinkSpec).optional(),
  logMaxBytes: int.optional(),
  keepRuns: int.optional(),
  keepFinishedMs: intOrNull.optional(),
  onBoot: onBoot.optional(),
  declaredIn: z.string().optional(),
  worktree: z
    .looseObject({
      branch: z.string(),
      repo: z.string(),
      path: z.string(),
      base: z.string(),
      sourceCwd: z.string(),
    })
    .optional(),
});

/** Stored supervision may predate a field: what is missing takes its initial value. */
export const supervision: z.ZodType<Partial<Supervision>> = z.looseObject({
  attempt: int.optional(),
  restartTimes: z.array(z.number()).optional(),
  crashLoop: z.boolean().optional(),
  healthyRunId: intOrNull.optional(),
  limitAttempt: int.optional(),
  lastLimitResetAt: intOrNull.optional(),
  limitSince: intOrNull.optional(),
});

export const nextRun: z.ZodType<NextRun> = z.looseObject({
  cause: runCause,
  prompt: z.string().nullable(),
  fresh: z.boolean(),
  budgeted: z.boolean().optional(),
});

export const intentKind = enumOf<IntentKind>()(['stop', 'restart', 'resume', 'remove', 'run', 'answer']);

/** An intent's data column: the intent as its recorder gave it, one shape per kind. */
export const intent: z.ZodType<Intent> = z.discriminatedUnion('kind', [
  z.looseObject({
    kind: z.literal('stop'),
    timeoutMs: z.number(),
    stopAs: z.enum(['stopped', 'failed']).optional(),
    reason: z.string().nullish(),
    signalled: z.looseObject({ runId: int, at: z.number() }).optional(),
  }),
  z.looseObject({
    kind: z.literal('restart'),
    timeoutMs: z.number(),
    runId: intOrNull,
    spec: taskSpec.optional(),
  }),
  z.looseObject({
    kind: z.literal('resume'),
    prompt: z.string().nullable(),
    now: z.boolean(),
    unattended: z.boolean(),
  }),
  z.looseObject({ kind: z.literal('remove'), timeoutMs: z.number() }),
  z.looseObject({
    kind: z.literal('run'),
    cause: z.enum(['start', 'mission']),
    prompt: z.string().nullable(),
    fresh: z.boolean(),
    spec: taskSpec.optional(),
    sessionId: z.string().optional(),
  }),
  z.looseObject({
    kind: z.literal('answer'),
    questionId: z.string(),
    answer: z.looseObject({
      behavior: z.enum(['allow', 'deny']),
      always: z.boolean(),
      message: z.string().nullable(),
      by: z.enum(['user', 'dashboard']),
    }),
  }),
]);

const question: z.ZodType<Question> = z.looseObject({
  id: z.string(),
  kind: z.enum(QUESTION_KINDS),
  tool: z.string().nullable(),
  input: z.string().nullable(),
  options: z.array(z.string()),
  askedAt: z.number(),
  via: z.enum(['hook', 'screen']),
});

/** An interactive agent's state (the `tui` column). */
export const tuiState: z.ZodType<TuiState> = z.looseObject({
  activity: z.enum(ACTIVITIES).nullable(),
  activitySince: z.number().nullable(),
  via: z.enum(['hook', 'notify', 'registry', 'screen']).nullable(),
  question: question.nullable(),
  signalsOffset: int,
  lastSignalAt: z.number().nullable(),
  registryAt: z.number().nullish(),
  sessionId: z.string().nullable(),
  turnInFlight: z.boolean(),
  toolInFlight: z.boolean().optional(),
  screen: z
    .looseObject({ state: z.enum(SCREEN_STATES), since: z.number(), hash: z.string(), changedAt: z.number() })
    .nullable(),
  limit: z
    .looseObject({
      at: z.number(),
      detail: z.string(),
      resetAt: z.number().nullish(),
      resolution: z.enum(['minute', 'second']).nullish(),
      continuedAt: z.number().nullish(),
    })
    .nullable(),
});
