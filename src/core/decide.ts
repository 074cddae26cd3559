/**
 * The one place a task's next state is decided: `decide(task, observed, now)` takes the task as the
 * store has it, everything the supervisor saw about it (its run's pane, log, agent facts,
 * checkpoints, and the user's recorded intents) and the time, and returns what to write, what to
 * journal, what to do and when to look again. Pure: no I/O, no clock, no random source (a uniform
 * draw comes in `observed.jitter`), so the daemon, a CLI with no daemon and a test decide alike.
 *
 * Deciding again right after the decision is applied yields nothing new: everything an action
 * needs to happen once (a signal sent, a checkpoint asked for, a run created) is recorded with it.
 */
import { HoldfastError } from './errors.js';
import { event, exitedEvent, type JournalDraft, type TaskEvent } from './events.js';
import type { InputSource } from './input.js';
import { INITIAL_TUI, type TuiLimit, type TuiState } from './interactive.js';
import {
  classifyCommandExit,
  type ExitVerdict,
  LIMIT_MIN_LEAD_MS,
  planAfterExit,
  stallLimit,
} from './lifecycle.js';
import {
  FINAL_STATES,
  INITIAL_SUPERVISION,
  LIVE_STATES,
  type NextRun,
  type RunCause,
  type RunExit,
  type RunRecord,
  type TaskRecord,
  type TaskSpec,
  type TaskState,
} from './task.js';

/** What the user (or the mission runner) asked for, recorded by the CLI for the supervisor to carry out. */
export type Intent =
  | {
      kind: 'stop';
      timeoutMs: number;
      stopAs?: 'stopped' | 'failed';
      reason?: string | null;
      /**
       * The CLI sent this run the stop's SIGINT itself, at `at`, before it could record the stop
       * (a full disk): the schedule goes on from there, and SIGINT is not sent twice.
       */
      signalled?: { runId: number; at: number };
    }
  /** `runId`: the run the user saw; once a newer one runs, the restart has been done. */
  /** `spec`: what the task runs from now on (`holdfast up` with a changed entry). */
  | { kind: 'restart'; timeoutMs: number; runId: number | null; spec?: TaskSpec }
  | { kind: 'resume'; prompt: string | null; now: boolean; unattended: boolean }
  | { kind: 'remove'; timeoutMs: number }
  /** The mission runner hands a task its next run (a session with its prompt, a gate with its spec). */
  | {
      kind: 'run';
      cause: 'start' | 'mission';
      prompt: string | null;
      fresh: boolean;
      spec?: TaskSpec;
      /** A fresh conversation under a new pre-assigned id (claude refuses `--session-id` of one that exists). */
      sessionId?: string;
    }
  /** `holdfast answer`: the user's answer to an interactive agent's open question, delivered once. */
  | { kind: 'answer'; questionId: string; answer: AnswerIntent };

/** An answer as the deliverer needs it: allow (once or always) or deny, a message, and who gave it. */
export interface AnswerIntent {
  behavior: 'allow' | 'deny';
  always: boolean;
  message: string | null;
  by: 'user' | 'dashboard';
}

export type IntentKind = Intent['kind'];

export interface IntentRecord {
  id: number;
  taskId: number;
  at: number;
  intent: Intent;
}

/** What tmux says about the task's open run. */
export type PaneFact =
  /** No open run, or nothing new about it (no listing in this pass, no death reported). */
  | { kind: 'none' }
  | { kind: 'alive'; pid: number }
  /** The run's starter is alive and has not recorded a pid yet: it is being put into tmux. */
  | { kind: 'launching' }
  /** The run row exists but its starter died before it reached tmux. */
  | { kind: 'unlaunched' }
  /** Dead, but tmux has not reaped it yet, so its status is unknown. */
  | { kind: 'awaiting-reap'; pid: number }
  | { kind: 'dead'; exitCode: number | null; signal: string | null; at: number; pid: number | null }
  /** `boot`: lost to a reboot (see lifecycle.ts `SERVER_LOST_ROWS`), started again `delayMs` after `at` if at all. */
  | { kind: 'lost'; reason: 'pane-lost' | 'server-lost'; at: number; boot?: { delayMs: number } }
  | { kind: 'launch-failed'; error: string; at: number };

export type PaneFactKind = PaneFact['kind'];

export interface AgentFacts {
  /** How the run ended, from its transcript and exit (only when the pane is dead or lost). */
  verdict: ExitVerdict | null;
  /** The session id the agent reported in the current run. */
  sessionId: string | null;
  /** A tool call has started and its result has not come: silence is the tool working. */
  toolInFlight: boolean;
}

/**
 * What a listing and the log's filesystem say about the capture of a live run's output: tmux's
 * `pipe-pane` process dies when a write fails (a full disk) or it is killed, and the run's output
 * is no longer written anywhere.
 */
export interface CaptureFacts {
  /** A `pipe-pane` process is attached to the run's pane. */
  piped: boolean;
  /** The run's log's size in bytes, now. */
  logBytes: number;
  /** The log's filesystem has room for the pipe's writes. */
  writable: boolean;
  /** The log's size where the journal says capture was lost, with no `capture-resumed` since; null: none lost. */
  lostAt: number | null;
  /** The log's size when this process attached the pipe again (closer than `logBytes`, which may have grown since). */
  resumedAt: number | null;
}

export interface CheckpointFacts {
  lastAt: number | null;
  /** The cwd is not a git work tree. */
  off: boolean;
}

export type RunView = Pick<
  RunRecord,
  'id' | 'n' | 'cause' | 'startedAt' | 'endedAt' | 'lastOutputAt' | 'pid' | 'starterPid'
