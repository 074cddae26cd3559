/**
 * Runs missions: observe each one, let `decideMission` (mission/decide.ts) say what comes next,
 * apply that in one transaction, then carry out its actions. The transaction applies a decision
 * only if the mission is still as it was observed, and it records the run the mission expects
 * next (a session's first run, a gate's run), so a daemon killed at any instant is followed by
 * one that finds the very step the mission was at.
 */
import { randomUUID } from 'node:crypto';
import { takeCheckpoint } from '../checkpoint/index.js';
import { event, type MissionEvent } from '../core/events.js';
import { missionNotificationsFor } from '../core/notifications.js';
import { type AgentSpec, isInteractive } from '../core/task.js';
import {
  decideMission,
  type MissionAction,
  type MissionDecision,
  type MissionObserved,
} from '../mission/decide.js';
import type { Mission } from '../mission/types.js';
import type { MilestoneRecord, MissionRecord } from '../store/missions.js';
import { queueInputIn } from '../store/queue-input.js';
import { gatherPromptFacts, missionOf, observeMission } from './mission-observe.js';
import { createSessionTask, settleTask, startGateRun } from './mission-tasks.js';
import type { Runtime } from './runtime.js';
import { escalateStop, requestStop } from './stop.js';

export interface AdvanceOptions {
  /** Wait for a stopped session's run to end (a CLI that is about to exit); the daemon does not. */
  waitForStops?: boolean;
}

