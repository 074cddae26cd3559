/**
 * Drives missions: one agent session after another through the milestones until every gate passes
 * or a budget runs out.
 *
 *   idle ──start session──▶ session ──agent finished──▶ gate ──pass──▶ idle (next milestone) … done
 *     ▲                        │                          └──fail──▶ idle (continuation session)
 *     └────────────────────────┴── failed / stopped / budget ──▶ paused
 *
 * A mission's sessions are runs of one agent task named after it; its gates are runs of one
 * command task `<name>-gate`. Each hand-over is a single transaction that also records the run
 * number it expects next (the session's first run, the gate's run), so a daemon killed at any
 * instant is followed by one that finds the very step it was at: no gate runs twice, no second
 * session starts for the same milestone.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DiffSummary, diffSinceCheckpoint, takeCheckpoint } from '../checkpoint/index.js';
import {
  cleanTerminalText,
  type PromptMilestone,
  renderContinuationPrompt,
  renderFirstPrompt,
  tailLines,
} from '../core/continuation.js';
import {
  type AgentSpec,
  DEFAULT_RESTART_POLICY,
  FINAL_STATES,
  type TaskRecord,
  type TaskSpec,
} from '../core/task.js';
import { ensurePrivateDir, writePrivateFile } from '../fs-safe.js';
import { type Budget, type BudgetUse, budgetOver } from '../mission/budget.js';
import { effectiveGate, type MissionDefinition, milestoneSlug } from '../mission/mission-file.js';
import type { MissionRecord } from '../store/missions.js';
import { preassignedSession } from './agent-run.js';
import { createTask } from './create.js';
import { fileSize, readRange } from './file-range.js';
import type { Runtime } from './runtime.js';
import { escalateStop, requestStop } from './stop.js';

export interface MissionSettings extends Budget {
  /** resume: keep the conversation; fresh: a new one each session; auto: resume while it is small. */
  continueMode: 'auto' | 'resume' | 'fresh';
  freshAfterBytes: number;
  stallTimeoutMs: number;
  umask: string;
}

export const gateTaskName = (mission: string): string => `${mission}-gate`;
export const missionDir = (rt: Runtime, mission: string): string => join(rt.paths.home, 'missions', mission);
const envFile = (rt: Runtime, mission: string) => join(missionDir(rt, mission), 'env.json');

/** Keeps the environment of `mission init` (0600, outside the store) for the tasks created later. */
export function saveMissionEnv(rt: Runtime, mission: string, env: NodeJS.ProcessEnv): void {
  ensurePrivateDir(join(rt.paths.home, 'missions'));
  ensurePrivateDir(missionDir(rt, mission));
  writePrivateFile(envFile(rt, mission), JSON.stringify(env));
}

function missionEnv(rt: Runtime, mission: string): NodeJS.ProcessEnv {
  try {
    return JSON.parse(readFileSync(envFile(rt, mission), 'utf8')) as NodeJS.ProcessEnv;
  } catch {
    return process.env;
  }
}

const definitionOf = (m: MissionRecord) => m.definition as MissionDefinition;
const settingsOf = (m: MissionRecord) => m.settings as MissionSettings;

function journal(rt: Runtime, m: MissionRecord, type: string, data: Record<string, unknown>): void {
  const task = rt.store.tasks.byName(m.name);
  rt.store.events.append({
    taskId: task?.id ?? null,
    taskName: `mission:${m.name}`,
    at: rt.now(),
    type,
    data,
  });
}