>;

export interface Observed {
  /** The task's current run as the store has it (null: it has had none). */
  run: RunView | null;
  /** The highest run number so far (the next run is this + 1). */
  lastRunN: number;
  firstStartedAt: number | null;
  pane: PaneFact;
  agent: AgentFacts | null;
  checkpoint: CheckpointFacts | null;
  /** Only with a listing that shows the run's pane alive. */
  capture?: CaptureFacts | null;
  /** An interactive agent's state after its new signals and the last look at its screen. */
  tui?: TuiState | null;
  /** The approvals those new signals decided (agents/answers.ts `approvalEvents`), to journal. */
  approvals?: JournalDraft<'approval-decided'>[];
  /** Intents not yet carried out, oldest first. */
  intents: IntentRecord[];
  /** A uniform draw in [0, 1): the jitter of a backoff or a limit reset. */
  jitter: number;
}

export type StopSignal = 'SIGINT' | 'SIGTERM' | 'SIGKILL';

export type Action =
  /** Put the run this decision created into tmux. */
  | { type: 'launch' }
  /** Put an existing run whose starter died into tmux. */
  | { type: 'relaunch'; runId: number }
  | { type: 'signal'; runId: number; pid: number; signal: StopSignal }
  /** A run ended by a stop: whatever it started that still runs is ended too, and journaled. */
  | { type: 'sweep'; runId: number }
  | { type: 'checkpoint'; reason: 'interval' | 'run-ended' }
  /** The run's pane lost its `pipe-pane` process: attach the run's log to it again. */
  | { type: 'capture'; runId: number }
  /** The task was removed: its tmux session and files go. */
  | { type: 'discard' }
  /** Deliver a user's answer to the open question (the waiting hook's answer file); at most once. */
  | { type: 'answer'; questionId: string; answer: AnswerIntent }

  /** Keys for an interactive agent's TUI (a stall's Escape), sent once: the decision journals it. */
  | { type: 'keys'; runId: number; keys: string[] };

/**
 * Text for an interactive agent's composer that this decision wants typed (a continue after a
 * usage limit). `applyDecision` queues it as an input in the decision's own transaction, so a
 * crash neither loses nor doubles it.
 */
export interface PendingInput {
  text: string;
  source: InputSource;
}

/** An entry to journal, and the run it is about: the current one, the one this decision creates, or none. */
export type DecidedEvent = TaskEvent & { runId: number | 'new' | null };

export type TaskPatch = Partial<
  Pick<
    TaskRecord,
    | 'desired'
    | 'state'
    | 'reason'
    | 'restarts'
    | 'nextStartAt'
    | 'currentRunId'
    | 'supervision'
    | 'sessionId'
    | 'limitResetsAt'
    | 'stopRequestedAt'
    | 'stopTimeoutMs'
    | 'stopAs'
    | 'nextRun'
    | 'spec'
    | 'stopStage'
    | 'stalledAt'
    | 'checkpointAskedAt'
    | 'tui'
  >
>;

export interface NewRun {
  n: number;
  cause: RunCause;
  prompt: string | null;
  fresh: boolean;
  budgeted: boolean;
}

export interface Decision {
  /** Fields of the task to write; `currentRunId` is filled in by `applyDecision` when `newRun` is set. */
  patch: TaskPatch;
  events: DecidedEvent[];
  actions: Action[];
  /** When to decide for this task again at the latest; null = only when something happens. */
  wakeAt: number | null;
  /** The open run ends, with this exit. */
  endRun: { runId: number; exit: RunExit } | null;
  /** A new run is created (the generation) and becomes current. */
  newRun: NewRun | null;
  /** The run's pid, learnt from tmux when its starter could not record it. */
  runPid: { runId: number; pid: number } | null;
  /** The deciding process takes over launching this run (its starter died). */
  adoptLaunch: number | null;
  /** Intents carried out (or found already done) by this decision. */
  consumed: number[];
  /** The task is removed from the store. */
  remove: boolean;
  /** Inputs to queue for the task's TUI (see PendingInput). */
  inputs: PendingInput[];
}

/** Restarts holdfast decides on its own; a restart the user asks for spends none. */
export const BUDGETED_CAUSES: ReadonlySet<RunCause> = new Set(['backoff', 'probe', 'stall']);
/** A stall restart gives the silent run this long between SIGTERM and SIGKILL. */
export const STALL_STOP_TIMEOUT_MS = 5000;
/** A stalled TUI sent Escape gets this long (at most its stall timeout) to show life before it is killed. */
export const STALL_ESCAPE_GRACE_MS = 10_000;
export const MAX_RUNTIME_STOP_TIMEOUT_MS = 10_000;
export const RESUME_STOP_TIMEOUT_MS = 5000;
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;
/** After the SIGKILL at the timeout, one more this much later (a CLI that went away mid-stop). */
const KILL_AGAIN_MS = 1000;

/** The prompt of a resume that grants the tools a run was denied, when the user gave none. */
export const PERMISSION_GRANTED_PROMPT =
  'You may now use the tools you were denied. Retry what was refused and continue the task from where you left off.';

/**
 * The states a task may go to from each state in one decision (as the store sees it before and
 * after). A run's end and the start it makes due at once (a user's restart, a lost server) happen
 * in one decision, so `running → starting` is one step.
 */
