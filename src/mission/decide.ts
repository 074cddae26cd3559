/**
 * What a mission does next, decided from where it stands and what its tasks did. Pure: the
 * supervisor observes, calls `decideMission`, applies the patch and the events in one transaction,
 * then executes the actions.
 *
 *   idle ──start session──▶ session ──agent finished──▶ gate ──pass──▶ idle (next milestone) … done
 *     ▲                        │                          └──fail──▶ idle (continuation session)
 *     └────────────────────────┴── failed / stopped / waiting / budget ──▶ paused (idle)
 *
 * A mission's sessions are runs of one agent task named after it; its gates are runs of one
 * command task `<name>-gate`. An interactive agent's session is a turn of its live TUI instead:
 * the prompt is queued as an input into it, and the session ends when the agent is idle again
 * after that turn with nothing left to deliver. A hand-over records the run it expects next (the session's first
 * run, the gate's run), so whoever decides after a crash finds the very step the mission was at:
 * no gate runs twice, no second session starts for the same milestone.
 */
import type { MissionEvent } from '../core/events.js';
import type { InputState } from '../core/input.js';
import type { Activity } from '../core/interactive.js';
import { FINAL_STATES, type TaskState } from '../core/task.js';
import { budgetOver } from './budget.js';
import { effectiveGate } from './mission-file.js';
import { type PromptFacts, renderSessionPrompt } from './prompt.js';
import type {
  MilestoneProgress,
  MilestoneStatus,
  Mission,
  MissionPhase,
  MissionState,
  SessionProgress,
} from './types.js';

/** The agent task that works the sessions. */
export interface AgentObserved {
  state: TaskState;
  reason: string | null;
  /** Its newest run's number; 0 before the first. */
  lastRun: number;
  currentRunId: number | null;
  /** Its current run has not ended. */
  live: boolean;
  /** Every run: its number, the size of its log (the conversation) and the cost its agent reported. */
  runs: readonly { n: number; logBytes: number; costUsd: number | null }[];
  /** Its TUI runs in the pane (`--interactive`): a session is a turn of it, not a run. */
  interactive: boolean;
  /** What the TUI does, from its hooks and screen (null: headless, or not known yet). */
  activity: Activity | null;
  /** A prompt was submitted and its turn has not ended. */
  turnInFlight: boolean;
  /** Inputs queued, being typed or sent and not yet confirmed. */
  openInputs: number;
  /**
   * The task's newest input: the turn a session waits for is the one it began. `folded`: the
   * signal that began its turn (its UserPromptSubmit) is already folded into `activity`, so an idle
   * seen now is that turn's end, not the wait before it.
   */
  lastInput: { state: InputState; reason: string | null; folded: boolean } | null;
}

/** The gate task. */
export interface GateObserved {
  lastRun: number;
  currentRunId: number | null;
  /**
   * The run the gate phase waits for (`mission.gateRun`), once it exists. `endReason`: why it ended
   * when the gate did not simply exit (`server-lost`: a reboot or a lost tmux server cut it short).
   */
  expected: {
    ended: boolean;
    exitCode: number | null;
    signal: string | null;
    endReason: string | null;
  } | null;
}

export interface MissionObserved {
  milestones: readonly MilestoneProgress[];
  sessions: readonly SessionProgress[];
  /** null: not created yet. */
  agent: AgentObserved | null;
  gate: GateObserved | null;
  /** Read only when a decision asks for them (`needsPromptFacts`): they cost a git diff and a log read. */
  prompt: PromptFacts | null;
}

export interface MissionPatch {
  state?: MissionState;
  reason?: string | null;
  phase?: MissionPhase;
  active?: number;
  gateRun?: number | null;
  sessions?: number;
  startedAt?: number | null;
}

export interface MissionChanges {
  mission?: MissionPatch;
  milestones?: { idx: number; status: MilestoneStatus; doneAt?: number; doneBy?: string }[];
  newSession?: { n: number; milestone: number; firstRun: number; fresh: boolean; startedAt: number };
  endSession?: {
    n: number;
    endedAt: number;
    endedHow: string;
    gateRun?: number;
    gateExit?: number;
    costUsd?: number | null;
  };
}