/** One step for every running mission; called on each daemon pass. */
export async function advanceMissions(rt: Runtime, log: (line: string) => void): Promise<void> {
  for (const mission of rt.store.missions.all()) {
    if (mission.state !== 'running') continue;
    try {
      await advanceMission(rt, mission.id);
    } catch (error) {
      log(`mission ${mission.name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

export async function advanceMission(rt: Runtime, missionId: number): Promise<void> {
  const m = rt.store.missions.byId(missionId);
  if (m?.state !== 'running') return;
  if (m.phase === 'idle') return startSession(rt, m);
  if (m.phase === 'session') return watchSession(rt, m);
  return watchGate(rt, m);
}

function pause(rt: Runtime, m: MissionRecord, reason: string): void {
  rt.store.tx(() => {
    const current = rt.store.missions.byId(m.id);
    if (current?.state !== 'running') return;
    rt.store.missions.update(m.id, { state: 'paused', reason }, rt.now());
    journal(rt, m, 'mission-paused', { reason });
  });
}

/** The budget a new session would exceed, if any. */
function budgetExceeded(rt: Runtime, m: MissionRecord): string | null {
  return budgetOver(settingsOf(m), missionUse(rt, m))?.label ?? null;
}

/** What the mission has spent so far, to compare with its budget. */
export function missionUse(rt: Runtime, m: MissionRecord): BudgetUse {
  return {
    sessions: m.sessions,
    hours: m.startedAt === null ? 0 : (rt.now() - m.startedAt) / 3_600_000,
    costUsd: missionCost(rt, m),
  };
}

export function missionCost(rt: Runtime, m: MissionRecord): number {
  return rt.store.missions.sessions(m.id).reduce((sum, s) => sum + (s.costUsd ?? 0), 0);
}

async function startSession(rt: Runtime, m: MissionRecord): Promise<void> {
  const over = budgetExceeded(rt, m);
  if (over) return pause(rt, m, over);
  // Resumed by hand while the mission was paused (`resume --unattended`): let that run end first.
  if (hasLiveRun(rt, rt.store.tasks.byName(m.name))) return;
  const milestones = rt.store.missions.milestones(m.id);
  const active = milestones[m.active]!;
  let baseCommit = active.baseCommit;
  if (baseCommit === null) {
    // The tree as the milestone starts: `git diff --stat` for continuation prompts counts from here.
    const snap = await takeCheckpoint({
      cwd: m.cwd,
      task: m.name,
      run: 0,
      now: rt.now(),
      reason: 'milestone-start',
    });
    baseCommit = snap.status === 'created' || snap.status === 'unchanged' ? snap.commit : null;
  }
  const prompt = await sessionPrompt(rt, m);
  const task = rt.store.tasks.byName(m.name);
  const fresh = task === null || chooseFresh(rt, m, task);
  const started = rt.store.tx(() => {
    const current = rt.store.missions.byId(m.id);
    if (current?.state !== 'running' || current.phase !== 'idle') return false;
    const now = rt.now();
    const n = current.sessions + 1;
    const firstRun = (task ? rt.store.runs.lastN(task.id) : 0) + 1;
    rt.store.missions.addSession(m.id, { n, milestone: current.active, firstRun, fresh, now });
    rt.store.missions.update(m.id, { phase: 'session', sessions: n }, now);
    if (active.startedAt === null || active.baseCommit === null) {
      rt.store.missions.setMilestone(m.id, current.active, {
        startedAt: active.startedAt ?? now,
        baseCommit,
      });
    }
    if (task) rt.store.intents.add(task.id, { kind: 'run', cause: 'mission', prompt, fresh }, now);
    journal(rt, current, 'mission-session', {
      session: n,
      milestone: definitionOf(current).milestones[current.active]!.title,
      fresh,
    });
    return true;
  });
  if (started && !task) await createAgentTask(rt, m, prompt);
}

function hasLiveRun(rt: Runtime, task: TaskRecord | null): boolean {
  const run = task?.currentRunId == null ? null : rt.store.runs.byId(task.currentRunId);
  return run != null && run.endedAt === null;
}

/** Fresh or resumed: by the setting, and in `auto` by how large the conversation has grown. */
function chooseFresh(rt: Runtime, m: MissionRecord, task: TaskRecord): boolean {
  const s = settingsOf(m);
  if (s.continueMode !== 'auto') return s.continueMode === 'fresh';
  const sessions = rt.store.missions.sessions(m.id);
  const lastFresh = [...sessions].reverse().find((x) => x.fresh);
  const since = lastFresh?.firstRun ?? 1;
  const bytes = rt.store.runs
    .forTask(task.id)
    .filter((r) => r.n >= since)
    .reduce((sum, r) => sum + fileSize(r.logPath), 0);
  return bytes >= s.freshAfterBytes;
}

async function createAgentTask(rt: Runtime, m: MissionRecord, prompt: string): Promise<void> {
  const agent = m.agent as AgentSpec;
  const s = settingsOf(m);
  const spec: TaskSpec = {
    command: [agent.kind],
    cwd: m.cwd,
    umask: s.umask,
    restart: { ...DEFAULT_RESTART_POLICY, mode: 'on-failure' },
    stallTimeoutMs: s.stallTimeoutMs,
    onStall: 'restart',
    agent,
    checkpointEveryMs: 5 * 60_000,
    mission: m.name,
  };
  try {
    await createTask(rt, {
      name: m.name,
      nameBase: m.name,
      spec,
      env: missionEnv(rt, m.name),
      files: { 'prompt.txt': prompt },
      sessionFor: (name) => preassignedSession(agent.kind, rt.paths, name),
    });
  } catch (error) {
    // Another daemon (or the CLI) created it first: that is the same session.
    if (rt.store.tasks.byName(m.name)) return;
    pause(rt, m, `could not start the agent: ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function watchSession(rt: Runtime, m: MissionRecord): Promise<void> {
  const task = rt.store.tasks.byName(m.name);
  if (!task) {
    // The hand-over committed but the task was never created (its creator died): create it now.
    return createAgentTask(rt, m, await sessionPrompt(rt, m));
  }
  const session = rt.store.missions.sessions(m.id).at(-1)!;
  const over = budgetExceeded(rt, { ...m, sessions: 0 });
  if (over?.startsWith('max-hours') && !FINAL_STATES.has(task.state)) {
    pause(rt, m, over);
    const { pid } = requestStop(rt, task.id, { timeoutMs: 10_000, reason: over });
    if (pid !== null) void escalateStop(rt, task.id, 10_000);
    return;
  }
  const lastRun = rt.store.runs.lastN(task.id);
  if (task.state === 'waiting-input' && lastRun >= session.firstRun)
    return needsInput(rt, m, task, session.n);
  if (!FINAL_STATES.has(task.state) || lastRun < session.firstRun) return;
  const cost = sessionCost(rt, task, session.firstRun);
  const def = definitionOf(m);
  const milestone = def.milestones[m.active]!;
  if (task.state === 'failed' || task.state === 'stopped') {
    rt.store.tx(() => {
      rt.store.missions.endSession(m.id, session.n, {
        endedAt: rt.now(),
        endedHow: `the agent task ${task.state}${task.reason ? ` (${task.reason})` : ''}`,
        costUsd: cost,
      });
    });
    return pause(rt, m, `session ${session.n} ${task.state}${task.reason ? `: ${task.reason}` : ''}`);
  }
  const gate = effectiveGate(def, milestone);
  const gateTask = rt.store.tasks.byName(gateTaskName(m.name));
  rt.store.tx(() => {
    const current = rt.store.missions.byId(m.id);
    if (current?.phase !== 'session' || current.sessions !== session.n) return;
    const now = rt.now();
    if (gate !== null) {
      const gateRun = (gateTask ? rt.store.runs.lastN(gateTask.id) : 0) + 1;
      rt.store.missions.endSession(m.id, session.n, {
        endedAt: now,
        endedHow: 'the agent said it finished',
        gateRun,
        costUsd: cost,
      });
      rt.store.missions.update(m.id, { phase: 'gate', gateRun }, now);
      journal(rt, current, 'mission-gate', { session: session.n, gate, run: gateRun });
      return;
    }
    const marked = rt.store.missions.milestones(m.id)[current.active]!.status === 'done';
    rt.store.missions.endSession(m.id, session.n, {
      endedAt: now,
      endedHow: marked
        ? 'the agent finished and marked the milestone done'
        : 'the agent said it finished, but did not mark the milestone done',
      costUsd: cost,
    });
    if (marked) advanceMilestone(rt, current, now);
    else rt.store.missions.update(m.id, { phase: 'idle' }, now);
  });
  if (gate !== null) await watchGate(rt, rt.store.missions.byId(m.id)!);
}

/**
 * The session's agent waits for a person (its tools were denied): another session would only be
 * denied again, each a paid run, so the mission pauses until the person has answered.
 */
function needsInput(rt: Runtime, m: MissionRecord, task: TaskRecord, n: number): void {
  const session = rt.store.missions.sessions(m.id).find((x) => x.n === n)!;
  const reason = `needs-input: ${task.reason?.split(':')[0] ?? 'unknown'}`;
  rt.store.tx(() => {
    const current = rt.store.missions.byId(m.id);
    if (current?.state !== 'running' || current.phase !== 'session' || current.sessions !== n) return;
    const now = rt.now();
    rt.store.missions.endSession(m.id, n, {
      endedAt: now,
      endedHow: `the agent task waits for input (${task.reason ?? 'needs input'})`,
      costUsd: sessionCost(rt, task, session.firstRun),
    });
    rt.store.missions.update(m.id, { state: 'paused', phase: 'idle', reason }, now);
    journal(rt, current, 'mission-paused', {
      reason,
      task: task.name,
      hint: `holdfast resume ${task.name} --unattended, then holdfast mission resume ${m.name}`,
    });
  });
}

function sessionCost(rt: Runtime, task: TaskRecord, firstRun: number): number | null {
  let total: number | null = null;
  for (const run of rt.store.runs.forTask(task.id)) {
    if (run.n < firstRun) continue;
    const summary = rt.store.runs.summary<{ costUsd: number | null }>(run.id);
    if (summary?.costUsd != null) total = (total ?? 0) + summary.costUsd;
  }
  return total;
}

async function watchGate(rt: Runtime, m: MissionRecord): Promise<void> {
  if (m.phase !== 'gate' || m.gateRun === null) return;
  const def = definitionOf(m);
  const gate = effectiveGate(def, def.milestones[m.active]!)!;
  const name = gateTaskName(m.name);
  let gateTask = rt.store.tasks.byName(name);
  const last = gateTask ? rt.store.runs.lastN(gateTask.id) : 0;
  if (last < m.gateRun) {
    // Not started yet (this is the only place that starts it, and only for the run it expects).
    if (!gateTask) {
      await createTask(rt, {
        name,
        nameBase: name,
        spec: gateSpec(m, gate),
        env: missionEnv(rt, m.name),
      }).catch(() => undefined);
      return;
    }
    rt.store.tx(() => {
      const intent = {
        kind: 'run',
        cause: 'start',
        prompt: null,
        fresh: false,
        spec: gateSpec(m, gate),
      } as const;
      rt.store.intents.add(gateTask!.id, intent, rt.now());
    });
    return;
  }
  gateTask = gateTask!;
  const run = rt.store.runs.forTask(gateTask.id).find((r) => r.n === m.gateRun);
  if (!run || run.endedAt === null) return;
  const passed = run.exitCode === 0 && run.signal === null;
  let milestoneDone = false;
  rt.store.tx(() => {
    const current = rt.store.missions.byId(m.id);
    if (current?.phase !== 'gate' || current.gateRun !== m.gateRun) return;
    const now = rt.now();
    const how = passed
      ? 'the gate passed'
      : `the agent said it finished, but the gate failed (${run.signal ?? `exit ${run.exitCode}`})`;
    rt.store.missions.endSession(m.id, current.sessions, {
      endedAt: now,
      endedHow: how,
      gateExit: run.exitCode ?? -1,
    });
    journal(rt, current, passed ? 'gate-passed' : 'gate-failed', {
      run: run.n,
      exitCode: run.exitCode,
      signal: run.signal,
    });
    if (passed) {
      rt.store.missions.setMilestone(m.id, current.active, { status: 'done', doneAt: now, doneBy: 'gate' });
      advanceMilestone(rt, current, now);
      milestoneDone = true;
    } else {
      rt.store.missions.update(m.id, { phase: 'idle', gateRun: null }, now);
    }
  });
  if (milestoneDone) {
    await takeCheckpoint({ cwd: m.cwd, task: m.name, run: 0, now: rt.now(), reason: 'milestone-done' }).catch(
      () => undefined,
    );
  }
}

/** The lines of `git diff --stat`: one per file, then the summary. */
function diffStatText(diff: DiffSummary): string {
  if (diff.entries.length === 0) return '';
  const width = Math.max(...diff.entries.map((e) => e.path.length));
  const lines = diff.entries.map((e) =>
    e.binary
      ? `${e.path.padEnd(width)} | Bin`
      : `${e.path.padEnd(width)} | ${e.insertions + e.deletions} ${'+'.repeat(Math.min(e.insertions, 40))}${'-'.repeat(Math.min(e.deletions, 40))}`,
  );
  return [...lines, diff.summary].join('\n');
}

function gateSpec(m: MissionRecord, gate: string): TaskSpec {
  return {
    // The gate is a command line the user wrote in the mission, meant for a shell, as in an npm script.
    command: ['bash', '-c', gate],
    cwd: m.cwd,
    umask: settingsOf(m).umask,
    restart: { ...DEFAULT_RESTART_POLICY, mode: 'no' },
    stallTimeoutMs: null,
    onStall: 'notify',
    agent: null,
    checkpointEveryMs: null,
    mission: m.name,
  };
}

/** Moves past the active milestone (already marked done): the next one, or the mission is done. */
function advanceMilestone(rt: Runtime, m: MissionRecord, now: number): void {
  const milestones = rt.store.missions.milestones(m.id);
  const next = milestones.find((x) => x.status !== 'done');
  const def = definitionOf(m);
  journal(rt, m, 'milestone-done', { milestone: def.milestones[m.active]!.title });
  if (!next) {
    rt.store.missions.update(m.id, { state: 'done', phase: 'idle', gateRun: null, reason: null }, now);
    journal(rt, m, 'mission-done', { sessions: m.sessions });
    return;
  }
  rt.store.missions.setMilestone(m.id, next.idx, { status: 'active' });
  rt.store.missions.update(m.id, { active: next.idx, phase: 'idle', gateRun: null }, now);
}

/** Marks a milestone done by hand (or by the agent): in the store, and moves on if it was the active one. */
export function markMilestoneDone(rt: Runtime, m: MissionRecord, idx: number, by: string): void {
  rt.store.tx(() => {
    const now = rt.now();
    rt.store.missions.setMilestone(m.id, idx, { status: 'done', doneAt: now, doneBy: by });
    const current = rt.store.missions.byId(m.id)!;
    // While a session or gate is under way, the runner moves on when it ends.
    if (current.active === idx && current.phase === 'idle') advanceMilestone(rt, current, now);
    else if (current.active !== idx)
      journal(rt, current, 'milestone-done', { milestone: definitionOf(m).milestones[idx]!.title, by });
  });
}

/** The prompt the next session gets: the first one, or a continuation built from where things stand. */
export async function sessionPrompt(rt: Runtime, m: MissionRecord): Promise<string> {
  const def = definitionOf(m);
  const statuses = rt.store.missions.milestones(m.id);
  const activeDef = def.milestones[m.active]!;
  const gate = effectiveGate(def, activeDef);
  const milestones: PromptMilestone[] = def.milestones.map((x, i) => ({
    title: x.title,
    body: x.body,
    gate: effectiveGate(def, x),
    status: i === m.active ? 'active' : statuses[i]!.status === 'done' ? 'done' : 'pending',
  }));
  const base = {
    missionTitle: def.title,
    context: def.context,
    milestones,
    active: { title: activeDef.title, body: activeDef.body, gate },
    cwd: m.cwd,
    doneCommand: `holdfast mission done ${m.name} ${milestoneSlug(activeDef.title)}`,
  };
  const sessions = rt.store.missions.sessions(m.id);
  const last = sessions.at(-1);
  if (!last) return renderFirstPrompt(base);
  const task = rt.store.tasks.byName(m.name);
  const info = task ? rt.store.tasks.info(task.id) : {};
  const onThisMilestone = sessions.filter((s) => s.milestone === m.active);
  const lastGate = onThisMilestone.at(-1)?.gateRun ?? null;
  const gateTask = rt.store.tasks.byName(gateTaskName(m.name));
  const gateRun =
    lastGate !== null && gateTask
      ? rt.store.runs.forTask(gateTask.id).find((r) => r.n === lastGate)
      : undefined;
  const baseCommit = statuses[m.active]!.baseCommit;
  const diff = baseCommit ? await diffSinceCheckpoint(m.cwd, baseCommit).catch(() => null) : null;
  return renderContinuationPrompt({
    ...base,
    sessionNumber: onThisMilestone.length + 1,
    lastSession: {
      endedHow: last.endedHow ?? 'it ended',
      lastAgentMessage: typeof info.lastMessage === 'string' ? info.lastMessage : null,
    },
    diffStat: diff ? diffStatText(diff) : null,
    gateOutputTail: gateRun
      ? tailLines(
          cleanTerminalText(
            readRange(gateRun.logPath, Math.max(0, fileSize(gateRun.logPath) - 65_536)).toString('utf8'),
          ),
          60,
        )
      : null,
    gateCommand: gateRun ? gate : null,
    gateExitCode: gateRun ? gateRun.exitCode : null,
  });
}