const AFTER_EXIT: TaskState[] = [
  'backoff',
  'crash-loop',
  'rate-limited',
  'waiting-input',
  'succeeded',
  'failed',
  'stopped',
  'starting',
];
export const TRANSITIONS: Readonly<Record<TaskState, readonly TaskState[]>> = {
  pending: ['starting', 'stopped', 'backoff'],
  starting: ['running', 'stopping', 'stalled', ...AFTER_EXIT],
  running: ['stalled', 'stopping', ...AFTER_EXIT],
  stalled: ['running', 'stopping', ...AFTER_EXIT],
  stopping: [...AFTER_EXIT],
  backoff: ['starting', 'stopped', 'failed'],
  'crash-loop': ['starting', 'backoff', 'stopped', 'failed'],
  // An interactive agent's limit is hit and lifted in its live TUI: `running` again.
  'rate-limited': [
    'starting',
    'backoff',
    'stopped',
    'failed',
    'running',
    'stopping',
    'stalled',
    ...AFTER_EXIT,
  ],
  // An interactive agent's question answered, its run goes on: `running` again.
  'waiting-input': ['running', 'starting', 'backoff', 'stopping', 'stopped', 'failed', ...AFTER_EXIT],
  succeeded: ['starting', 'backoff'],
  failed: ['starting', 'backoff'],
  stopped: ['starting', 'backoff'],
};

/** The signals of a stop and when each is due after the stop was asked for (`stopStage` counts those sent). */
export function stopSchedule(timeoutMs: number): { at: number; signal: StopSignal }[] {
  return [
    { at: 0, signal: 'SIGINT' },
    { at: timeoutMs / 2, signal: 'SIGTERM' },
    { at: timeoutMs, signal: 'SIGKILL' },
    { at: timeoutMs + KILL_AGAIN_MS, signal: 'SIGKILL' },
  ];
}

const isLive = (run: RunView | null): run is RunView & { endedAt: null } =>
  run !== null && run.endedAt === null;

/**
 * Whether an intent can be carried out on the task as it is: the CLI checks this in the
 * transaction that records the intent, so a refusal is the user's error at once.
 */
export function checkIntent(task: TaskRecord, run: RunView | null, intent: Intent): void {
  if (intent.kind !== 'resume') return;
  if (intent.unattended && !task.spec.agent) {
    throw new HoldfastError('EUSAGE', `--unattended: ${task.name} is not an agent task`);
  }
  const refusal = resumeRefusal(task, run, intent);
  if (refusal) throw refusal;
}

function resumeRefusal(
  task: TaskRecord,
  run: RunView | null,
  intent: Extract<Intent, { kind: 'resume' }>,
): HoldfastError | null {
  // A task waiting for input with no live run (its agent exited) waits for exactly this.
  const waitsForUser = task.state === 'waiting-input' && !isLive(run);
  if (LIVE_STATES.has(task.state) && task.state !== 'stalled' && !waitsForUser) {
    return new HoldfastError('ESTATE', `${task.name} is ${task.state}: there is nothing to resume`, {
      hint: `holdfast restart ${task.name} starts it again`,
    });
  }
  if (task.state === 'rate-limited' && !intent.now) {
    const at = task.limitResetsAt === null ? 'its reset time' : new Date(task.limitResetsAt).toISOString();
    return new HoldfastError('ESTATE', `${task.name} is rate-limited until ${at}; holdfast resumes it then`, {
      hint: 'pass --now to resume it before the reset',
    });
  }
  return null;
}

/** Decides one task: see the top of this file. */
export function decide(task: TaskRecord, observed: Observed, now: number): Decision {
  return new Decider(task, observed, now).decide();
}

class Decider {
  /** The task as this decision has changed it so far. */
  private t: TaskRecord;
  private run: RunView | null;
  private readonly d: Decision = {
    patch: {},
    events: [],
    actions: [],
    wakeAt: null,
    endRun: null,
    newRun: null,
    runPid: null,
    adoptLaunch: null,
    consumed: [],
    remove: false,
    inputs: [],
  };

  constructor(
    task: TaskRecord,
    private readonly o: Observed,
    private readonly now: number,
  ) {
    this.t = task;
    this.run = o.run;
  }

  decide(): Decision {
    this.session();
    this.observeRun();
    this.interactive();
    for (const record of this.o.intents) this.intent(record);
    if (this.d.remove) return this.d;
    this.liveFacts();
    this.capture();
    this.timers();
    return this.d;
  }

  private set(patch: TaskPatch): void {
    for (const [key, value] of Object.entries(patch) as [keyof TaskPatch, unknown][]) {
      if (JSON.stringify(this.t[key]) === JSON.stringify(value)) continue;
      (this.d.patch as Record<string, unknown>)[key] = value;
    }
    this.t = { ...this.t, ...patch };
  }

  private journal(e: TaskEvent, runId: number | 'new' | null = this.t.currentRunId): void {
    this.d.events.push({ ...e, runId } as DecidedEvent);
  }

  private wake(at: number): void {
    this.d.wakeAt = this.d.wakeAt === null ? at : Math.min(this.d.wakeAt, at);
  }

  /** The session id the agent reported in its run (also one that ends now: it said so before dying). */
  private session(): void {
    const t = this.t;
    const reported = this.o.agent?.sessionId ?? null;
    if (!isLive(this.run) || reported === null || reported === t.sessionId) return;
    // pi's session is the file holdfast chose: its own id is not what a resume names.
    if (!t.spec.agent || t.spec.agent.kind === 'pi') return;
    this.set({ sessionId: reported });
    this.journal(
      event(t.sessionId === null ? 'session-captured' : 'session-changed', {
        sessionId: reported,
        previous: t.sessionId,
      }),
      this.run.id,
    );
  }