/** A journal entry about the mission: one of core/events.ts's mission kinds. */
export type { MissionEvent };

export type MissionAction =
  /** Snapshot the work tree: the base a milestone's diffs count from, or the milestone's result. */
  | { type: 'checkpoint-milestone'; milestone: number; reason: 'milestone-start' | 'milestone-done' }
  /** The agent task does not exist yet: create it, which starts its first run with `prompt`. */
  | { type: 'create-session-task'; prompt: string }
  /** Start the agent task's next run (guarded by its current run being `after`), fresh or resumed. */
  | { type: 'start-session'; prompt: string; fresh: boolean; after: number | null }
  /** Queue the prompt as an input into the agent's live TUI, in the decision's own transaction. */
  | { type: 'queue-session-prompt'; prompt: string }
  /** Start gate run number `run`: by creating the gate task, or by starting its next run. */
  | { type: 'run-gate'; run: number; command: string; create: boolean; after: number | null }
  /** Stop the session's live run. */
  | { type: 'stop-session'; reason: string };

export interface MissionDecision {
  patch: MissionChanges;
  events: MissionEvent[];
  actions: MissionAction[];
  /** Nothing was decided: gather `observed.prompt` and decide again. */
  needsPromptFacts: boolean;
}

const decision = (
  patch: MissionChanges = {},
  events: MissionEvent[] = [],
  actions: MissionAction[] = [],
): MissionDecision => ({ patch, events, actions, needsPromptFacts: false });

const NOTHING = (): MissionDecision => decision();
const NEEDS_PROMPT = (): MissionDecision => ({ ...decision(), needsPromptFacts: true });

export function decideMission(m: Mission, o: MissionObserved, now: number): MissionDecision {
  if (m.state === 'done') return NOTHING();
  if (m.state === 'running') {
    if (m.phase === 'idle') return decideIdle(m, o, now);
    if (m.phase === 'session') return decideSession(m, o, now);
    return decideGate(m, o, now);
  }
  // Paused while a session ran: that session is over, and its run is stopped (or, not started
  // yet, kept from starting). Only here, once: a run the user resumes by hand while the mission
  // stays paused is theirs.
  if (m.state === 'paused' && m.phase === 'session') {
    const agent = o.agent;
    const stop = agent !== null && (agent.live || !FINAL_STATES.has(agent.state));
    return decision(
      {
        mission: { phase: 'idle' },
        endSession: sessionEnd(m, o, now, 'the mission was paused'),
      },
      [],
      stop ? [{ type: 'stop-session', reason: 'mission paused' }] : [],
    );
  }
  // Pending or paused: a milestone marked done by hand moves the mission on all the same.
  if (m.phase === 'idle' && o.milestones[m.active]?.status === 'done') return advance(m, o, false);
  return NOTHING();
}

/** Between sessions: the next milestone, a pause for the budget, or the next session. */
function decideIdle(m: Mission, o: MissionObserved, now: number): MissionDecision {
  if (o.milestones[m.active]?.status === 'done') return advance(m, o, false);
  const over = budgetOver(m.settings, missionUse(m, o.sessions, now));
  if (over) return pause(over.label);
  const tui = o.agent?.live && o.agent.interactive ? o.agent : null;
  // Resumed by hand while the mission was paused (`resume --unattended`): let that run end first.
  if (o.agent?.live && tui === null) return NOTHING();
  // A live TUI takes the next prompt once it is idle with nothing left to type (a human's `send`).
  if (tui && (tui.state !== 'running' || tui.activity !== 'idle' || tui.openInputs > 0)) return NOTHING();
  const milestone = o.milestones[m.active]!;
  if (milestone.startedAt === null) {
    return decision(
      {},
      [],
      [{ type: 'checkpoint-milestone', milestone: m.active, reason: 'milestone-start' }],
    );
  }
  if (o.prompt === null) return NEEDS_PROMPT();
  const n = m.sessions + 1;
  const fresh = o.agent === null || chooseFresh(m, o.sessions, o.agent);
  // A fresh conversation is a new run: the TUI holding the old one is ended first.
  if (tui && fresh) return decision({}, [], [{ type: 'stop-session', reason: 'a fresh session' }]);
  const prompt = renderSessionPrompt(m, o.milestones, o.sessions, o.prompt);
  return decision(
    {
      mission: { phase: 'session', sessions: n },
      newSession: {
        n,
        milestone: m.active,
        // The same TUI: this session's turn is in its current run.
        firstRun: (o.agent?.lastRun ?? 0) + (tui ? 0 : 1),
        fresh,
        startedAt: now,
      },
    },
    [
      {
        type: 'mission-session',
        data: { session: n, milestone: m.definition.milestones[m.active]!.title, fresh },
      },
    ],
    [
      o.agent === null
        ? { type: 'create-session-task', prompt }
        : tui
          ? { type: 'queue-session-prompt', prompt }
          : { type: 'start-session', prompt, fresh, after: o.agent.currentRunId },
    ],
  );
}