/** One step as far as it goes for every mission that is not done; called on each daemon pass. */
export async function advanceMissions(
  rt: Runtime,
  log: (line: string) => void,
  options: AdvanceOptions = {},
): Promise<void> {
  for (const mission of rt.store.missions.all()) {
    if (mission.state === 'done') continue;
    try {
      await advanceMission(rt, mission.id, options);
    } catch (error) {
      log(`mission ${mission.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

/** A decision may lead straight to another (a session's end to its gate's start): at most this many. */
const MAX_STEPS = 8;

export async function advanceMission(
  rt: Runtime,
  missionId: number,
  options: AdvanceOptions = {},
): Promise<void> {
  for (let step = 0; step < MAX_STEPS; step++) {
    const record = rt.store.missions.byId(missionId);
    if (!record || record.state === 'done') return;
    const m = missionOf(record);
    let observed = observeMission(rt, record);
    let decision = decideMission(m, observed, rt.now());
    if (decision.needsPromptFacts) {
      observed = { ...observed, prompt: await gatherPromptFacts(rt, m, observed) };
      decision = decideMission(m, observed, rt.now());
    }
    const changes = hasChanges(decision);
    if (!changes && decision.actions.length === 0) return;
    // Someone else moved the mission since it was observed: look again.
    if (!apply(rt, record, observed, decision)) continue;
    const recorded = await execute(rt, record, m, decision, options);
    if (!changes && !recorded) return;
  }
}

const hasChanges = (d: MissionDecision): boolean =>
  d.events.length > 0 || Object.values(d.patch).some((v) => v !== undefined);

/** What a decision depends on, of the mission's own rows. */
function version(
  record: MissionRecord,
  milestones: readonly Pick<MilestoneRecord, 'status' | 'startedAt' | 'baseCommit'>[],
): string {
  const { state, reason, phase, active, gateRun, sessions, startedAt, settings } = record;
  return JSON.stringify([
    state,
    reason,
    phase,
    active,
    gateRun,
    sessions,
    startedAt,
    settings,
    milestones.map((x) => [x.status, x.startedAt, x.baseCommit]),
  ]);
}

/** The patch, the events and the task intents, in one transaction; false if the mission moved on. */
function apply(rt: Runtime, record: MissionRecord, observed: MissionObserved, d: MissionDecision): boolean {
  return rt.store.tx(() => {
    const current = rt.store.missions.byId(record.id);
    const seen = version(record, observed.milestones);
    if (!current || version(current, rt.store.missions.milestones(record.id)) !== seen) return false;
    const now = rt.now();
    const { missions } = rt.store;
    const p = d.patch;
    if (p.endSession) missions.endSession(record.id, p.endSession.n, p.endSession);
    if (p.newSession) missions.addSession(record.id, { ...p.newSession, now: p.newSession.startedAt });
    for (const x of p.milestones ?? []) {
      const { idx, ...patch } = x;
      missions.setMilestone(record.id, idx, patch);
    }
    if (p.mission) missions.update(record.id, p.mission, now);
    const agentTask = rt.store.tasks.byName(record.name);
    for (const entry of d.events) {
      // On the agent task's journal too, so `holdfast events <mission>` tells the whole story.
      rt.store.events.record(
        { taskId: agentTask?.id ?? null, taskName: `mission:${record.name}`, at: now },
        entry,
      );
    }
    enqueueMissionNotifications(rt, record.id, d.events, now);
    for (const action of d.actions) {
      // The session's run is an intent on the agent task, in this transaction: if this process
      // dies before starting it, the daemon's timers start it.
      if (action.type === 'start-session' && agentTask) {
        // A fresh claude TUI needs an id of its own: it refuses `--session-id` of one that exists.
        const newId = action.fresh && isInteractive(agentTask) && agentTask.spec.agent?.kind === 'claude';
        rt.store.intents.add(
          agentTask.id,
          {
            kind: 'run',
            cause: 'mission',
            prompt: action.prompt,
            fresh: action.fresh,
            ...(newId ? { sessionId: randomUUID() } : {}),
          },
          now,
        );
      }
      // Into the live TUI, as an input that commits with the session it starts (invariant 8).
      if (action.type === 'queue-session-prompt' && agentTask)
        queueInputIn(rt.store, agentTask, action.prompt, 'mission', now);
    }
    return true;
  });
}

/** Carries out the actions; true if one recorded something the next decision depends on. */
async function execute(
  rt: Runtime,
  record: MissionRecord,
  m: Mission,
  d: MissionDecision,
  options: AdvanceOptions,
): Promise<boolean> {
  let recorded = false;
  for (const action of d.actions) recorded = (await act(rt, record, m, action, options)) || recorded;
  return recorded;
}

async function act(
  rt: Runtime,
  record: MissionRecord,
  m: Mission,
  action: MissionAction,
  options: AdvanceOptions,
): Promise<boolean> {
  switch (action.type) {
    case 'checkpoint-milestone':
      if (action.reason === 'milestone-done') {
        await takeCheckpoint({
          cwd: m.cwd,
          task: m.name,
          run: 0,
          now: rt.now(),
          reason: action.reason,
        }).catch(() => undefined);
        return false;
      }
      return milestoneStarted(rt, record, action.milestone);
    case 'create-session-task': {
      const failed = await createSessionTask(rt, m, record.agent as AgentSpec, action.prompt);
      if (failed !== null) pauseFor(rt, record, `could not start the agent: ${failed}`);
      return failed !== null;
    }
    case 'start-session': {
      const task = rt.store.tasks.byName(m.name);
      if (task) await settleTask(rt, task.id, action.after);
      return false;
    }
    case 'queue-session-prompt': {
      // Queued with the decision: the daemon's deliverer, poked after its pass, types it.
      const task = rt.store.tasks.byName(m.name);
      if (task) rt.supervisor?.markDirty(task.id);
      return false;
    }
    case 'run-gate':
      await startGateRun(rt, m, action.command, action);
      return false;
    case 'stop-session': {
      const task = rt.store.tasks.byName(m.name);
      if (!task) return false;
      const { pid, runId } = requestStop(rt, task.id, { timeoutMs: 10_000, reason: action.reason });
      if (pid === null) return false;
      const stopped = escalateStop(rt, task.id, 10_000, runId);
      if (options.waitForStops) await stopped;
      else void stopped.catch(() => undefined);
      return false;
    }
  }
}

/**
 * Takes the checkpoint a milestone's diffs count from and records it (null when the cwd is not a
 * git work tree, or git failed: the prompts then say nothing of changes).
 */
async function milestoneStarted(rt: Runtime, record: MissionRecord, idx: number): Promise<boolean> {
  const snap = await takeCheckpoint({
    cwd: record.cwd,
    task: record.name,
    run: 0,
    now: rt.now(),
    reason: 'milestone-start',
  }).catch(() => null);
  const baseCommit = snap?.status === 'created' || snap?.status === 'unchanged' ? snap.commit : null;
  return rt.store.tx(() => {
    if (rt.store.missions.milestones(record.id)[idx]?.startedAt !== null) return false;
    rt.store.missions.setMilestone(record.id, idx, { startedAt: rt.now(), baseCommit });
    return true;
  });
}

/** An action failed in a way another try would repeat: the mission waits for the user. */
function pauseFor(rt: Runtime, record: MissionRecord, reason: string): void {
  rt.store.tx(() => {
    if (rt.store.missions.byId(record.id)?.state !== 'running') return;
    const now = rt.now();
    rt.store.missions.update(record.id, { state: 'paused', reason }, now);
    const entry = event('mission-paused', { reason });
    rt.store.events.record(
      { taskId: rt.store.tasks.byName(record.name)?.id ?? null, taskName: `mission:${record.name}`, at: now },
      entry,
    );
    enqueueMissionNotifications(rt, record.id, [entry], now);
  });
}

/**
 * A mission's notifications, in the transaction that journals what causes them. Its sinks are its
 * agent task's (`run --notify` does not apply to missions: so the config's global ones, unless the
 * task's spec names its own).
 */
function enqueueMissionNotifications(
  rt: Runtime,
  missionId: number,
  events: readonly MissionEvent[],
  now: number,
): void {
  if (
    !events.some(
      (e) => e.type === 'milestone-done' || e.type === 'mission-done' || e.type === 'mission-paused',
    )
  )
    return;
  const mission = rt.store.missions.byId(missionId);
  if (!mission) return;
  const task = rt.store.tasks.byName(mission.name);
  const sinks = task?.spec.notify ?? null;
  if (sinks !== null && sinks.length === 0) return;
  const taskName = `mission:${mission.name}`;
  const started = rt.store.events.lastNamed(task?.id ?? null, taskName, [
    'mission-started',
    'mission-resumed',
  ]);
  const drafts = missionNotificationsFor(
    { id: mission.id, name: mission.name, state: mission.state, startedBy: started?.id ?? null },
    events,
    now,
  );
  for (const n of drafts) rt.store.outbox.enqueue(n, taskName, sinks, now);
}