  /** What the pane says about the open run: its end, or its pid, or that its launch must be redone. */
  private observeRun(): void {
    const run = this.run;
    const pane = this.o.pane;
    if (!isLive(run)) return;
    if ((pane.kind === 'alive' || pane.kind === 'awaiting-reap') && run.pid === null) {
      this.d.runPid = { runId: run.id, pid: pane.pid };
      this.run = { ...run, pid: pane.pid };
    }
    if (pane.kind === 'unlaunched') {
      this.d.adoptLaunch = run.id;
      this.d.actions.push({ type: 'relaunch', runId: run.id });
      this.journal(event('launch-resumed', { run: run.n, starterPid: run.starterPid }), run.id);
      return;
    }
    if (pane.kind === 'launch-failed') {
      // A crash of this attempt: the restart policy and its backoff decide what comes next.
      this.journal(event('start-failed', { run: run.n, error: pane.error }), run.id);
      this.endRun(
        run,
        { endedAt: Math.min(pane.at, this.now), exitCode: null, signal: null, reason: 'launch-failed' },
        `launch failed: ${pane.error}`,
      );
      return;
    }
    if (pane.kind === 'dead' || pane.kind === 'lost') {
      const exit: RunExit =
        pane.kind === 'dead'
          ? {
              exitCode: pane.exitCode,
              signal: pane.signal,
              endedAt: Math.min(pane.at, this.now),
              reason: null,
            }
          : { exitCode: null, signal: null, endedAt: Math.min(pane.at, this.now), reason: pane.reason };
      if (pane.kind === 'dead' && pane.pid !== null && run.pid === null)
        this.d.runPid = { runId: run.id, pid: pane.pid };
      // Before the end clears it: a run that ends under a stop (stop, restart, stall) takes along
      // what it started outside its process group.
      const stopped = this.t.stopRequestedAt !== null;
      this.endRun(run, exit, null, pane.kind === 'lost' ? (pane.boot ?? null) : null);
      if (stopped) this.d.actions.push({ type: 'sweep', runId: run.id });
    }
  }

  /** `launchError`: the run never reached tmux; this says why (a crash of the attempt). */
  private endRun(
    run: RunView,
    exit: RunExit,
    launchError: string | null = null,
    boot: { delayMs: number } | null = null,
  ): void {
    const task = this.t;
    this.d.endRun = { runId: run.id, exit };
    this.run = { ...run, endedAt: exit.endedAt };
    this.journal(exitedEvent(run, exit), run.id);
    const verdict: ExitVerdict =
      launchError === null ? this.verdict(exit) : { class: 'crash', detail: launchError };
    const plan = planAfterExit({
      task,
      policy: task.spec.restart,
      run,
      exit,
      verdict,
      firstStartedAt: this.o.firstStartedAt ?? run.startedAt,
      onLimit: task.spec.agent?.onLimit ?? 'wait',
      limitBackoffMs: task.spec.agent?.limitBackoffMs ?? [],
      agent: task.spec.agent !== null,
      serverLoss: { boot },
      now: this.now,
      random: () => this.o.jitter,
    });
    const final = FINAL_STATES.has(plan.state);
    this.set({
      state: plan.state,
      reason: plan.reason ?? launchError ?? (exit.reason && final ? exit.reason : null),
      nextStartAt: plan.nextStartAt,
      limitResetsAt: plan.limitResetsAt,
      supervision: plan.supervision,
      nextRun: plan.nextRun,
      ...RUN_MARKS_CLEARED,
      // An ended task wants nothing more: a start decided before this end must not revive it.
      ...(final ? { desired: 'stopped', stopRequestedAt: null, stopTimeoutMs: null, stopAs: null } : {}),
    });
    for (const e of plan.events) this.journal(e, run.id);
    if (final) {
      const data = { run: run.n, ...(plan.reason ? { reason: plan.reason } : {}) };
      this.journal(event(plan.state as 'failed', data), run.id);
    }
  }

  private verdict(exit: RunExit): ExitVerdict {
    // The supervisor ended a stalled run on purpose: that is a stall, not a crash of the task's own.
    if (this.t.state === 'stalled') return { class: 'stalled', detail: 'stalled' };
    if (exit.reason === 'server-lost' || !this.t.spec.agent) return classifyCommandExit(exit);
    return this.o.agent?.verdict ?? classifyCommandExit(exit);
  }

  private intent(record: IntentRecord): void {
    const { intent } = record;
    const live = isLive(this.run);
    switch (intent.kind) {
      case 'stop':
        this.stop(intent.timeoutMs, intent.stopAs ?? 'stopped', intent.reason ?? null, intent.signalled);
        break;
      case 'restart': {
        // A changed spec is the task's from now on, and no run of the old one may keep running.
        if (intent.spec) this.set({ spec: intent.spec });
        // A run newer than the one the user saw has started since: that is the restart they asked for.
        if (this.t.currentRunId !== intent.runId && !intent.spec) break;
        // One for this run is already under way (another CLI asked too): it serves both.
        if (this.t.nextRun?.cause === 'restart' && this.t.desired === 'running') break;
        this.journal(event('restart-requested', {}), null);
        const nextRun: NextRun = { cause: 'restart', prompt: null, fresh: false };
        if (live) {
          this.set({ desired: 'running', stopAs: null, nextRun });
          if (this.t.state !== 'stopping') this.armStop('stopping', intent.timeoutMs, 0);
        } else {
          this.set({ desired: 'running', state: 'backoff', nextStartAt: this.now, nextRun });
        }
        break;
      }
      case 'resume':
        this.resume(intent);
        break;
      case 'remove':
        if (live) {
          // Stopped first; the intent stays until the run has ended.
          this.stop(intent.timeoutMs, 'stopped', null);
          return;
        }
        this.d.remove = true;
        this.d.actions.push({ type: 'discard' });
        this.journal(event('removed', {}), null);
        break;
      case 'run':
        this.set({
          desired: 'running',
          reason: null,
          nextRun: { cause: intent.cause, prompt: intent.prompt, fresh: intent.fresh },
          ...(intent.spec ? { spec: intent.spec } : {}),
          ...(intent.sessionId ? { sessionId: intent.sessionId } : {}),
          ...(live ? {} : { state: 'backoff', nextStartAt: this.now }),
        });
        break;
      case 'answer':
        // Consumed with the decision and so carried out at most once: a repeated answer could
        // press a key on a later dialog. A lost one leaves the question open, to be answered again.
        if (live)
          this.d.actions.push({ type: 'answer', questionId: intent.questionId, answer: intent.answer });
        break;
    }
    this.d.consumed.push(record.id);
  }