/** A session is under way: wait for its agent, then hand over to the gate (or on). */
function decideSession(m: Mission, o: MissionObserved, now: number): MissionDecision {
  const agent = o.agent;
  if (agent === null) {
    // The hand-over committed but the task was never created (its creator died): create it now,
    // with the prompt this session was meant to get.
    if (o.prompt === null) return NEEDS_PROMPT();
    const before = o.sessions.filter((s) => s.n < m.sessions);
    return decision(
      {},
      [],
      [{ type: 'create-session-task', prompt: renderSessionPrompt(m, o.milestones, before, o.prompt) }],
    );
  }
  const session = currentSession(m, o);
  // Only time runs out during a session; sessions and cost are counted when it has ended.
  const outOfTime = budgetOver(
    { maxSessions: null, maxHours: m.settings.maxHours, maxCostUsd: null },
    { sessions: 0, hours: hoursSince(m, now), costUsd: 0 },
  );
  if (outOfTime && !FINAL_STATES.has(agent.state)) {
    const reason = outOfTime.label;
    return decision(
      {
        mission: { state: 'paused', reason, phase: 'idle' },
        endSession: sessionEnd(m, o, now, `the mission's budget ran out: ${reason}`),
      },
      [{ type: 'mission-paused', data: { reason } }],
      [{ type: 'stop-session', reason }],
    );
  }
  if (agent.lastRun < session.firstRun) return NOTHING();
  if (agent.interactive && agent.live) {
    // Its question waits for `holdfast answer` in the same TUI, and the turn goes on after it:
    // the mission neither pauses nor counts it stalled.
    const ended = turnEnded(agent);
    if (ended === 'failed') {
      const reason = `session ${session.n}: its prompt was not delivered (${agent.lastInput?.reason ?? 'failed'})`;
      return decision(
        {
          mission: { state: 'paused', phase: 'idle', reason },
          endSession: sessionEnd(m, o, now, "the session's prompt was not delivered"),
        },
        [{ type: 'mission-paused', data: { reason } }],
      );
    }
    if (!ended) return NOTHING();
    return finished(m, o, now, true);
  }
  if (agent.state === 'waiting-input') {
    // The agent waits for a person (its tools were denied): another session would only be denied
    // again, each a paid run, so the mission pauses until the person has answered.
    const reason = `needs-input: ${agent.reason?.split(':')[0] ?? 'unknown'}`;
    return decision(
      {
        mission: { state: 'paused', phase: 'idle', reason },
        endSession: sessionEnd(
          m,
          o,
          now,
          `the agent task waits for input (${agent.reason ?? 'needs input'})`,
        ),
      },
      [
        {
          type: 'mission-paused',
          data: {
            reason,
            task: m.name,
            hint: `holdfast resume ${m.name} --unattended, then holdfast mission resume ${m.name}`,
          },
        },
      ],
    );
  }
  if (!FINAL_STATES.has(agent.state)) return NOTHING();
  if (agent.state === 'failed' || agent.state === 'stopped') {
    const why = agent.reason ? ` (${agent.reason})` : '';
    const reason = `session ${session.n} ${agent.state}${agent.reason ? `: ${agent.reason}` : ''}`;
    return decision(
      {
        mission: { state: 'paused', phase: 'idle', reason },
        endSession: sessionEnd(m, o, now, `the agent task ${agent.state}${why}`),
      },
      [{ type: 'mission-paused', data: { reason } }],
    );
  }
  return finished(m, o, now, false);
}

