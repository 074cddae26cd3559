/**
 * `applyDecision` is the only writer of a task's state. In one IMMEDIATE transaction it reads the
 * task, its current run and its waiting intents, asks `decide` what follows from them and from
 * the facts the supervisor observed, and writes all of it: the task's fields, the run that ends or
 * begins, the journal entries and the intents carried out. Whoever commits a decision (the daemon,
 * a CLI, a second CLI) is the one that carries out its actions; everyone else finds the work done.
 */
import {
  type AgentFacts,
  type CaptureFacts,
  type CheckpointFacts,
  type Decision,
  decide,
  isEmptyDecision,
  type Observed,
  type PaneFact,
} from '../core/decide.js';
import { exitedEvent } from '../core/events.js';
import type { TuiState } from '../core/interactive.js';
import {
  type NotifiedEvent,
  notificationsFor,
  SCREEN_FLAP_MS,
  TASK_NOTIFICATIONS,
} from '../core/notifications.js';
import { isInteractive, type RunExit, type RunRecord, type TaskRecord } from '../core/task.js';
import type { Store } from './db.js';
import { queueInputIn } from './queue-input.js';

export interface ExternalFacts {
  pane: PaneFact;
  agent: AgentFacts | null;
  capture?: CaptureFacts | null;
  tui?: TuiState | null;
  approvals?: Observed['approvals'];
}

export interface DecisionContext {
  now: number;
  /** A uniform draw in [0, 1) for this decision's jitter. */
  jitter: number;
  /** The applying process: the runs a decision creates are launched by it. */
  self: number;
  /** What the supervisor observed outside the store about the task's open run. */
  facts(task: TaskRecord, run: RunRecord | null): ExternalFacts;
  logPath(task: TaskRecord, n: number): string;
  /** False: this process takes no checkpoints (a CLI), so none is asked for; the daemon's pass will. */
  checkpoints?: boolean;
}

export interface Applied {
  decision: Decision;
  /** The task as written (null when the decision removed it). */
  task: TaskRecord | null;
  /** Its current run as written. */
  run: RunRecord | null;
  /** The task as it was before (for the name and spec of a removed one). */
  before: TaskRecord;
}

/** Decides one task and writes the decision. Null when the task is gone. */
export function applyDecision(store: Store, taskId: number, ctx: DecisionContext): Applied | null {
  return store.tx(() => {
    const task = store.tasks.byId(taskId);
    if (!task) return null;
    const seen = task.currentRunId === null ? null : store.runs.byId(task.currentRunId);
    const external = ctx.facts(task, seen);
    // Looking may have read the run's log to its end (its offset and last output time): read it again.
    const run = seen === null ? null : store.runs.byId(seen.id);
    const observed: Observed = {
      run,
      lastRunN: store.runs.lastN(task.id),
      firstStartedAt: store.runs.firstStartedAt(task.id),
      ...external,
      checkpoint: ctx.checkpoints === false ? null : checkpointFacts(store.tasks.info(task.id)),
      intents: store.intents.forTask(task.id),
      jitter: ctx.jitter,
    };
    const decision = decide(task, observed, ctx.now);
    if (isEmptyDecision(decision)) return { decision, task, run, before: task };
    const newRunId = write(store, task, decision, ctx);
    const after = decision.remove ? null : store.tasks.byId(task.id);
    enqueueNotifications(store, task, after, decision, newRunId, ctx.now);
    const current = after?.currentRunId == null ? null : store.runs.byId(after.currentRunId);
    return { decision, task: after, run: current, before: task };
  });
}

/** Returns the id of the run the decision created, if any. */
function write(store: Store, task: TaskRecord, d: Decision, ctx: DecisionContext): number | null {
  const { now } = ctx;
  if (d.endRun) store.runs.end(d.endRun.runId, d.endRun.exit);
  if (d.runPid) store.runs.setPid(d.runPid.runId, d.runPid.pid);
  if (d.adoptLaunch !== null) store.runs.setStarter(d.adoptLaunch, ctx.self);
  const patch = { ...d.patch };
  let newRunId: number | null = null;
  if (d.newRun) {
    const run = store.runs.insert({
      taskId: task.id,
      n: d.newRun.n,
      cause: d.newRun.cause,
      startedAt: now,
      logPath: ctx.logPath(task, d.newRun.n),
      starterPid: ctx.self,
      prompt: d.newRun.prompt,
      fresh: d.newRun.fresh,
      budgeted: d.newRun.budgeted,
    });
    newRunId = run.id;
    patch.currentRunId = run.id;
  }
  for (const e of d.events) {
    const runId = e.runId === 'new' ? newRunId : e.runId;
    store.events.record({ taskId: task.id, taskName: task.name, runId, at: now }, e);
  }
  store.intents.consume(d.consumed);
  for (const input of d.inputs) queueInputIn(store, task, input.text, input.source, now);
  // An interactive agent takes its prompt in its composer, not in argv: a resumed run's prompt
  // (`--resume-prompt` after a crash mid-turn) or a mission session's is typed into it once its
  // TUI is up.
  if (d.newRun?.prompt && isInteractive(task))
    queueInputIn(
      store,
      task,
      d.newRun.prompt,
      d.newRun.cause === 'mission' ? 'mission' : 'resume-prompt',
      now,
    );
  if (d.remove) {
    store.tasks.remove(task.id);
    return newRunId;
  }
  store.tasks.update(task.id, patch, now);
  return newRunId;
}

/**
 * The decision's notifications, into the outbox in its own transaction (rule 12 of
 * docs/architecture.md): a key already there (the same decision made again) adds nothing. The
 * task's own sinks go with the row; without its own, the config's are read when sending.
 */
function enqueueNotifications(
  store: Store,
  before: TaskRecord,
  after: TaskRecord | null,
  d: Decision,
  newRunId: number | null,
  now: number,
): void {
  const sinks = (after ?? before).spec.notify ?? null;
  if (sinks !== null && sinks.length === 0) return;
  const runOf = (id: number | null): { id: number; n: number } | null => {
    if (id === null) return null;
    const run = store.runs.byId(id);
    return run ? { id, n: run.n } : null;
  };
  // Only the entries a notification is made of (or reads: the run's exit) need their run looked up.
  const events = d.events
    .filter((e) => e.type === 'exited' || TASK_NOTIFICATIONS[e.type] !== undefined)
    .map((e) => ({ ...e, run: runOf(e.runId === 'new' ? newRunId : e.runId) }) as NotifiedEvent);
  if (events.length === 0) return;
  const asked = events.some((e) => e.type === 'question-asked');
  const recent = asked ? store.outbox.recent(before.id, now - SCREEN_FLAP_MS) : [];
  for (const n of notificationsFor(before, after, events, now, recent))
    store.outbox.enqueue(n, before.name, sinks, now);
}

/** Ends an open run that is no task's current one (its task moved on or is gone). */
export function endStrayRun(store: Store, runId: number, exit: RunExit, now: number): boolean {
  return store.tx(() => {
    const run = store.runs.byId(runId);
    if (!run || run.endedAt !== null) return false;
    const task = store.tasks.byId(run.taskId);
    if (task?.currentRunId === runId) return false;
    store.runs.end(runId, exit);
    store.events.record(
      { taskId: run.taskId, taskName: task?.name ?? null, runId, at: now },
      exitedEvent(run, exit),
    );
    return true;
  });
}

function checkpointFacts(info: Record<string, unknown>): CheckpointFacts {
  const c = (info.checkpoint ?? {}) as { lastAt?: number | null; off?: boolean };
  return { lastAt: c.lastAt ?? null, off: c.off ?? false };
}