  private armStop(state: TaskState, timeoutMs: number, stage: number): void {
    this.set({ state, stopRequestedAt: this.now, stopTimeoutMs: timeoutMs, stopStage: stage });
  }

  private stop(
    timeoutMs: number,
    stopAs: 'stopped' | 'failed',
    reason: string | null,
    signalled?: { runId: number; at: number },
  ): void {
    const t = this.t;
    const run = this.run;
    if (isLive(run)) {
      if (t.desired === 'stopped' && t.state === 'stopping') return;
      const rearm = t.state !== 'stopping';
      this.set({ desired: 'stopped', stopAs, reason, nextStartAt: null, nextRun: null });
      if (rearm && signalled?.runId === run.id)
        this.set({
          state: 'stopping',
          stopRequestedAt: signalled.at,
          stopTimeoutMs: timeoutMs,
          stopStage: 1,
        });
      else if (rearm) this.armStop('stopping', timeoutMs, 0);
      this.journal(event('stop-requested', { ...(reason ? { reason } : {}), timeoutMs }), run.id);
      return;
    }
    // One that has already ended keeps its state (a succeeded task stays succeeded).
    if (FINAL_STATES.has(t.state)) {
      this.set({ desired: 'stopped', nextRun: null, nextStartAt: null });
      return;
    }
    if (t.desired === 'stopped') return;
    this.set({
      desired: 'stopped',
      state: stopAs,
      nextStartAt: null,
      reason: reason ?? t.reason,
      nextRun: null,
      limitResetsAt: null,
      ...RUN_MARKS_CLEARED,
    });
    this.journal(event(stopAs, reason ? { reason } : {}), run?.id ?? null);
  }

  private resume(intent: Extract<Intent, { kind: 'resume' }>): void {
    const t = this.t;
    // Checked when it was recorded; what has happened since may have made it moot.
    if (resumeRefusal(t, this.run, intent) !== null) return;
    const grant = intent.unattended && t.spec.agent !== null;
    const denied = t.state === 'waiting-input' && (t.reason ?? '').startsWith('permission-denied');
    const prompt = intent.prompt ?? (grant && denied ? PERMISSION_GRANTED_PROMPT : null);
    this.journal(
      event('resume-requested', {
        from: t.state,
        ...(intent.prompt ? { withPrompt: true as const } : {}),
        ...(grant ? { unattended: true as const } : {}),
      }),
      null,
    );
    const live = isLive(this.run);
    this.set({
      desired: 'running',
      reason: null,
      supervision: { ...INITIAL_SUPERVISION, healthyRunId: t.supervision.healthyRunId },
      nextRun: { cause: 'resume', prompt, fresh: false, ...(live ? { asked: true } : {}) },
      ...(grant ? { spec: { ...t.spec, agent: { ...t.spec.agent!, unattended: true } } } : {}),
      stopAs: null,
      limitResetsAt: null,
    });
    if (live) {
      // A stalled run in notify mode is still alive: it is ended so the resume can take its place.
      this.armStop('stopping', RESUME_STOP_TIMEOUT_MS, 2);
      this.signal(this.run!, 'SIGTERM', 2);
    } else {
      this.set({ state: 'backoff', nextStartAt: this.now, stopRequestedAt: null, stopTimeoutMs: null });
    }
  }

  private signal(run: RunView, signal: StopSignal, stage: number): void {
    this.set({ stopStage: stage });
    if (run.pid !== null) this.d.actions.push({ type: 'signal', runId: run.id, pid: run.pid, signal });
  }

  /**
   * An interactive agent's state as its signals and screen now tell it: written with the offset of
   * the signals it came from; each change of activity and question journaled; `waiting-input`
   * while a question is open, `running` again once it is gone.
   */
  private interactive(): void {
    const next = this.o.tui;
    if (!next || !this.t.spec.agent?.interactive) return;
    const prev = this.t.tui ?? INITIAL_TUI;
    this.set({ tui: next });
    const run = this.run;
    // Journaled in the decision that consumes their signals: each once, with who decided.
    for (const approval of this.o.approvals ?? []) this.journal(approval, run?.id ?? null);
    if (!isLive(run)) return;
    const via = next.via ?? 'hook';
    if (next.activity !== null && next.activity !== prev.activity)
      this.journal(event('activity', { activity: next.activity, from: prev.activity, via }), run.id);
    const asked = next.question;
    // A question first seen on the screen whose hook then asked it (the hook was slower than the
    // dialog's drawing) is the same question: it is answered through the hook from now on.
    const adopted =
      prev.question?.via === 'screen' && asked?.via === 'hook' && prev.question.askedAt === asked.askedAt;
    if (prev.question && prev.question.id !== asked?.id && !adopted)
      this.journal(event('question-closed', { id: prev.question.id, via }), run.id);
    if (asked && asked.id !== prev.question?.id && !adopted) {
      const { id, kind, tool, input } = asked;
      this.journal(event('question-asked', { id, kind, tool, input, via: asked.via }), run.id);
    }
    const state = this.t.state;
    if (asked && (state === 'running' || state === 'starting' || state === 'stalled')) {
      this.set({ state: 'waiting-input', reason: `question: ${asked.kind}`, stalledAt: null });
      this.journal(event('waiting-input', { reason: `question: ${asked.kind}` }), run.id);
    } else if (!asked && state === 'waiting-input') {
      this.set({ state: 'running', reason: null });
    }
    this.liveLimit(run, prev);
  }