/**
 * Whether a live TUI's session turn is over: the agent idle (its Stop hook, codex's notify) after
 * the newest input was typed, and nothing queued. `failed`: that input was never delivered.
 */
function turnEnded(agent: AgentObserved): boolean | 'failed' {
  // The session's prompt is in the store by now: it commits with the session (same TUI), the
  // task (created) or the session's run (a new one), and `lastRun < firstRun` waited for that.
  const input = agent.lastInput;
  if (input === null || agent.openInputs > 0) return false;
  if (input.state === 'failed') return 'failed';
  if (agent.state !== 'running' || agent.activity !== 'idle' || agent.turnInFlight) return false;
  return input.folded;
}

/** The session's agent is done: to the gate, or on when the milestone was marked done. */
function finished(m: Mission, o: MissionObserved, now: number, turn: boolean): MissionDecision {
  const session = currentSession(m, o);
  const how = turn ? "the agent's turn ended" : 'the agent said it finished';
  const def = m.definition;
  const gate = effectiveGate(def, def.milestones[m.active]!);
  if (gate !== null) {
    const run = (o.gate?.lastRun ?? 0) + 1;
    return decision(
      {
        mission: { phase: 'gate', gateRun: run },
        endSession: { ...sessionEnd(m, o, now, how), gateRun: run },
      },
      [{ type: 'mission-gate', data: { session: session.n, gate, run } }],
    );
  }
  if (o.milestones[m.active]?.status === 'done') {
    const ended = sessionEnd(
      m,
      o,
      now,
      turn
        ? "the agent's turn ended and the milestone was marked done"
        : 'the agent finished and marked the milestone done',
    );
    return withSessionEnd(advance(m, o, false), ended);
  }
  return decision({
    mission: { phase: 'idle' },
    endSession: sessionEnd(m, o, now, `${how}, but did not mark the milestone done`),
  });
}

/** The gate phase: start the run it expects, then read its exit. */
function decideGate(m: Mission, o: MissionObserved, now: number): MissionDecision {
  const def = m.definition;
  const command = effectiveGate(def, def.milestones[m.active]!);
  if (m.gateRun === null || command === null) return NOTHING();
  if (o.gate === null) {
    return decision({}, [], [{ type: 'run-gate', run: m.gateRun, command, create: true, after: null }]);
  }
  if (o.gate.lastRun < m.gateRun) {
    // Only here is the gate started, and only for the run this phase expects.
    return decision(
      {},
      [],
      [{ type: 'run-gate', run: m.gateRun, command, create: false, after: o.gate.currentRunId }],
    );
  }
  const run = o.gate.expected;
  if (run === null || !run.ended) return NOTHING();
  // Cut short with its tmux server (a reboot), the gate never finished: it says nothing of the
  // work, so the same milestone's gate runs again, as the next run, and no session is spent.
  if (run.endReason === 'server-lost') {
    const next = o.gate.lastRun + 1;
    const session = currentSession(m, o);
    return decision(
      {
        mission: { gateRun: next },
        endSession: {
          n: session.n,
          endedAt: session.endedAt ?? now,
          endedHow: session.endedHow ?? 'the agent said it finished',
          gateRun: next,
        },
      },
      [{ type: 'gate-interrupted', data: { run: m.gateRun, reason: run.endReason, next } }],
    );
  }
  const passed = run.exitCode === 0 && run.signal === null;
  const endSession = {
    n: m.sessions,
    endedAt: now,
    endedHow: passed
      ? 'the gate passed'
      : `the agent said it finished, but the gate failed (${run.signal ?? `exit ${run.exitCode}`})`,
    gateExit: run.exitCode ?? -1,
  };
  const event: MissionEvent = {
    type: passed ? 'gate-passed' : 'gate-failed',
    data: { run: m.gateRun, exitCode: run.exitCode, signal: run.signal },
  };
  if (!passed) return decision({ mission: { phase: 'idle', gateRun: null }, endSession }, [event]);
  const done = { idx: m.active, status: 'done' as const, doneAt: now, doneBy: 'gate' };
  const next = advance(m, o, true);
  return {
    ...next,
    patch: { ...next.patch, endSession, milestones: [done, ...(next.patch.milestones ?? [])] },
    events: [event, ...next.events],
    actions: [
      ...next.actions,
      { type: 'checkpoint-milestone', milestone: m.active, reason: 'milestone-done' },
    ],
  };
}