  /**
   * A usage limit in a live TUI: `rate-limited` (the run stays, its reset time on the task) while
   * the agent says so, `running` again once it works again. The continue is `timers()`'s.
   */
  private liveLimit(run: RunView, prev: TuiState): void {
    const t = this.t;
    const limit = t.tui?.limit ?? null;
    const state = t.state;
    if (limit === null) {
      if (state !== 'rate-limited') return;
      this.set({ state: 'running', reason: null, limitResetsAt: null });
      const by = prev.limit?.continuedAt != null ? 'holdfast' : 'agent';
      this.journal(event('limit-lifted', { continuedBy: by }), run.id);
      return;
    }
    const resetsAt = tuiLimitResetsAt(limit);
    if (state === 'rate-limited') {
      if (resetsAt !== null && resetsAt !== t.limitResetsAt) {
        this.set({ limitResetsAt: resetsAt });
        this.journal(
          event('usage-limit-seen', { resetAt: limit.resetAt ?? null, detail: limit.detail }),
          run.id,
        );
      }
      return;
    }
    if (state !== 'running' && state !== 'starting' && state !== 'stalled') return;
    const continueAt = tuiContinueAt(t.spec, limit);
    this.set({ state: 'rate-limited', reason: 'usage-limit', limitResetsAt: resetsAt, stalledAt: null });
    this.journal(
      event('rate-limited', {
        resetsAt: resetsAt ?? continueAt,
        known: resetsAt !== null,
        nextStartAt: continueAt,
        continues: t.spec.agent?.kind === 'claude' ? 'agent' : 'holdfast',
      }),
      run.id,
    );
  }

  /** A live TUI still limited when its continue is due gets it, once (see `tuiContinueAt`). */
  private limitContinue(run: RunView, due: (at: number) => boolean): void {
    const t = this.t;
    const tui = t.tui;
    const limit = tui?.limit;
    if (!tui || !limit || limit.continuedAt != null) return;
    const at = tuiContinueAt(t.spec, limit);
    if (!due(at)) return;
    const text = t.spec.agent?.resumePrompt ?? 'continue';
    this.set({ tui: { ...tui, limit: { ...limit, continuedAt: this.now } } });
    this.d.inputs.push({ text, source: 'continue' });
    this.journal(event('limit-continue', { text, dueAt: at }), run.id);
  }

  /** What the agent said and the log showed about the live run. */
  private liveFacts(): void {
    const run = this.run;
    if (!isLive(run)) return;
    const t = this.t;
    if (t.state === 'starting' && run.pid !== null && this.o.pane.kind !== 'launching')
      this.set({ state: 'running' });
    if (
      this.t.state === 'stalled' &&
      !this.t.spec.agent?.interactive &&
      this.t.desired === 'running' &&
      this.t.stopRequestedAt === null &&
      run.lastOutputAt !== null &&
      run.lastOutputAt > (this.t.stalledAt ?? Number.POSITIVE_INFINITY)
    ) {
      this.set({ state: 'running', reason: null, stalledAt: null });
      this.journal(event('output-resumed', {}), run.id);
    }
  }

  /**
   * A live pane whose pipe is gone (killed, or dead of a write the disk refused; or never attached:
   * a launch cut short between the pane and its pipe) is journaled once, with the log's size, and
   * re-attached once the log's filesystem has room. Each listing that still finds it lost tries
   * again; the loop lists more often meanwhile.
   */
  private capture(): void {
    const run = this.run;
    const c = this.o.capture;
    if (!isLive(run) || !c || this.o.pane.kind !== 'alive') return;
    if (c.piped) {
      if (c.lostAt !== null)
        this.journal(event('capture-resumed', { run: run.n, offset: c.resumedAt ?? c.logBytes }), run.id);
      return;
    }
    if (c.lostAt === null)
      this.journal(
        event('capture-lost', {
          run: run.n,
          offset: c.logBytes,
          ...(c.writable ? {} : { diskFull: true as const }),
        }),
        run.id,
      );
    if (c.writable) this.d.actions.push({ type: 'capture', runId: run.id });
  }

  /** What the passing of time makes due. */
  private timers(): void {
    const now = this.now;
    const due = (at: number): boolean => {
      if (now >= at) return true;
      this.wake(at);
      return false;
    };
    const t = this.t;
    const policy = t.spec.restart;
    const run = this.run;
    const live = isLive(run);

    // One more checkpoint when a run ends, for any reason (also when the next run starts at once).
    if (!live) this.checkpointAfterEnd();
    if (t.desired === 'running' && !live && this.d.newRun === null) {
      const waiting =
        t.state === 'backoff' ||
        t.state === 'crash-loop' ||
        t.state === 'rate-limited' ||
        t.state === 'pending';
      // A created task is due at once: a creator that died before starting it leaves it to the daemon.
      const at = t.nextStartAt ?? (t.state === 'pending' && t.currentRunId === null ? t.createdAt : null);
      if (waiting && at !== null && due(at)) {
        this.start(t.nextRun?.cause ?? (t.state === 'pending' ? 'start' : 'backoff'));
        return;
      }
    }
    if (!live) return;
    if (t.state === 'rate-limited' && t.spec.agent?.interactive) this.limitContinue(run, due);
    if (t.state === 'running' || t.state === 'stalled') {
      if (t.supervision.healthyRunId !== run.id && due(run.startedAt + policy.healthyAfterMs)) {
        if (t.supervision.crashLoop) this.journal(event('crash-loop-left', { runId: run.id }), run.id);
        // A run up this long got past the usage limit that stopped the ones before it.
        const lifted = (t.supervision.limitSince ?? null) !== null;
        this.set({
          supervision: {
            ...t.supervision,
            attempt: 0,
            restartTimes: [],
            crashLoop: false,
            healthyRunId: run.id,
            ...(lifted ? { limitSince: null, limitAttempt: 0 } : {}),
          },
        });
        if (lifted) this.journal(event('limit-lifted', { continuedBy: 'holdfast' }), run.id);
      }
      const tui = t.spec.agent?.interactive ? (t.tui ?? INITIAL_TUI) : null;
      const silence = stallLimit(
        t.spec,
        tui ? tui.toolInFlight === true : (this.o.agent?.toolInFlight ?? false),
      );
      // An interactive agent redraws its screen while it waits for a prompt: only a working one
      // can stall, when no signal came and its screen (timers aside) has not changed.
      if (silence !== null && t.state === 'running' && (tui === null || tui.activity === 'working')) {
        const quietSince = tui ? tuiQuietSince(tui, run) : (run.lastOutputAt ?? run.startedAt);
        if (due(quietSince + silence)) this.stalled(run, now - quietSince);
      }
      if (tui && silence !== null && this.t.state === 'stalled') this.stalledTui(run, tui, silence, due);
      const first = this.o.firstStartedAt;
      if (
        policy.maxRuntimeMs !== null &&
        first !== null &&
        this.t.desired === 'running' &&
        due(first + policy.maxRuntimeMs)
      ) {
        this.stop(MAX_RUNTIME_STOP_TIMEOUT_MS, 'failed', 'max-runtime');
      }
    }
    this.escalate(run);
    this.checkpointInterval(run);
  }

  private start(cause: RunCause): void {
    const t = this.t;
    const effective = t.nextRun?.cause ?? cause;
    const budgeted = BUDGETED_CAUSES.has(effective) || t.nextRun?.budgeted === true;
    const n = this.o.lastRunN + 1;
    const interactive = t.spec.agent?.interactive === true;
    // A resumed interactive agent whose turn was cut short is told to go on (delivered into its
    // composer as the run's first input); one that was idle waits for the user as it did.
    const resumePrompt =
      interactive && n > 1 && t.tui?.turnInFlight ? (t.spec.agent?.resumePrompt ?? 'continue') : null;
    this.d.newRun = {
      n,
      cause: effective,
      // What this run is for moves from the task onto the run: a run that dies at once must not
      // find a stale "restart" waiting on the task and restart itself forever.
      prompt: t.nextRun?.prompt ?? resumePrompt,
      fresh: t.nextRun?.fresh ?? false,
      budgeted,
    };
    this.set({
      state: 'starting',
      nextStartAt: null,
      reason: null,
      limitResetsAt: null,
      nextRun: null,
      stopRequestedAt: null,
      stopTimeoutMs: null,
      stopAs: null,
      restarts: t.restarts + (budgeted ? 1 : 0),
      ...RUN_MARKS_CLEARED,
      // A new TUI knows nothing yet; the signals consumed so far and the session stay (a fresh
      // run's old session would be reported back over the new one: it goes).
      ...(interactive
        ? {
            tui: {
              ...INITIAL_TUI,
              signalsOffset: t.tui?.signalsOffset ?? 0,
              sessionId: t.nextRun?.fresh ? null : (t.tui?.sessionId ?? null),
            },
          }
        : {}),
    });
    this.journal(event(n === 1 ? 'started' : 'restarted', { run: n, cause: effective }), 'new');
    this.d.actions.push({ type: 'launch' });
    // The next look is when the launch has put it into tmux.
    this.run = null;
  }

  private stalled(run: RunView, idleMs: number): void {
    if (this.t.spec.agent?.interactive) {
      // A TUI stuck in a turn is first told to stop it, as a human would: Escape.
      this.set({ state: 'stalled', reason: 'no output', stalledAt: this.now });
      this.journal(event('stalled', { idleMs, action: 'escape' }), run.id);
      this.d.actions.push({ type: 'keys', runId: run.id, keys: ['Escape'] });
      return;
    }
    const restart = this.t.spec.onStall === 'restart' || this.t.spec.agent !== null;
    this.set({ state: 'stalled', reason: 'no output', stalledAt: this.now });
    this.journal(event('stalled', { idleMs, action: restart ? 'restart' : 'notify' }), run.id);
    if (!restart) return;
    // SIGTERM at once (SIGINT is skipped: the run is not listening), SIGKILL after the stall's timeout.
    this.set({ stopRequestedAt: this.now, stopTimeoutMs: STALL_STOP_TIMEOUT_MS });
    this.signal(run, 'SIGTERM', 2);
  }