/**
 * Moves past the active milestone, which is done: to the next one that is not, or the mission is
 * done. `journal`: say so here (a milestone marked by hand was journaled when it was marked).
 */
function advance(m: Mission, o: MissionObserved, journal: boolean): MissionDecision {
  const title = m.definition.milestones[m.active]!.title;
  const events: MissionEvent[] = journal ? [{ type: 'milestone-done', data: { milestone: title } }] : [];
  const next = o.milestones.find((x) => x.idx !== m.active && x.status !== 'done');
  if (!next) {
    return decision({ mission: { state: 'done', phase: 'idle', gateRun: null, reason: null } }, [
      ...events,
      { type: 'mission-done', data: { sessions: m.sessions } },
    ]);
  }
  return decision(
    {
      mission: { active: next.idx, phase: 'idle', gateRun: null },
      milestones: [{ idx: next.idx, status: 'active' }],
    },
    events,
  );
}

function pause(reason: string): MissionDecision {
  return decision({ mission: { state: 'paused', reason } }, [{ type: 'mission-paused', data: { reason } }]);
}

/** Fresh or resumed: by the setting, and in `auto` by how large the conversation has grown. */
export function chooseFresh(
  m: Pick<Mission, 'settings'>,
  sessions: readonly SessionProgress[],
  agent: Pick<AgentObserved, 'runs'>,
): boolean {
  const { continueMode, freshAfterBytes } = m.settings;
  if (continueMode !== 'auto') return continueMode === 'fresh';
  const since = [...sessions].reverse().find((s) => s.fresh)?.firstRun ?? 1;
  const bytes = agent.runs.filter((r) => r.n >= since).reduce((sum, r) => sum + r.logBytes, 0);
  return bytes >= freshAfterBytes;
}

/** What the mission has spent so far, to compare with its budget. */
export function missionUse(
  m: Pick<Mission, 'sessions' | 'startedAt'>,
  sessions: readonly Pick<SessionProgress, 'costUsd'>[],
  now: number,
): { sessions: number; hours: number; costUsd: number } {
  return { sessions: m.sessions, hours: hoursSince(m, now), costUsd: missionCost(sessions) };
}

export function missionCost(sessions: readonly Pick<SessionProgress, 'costUsd'>[]): number {
  return sessions.reduce((sum, s) => sum + (s.costUsd ?? 0), 0);
}

const hoursSince = (m: Pick<Mission, 'startedAt'>, now: number): number =>
  m.startedAt === null ? 0 : (now - m.startedAt) / 3_600_000;

function currentSession(m: Mission, o: MissionObserved): SessionProgress {
  const session = o.sessions.find((s) => s.n === m.sessions);
  if (!session) throw new Error(`mission ${m.name} is in session ${m.sessions}, which has no record`);
  return session;
}

/** The session's end, with what its runs cost (null when no run reported a cost). */
function sessionEnd(
  m: Mission,
  o: MissionObserved,
  now: number,
  endedHow: string,
): NonNullable<MissionChanges['endSession']> {
  const session = o.sessions.find((s) => s.n === m.sessions);
  let costUsd: number | null = null;
  for (const run of o.agent?.runs ?? []) {
    if (session === undefined || run.n < session.firstRun || run.costUsd === null) continue;
    costUsd = (costUsd ?? 0) + run.costUsd;
  }
  return { n: m.sessions, endedAt: now, endedHow, costUsd };
}

function withSessionEnd(d: MissionDecision, endSession: MissionChanges['endSession']): MissionDecision {
  return { ...d, patch: { ...d.patch, ...(endSession ? { endSession } : {}) } };
}