  /**
   * An interactive agent sent Escape for a stall: anything it does since (a signal, a screen that
   * changed, no longer working) and it runs again; still silent after the grace, it is killed and
   * resumed on its session (the stall's restart: SIGTERM, SIGKILL after STALL_STOP_TIMEOUT_MS).
   */
  private stalledTui(run: RunView, tui: TuiState, silence: number, due: (at: number) => boolean): void {
    const t = this.t;
    const stalledAt = t.stalledAt;
    if (stalledAt === null || t.stopRequestedAt !== null || t.desired !== 'running') return;
    if (tuiQuietSince(tui, run) > stalledAt || tui.activity !== 'working') {
      this.set({ state: 'running', reason: null, stalledAt: null });
      this.journal(event('output-resumed', {}), run.id);
      return;
    }
    if (!due(stalledAt + Math.min(STALL_ESCAPE_GRACE_MS, silence))) return;
    this.journal(event('stalled', { idleMs: this.now - tuiQuietSince(tui, run), action: 'restart' }), run.id);
    this.set({ stopRequestedAt: this.now, stopTimeoutMs: STALL_STOP_TIMEOUT_MS });
    this.signal(run, 'SIGTERM', 2);
  }

  /** Sends a stop's next signal when it is due; a run with no pid yet gets it once it has one. */
  private escalate(run: RunView): void {
    const t = this.t;
    if (t.stopRequestedAt === null || (t.state !== 'stopping' && t.state !== 'stalled')) return;
    if (run.pid === null) return;
    const schedule = stopSchedule(t.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS);
    let stage = t.stopStage;
    // Only the latest signal due is sent (a daemon that was down does not replay the others).
    while (stage < schedule.length && this.now >= t.stopRequestedAt + schedule[stage]!.at) stage++;
    if (stage > t.stopStage) this.signal(run, schedule[stage - 1]!.signal, stage);
    if (stage < schedule.length) this.wake(t.stopRequestedAt + schedule[stage]!.at);
  }

  private checkpointInterval(run: RunView): void {
    const every = this.t.spec.checkpointEveryMs;
    const c = this.o.checkpoint;
    if (!every || !c || c.off || this.t.state === 'stopping') return;
    const since = Math.max(c.lastAt ?? run.startedAt, this.t.checkpointAskedAt ?? 0);
    if (this.now >= since + every) {
      this.set({ checkpointAskedAt: this.now });
      this.d.actions.push({ type: 'checkpoint', reason: 'interval' });
      this.wake(this.now + every);
    } else this.wake(since + every);
  }

  private checkpointAfterEnd(): void {
    const every = this.t.spec.checkpointEveryMs;
    const c = this.o.checkpoint;
    const run = this.run;
    if (!every || !c || c.off || run === null || run.endedAt === null) return;
    const ended = run.endedAt;
    if ((c.lastAt ?? -1) >= ended || (this.t.checkpointAskedAt ?? -1) >= ended) return;
    this.set({ checkpointAskedAt: Math.max(this.now, ended) });
    this.d.actions.push({ type: 'checkpoint', reason: 'run-ended' });
  }
}

/** The last time an interactive agent showed life: a signal, a screen change (timers aside), a new activity. */
function tuiQuietSince(tui: TuiState, run: RunView): number {
  return Math.max(tui.lastSignalAt ?? 0, tui.screen?.changedAt ?? 0, tui.activitySince ?? 0, run.startedAt);
}

/** Claude's TUI continues by itself ~90 s after the reset (INTERACTIVE.md §5): holdfast waits this long past it. */
export const CLAUDE_SELF_CONTINUE_GRACE_MS = 5 * 60_000;
/** A limit whose reset the agent did not say is tried again after this long (unless --limit-backoff). */
const TUI_LIMIT_DEFAULT_WAIT_MS = 15 * 60_000;

/** When a live TUI's limit is sure to have lifted: a time printed to the minute, at that minute's end. */
export function tuiLimitResetsAt(limit: TuiLimit): number | null {
  if (limit.resetAt == null) return null;
  return limit.resetAt + (limit.resolution === 'minute' ? 60_000 : 0);
}

/**
 * When holdfast types its continue into a TUI still limited: codex does not retry by itself, so
 * at the reset (never sooner than LIMIT_MIN_LEAD_MS after the limit was seen, a reset already past
 * being the agent's rounding); claude continues by itself, so only if it has not by the reset +
 * CLAUDE_SELF_CONTINUE_GRACE_MS.
 */
export function tuiContinueAt(spec: TaskSpec, limit: TuiLimit): number {
  const reset =
    tuiLimitResetsAt(limit) ?? limit.at + (spec.agent?.limitBackoffMs[0] ?? TUI_LIMIT_DEFAULT_WAIT_MS);
  const at = Math.max(reset, limit.at + LIMIT_MIN_LEAD_MS);
  return spec.agent?.kind === 'claude' ? at + CLAUDE_SELF_CONTINUE_GRACE_MS : at;
}

/** What belongs to one run's stop, stall and checkpoint bookkeeping, cleared when the run ends or a new one starts. */
const RUN_MARKS_CLEARED = { stopStage: 0, stalledAt: null } as const;

/** Whether a decision changes nothing and asks for nothing. */
export function isEmptyDecision(d: Decision): boolean {
  return (
    Object.keys(d.patch).length === 0 &&
    d.events.length === 0 &&
    d.actions.length === 0 &&
    d.endRun === null &&
    d.newRun === null &&
    d.runPid === null &&
    d.adoptLaunch === null &&
    d.consumed.length === 0 &&
    d.inputs.length === 0 &&
    !d.remove
  );
}
