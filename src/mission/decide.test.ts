import { describe, expect, test } from 'vitest';
import { event } from '../core/events.js';
import {
  type AgentObserved,
  chooseFresh,
  decideMission,
  type MissionAction,
  type MissionChanges,
  type MissionDecision,
  type MissionEvent,
  type MissionObserved,
} from './decide.js';
import type { MissionDefinition } from './mission-file.js';
import type { PromptFacts } from './prompt.js';
import type { MissionSettings } from './settings.js';
import type { MilestoneProgress, Mission, SessionProgress } from './types.js';

const HOUR = 3_600_000;
const NOW = 1_700_000_000_000;

const DEFINITION: MissionDefinition = {
  title: 'Tiny app',
  context: 'Make two files.',
  defaultGate: null,
  milestones: [
    { title: 'Alpha', body: 'Create a.txt.', gate: 'test -f a.txt', line: 3 },
    { title: 'Beta', body: 'Decide when done.', gate: null, line: 7 },
  ],
};

const SETTINGS: MissionSettings = {
  maxSessions: 5,
  maxHours: 12,
  maxCostUsd: null,
  continueMode: 'auto',
  freshAfterBytes: 1000,
  stallTimeoutMs: 600_000,
  umask: '022',
};

const mission = (over: Partial<Mission> = {}): Mission => ({
  name: 'tiny',
  cwd: '/work/tiny',
  definition: DEFINITION,
  settings: SETTINGS,
  state: 'running',
  reason: null,
  phase: 'idle',
  active: 0,
  gateRun: null,
  sessions: 0,
  startedAt: NOW - HOUR,
  ...over,
});

const milestone = (idx: number, over: Partial<MilestoneProgress> = {}): MilestoneProgress => ({
  idx,
  status: idx === 0 ? 'active' : 'pending',
  baseCommit: idx === 0 ? 'c0ffee' : null,
  startedAt: idx === 0 ? NOW - HOUR : null,
  ...over,
});

const session = (n: number, over: Partial<SessionProgress> = {}): SessionProgress => ({
  n,
  milestone: 0,
  firstRun: n,
  fresh: n === 1,
  endedAt: null,
  endedHow: null,
  gateRun: null,
  costUsd: null,
  ...over,
});

const ended = (n: number, over: Partial<SessionProgress> = {}): SessionProgress =>
  session(n, {
    endedAt: NOW - HOUR / 2,
    endedHow: 'the agent said it finished, but the gate failed (exit 1)',
    gateRun: n,
    costUsd: 0.5,
    ...over,
  });

const agent = (over: Partial<AgentObserved> = {}): AgentObserved => ({
  state: 'running',
  reason: null,
  lastRun: 1,
  currentRunId: 11,
  live: true,
  runs: [{ n: 1, logBytes: 100, costUsd: 0.25 }],
  interactive: false,
  activity: null,
  turnInFlight: false,
  openInputs: 0,
  lastInput: null,
  ...over,
});

/** The agent task after its run `lastRun` ended as `state`. */
const agentEnded = (state: AgentObserved['state'], over: Partial<AgentObserved> = {}): AgentObserved =>
  agent({ state, live: false, ...over });

const FACTS: PromptFacts = {
  lastAgentMessage: 'made a, the gate may fail',
  diff: {
    entries: [{ path: 'a.txt', insertions: 1, deletions: 0, binary: false }],
    summary: ' 1 file changed, 1 insertion(+)',
  },
  lastGate: { exitCode: 1, logTail: 'no a.txt\r\n' },
};

const observed = (over: Partial<MissionObserved> = {}): MissionObserved => ({
  milestones: [milestone(0), milestone(1)],
  sessions: [],
  agent: null,
  gate: null,
  prompt: null,
  ...over,
});

const decided = (
  patch: MissionChanges = {},
  events: MissionEvent[] = [],
  actions: MissionAction[] = [],
): MissionDecision => ({ patch, events, actions, needsPromptFacts: false });
const NOTHING = decided();
const NEEDS_PROMPT: MissionDecision = { ...decided(), needsPromptFacts: true };
const paused = (reason: string): MissionEvent => event('mission-paused', { reason });

const firstPrompt = expect.stringContaining('You are working through this mission');
const continuation = (session: number) =>
  expect.stringContaining(`This is session ${session} on the milestone "Alpha"`);

type Row = [title: string, mission: Mission, observed: MissionObserved, expected: MissionDecision];

const done: Row[] = [
  [
    'a done mission does nothing',
    mission({ state: 'done' }),
    observed({ agent: agentEnded('succeeded') }),
    NOTHING,
  ],
];

const pending: Row[] = [
  [
    'a pending mission waits for mission start',
    mission({ state: 'pending', startedAt: null }),
    observed(),
    NOTHING,
  ],
  [
    'a pending mission whose active milestone was marked done by hand moves to the next',
    mission({ state: 'pending', startedAt: null }),
    observed({ milestones: [milestone(0, { status: 'done' }), milestone(1)] }),
    decided({
      mission: { active: 1, phase: 'idle', gateRun: null },
      milestones: [{ idx: 1, status: 'active' }],
    }),
  ],
  [
    'a pending mission whose milestones were all marked done by hand is done',
    mission({ state: 'pending', startedAt: null, active: 1 }),
    observed({ milestones: [milestone(0, { status: 'done' }), milestone(1, { status: 'done' })] }),
    decided({ mission: { state: 'done', phase: 'idle', gateRun: null, reason: null } }, [
      { type: 'mission-done', data: { sessions: 0 } },
    ]),
  ],
];

const pausedRows: Row[] = [
  [
    'a paused mission between sessions waits for mission resume',
    mission({ state: 'paused', reason: 'max-sessions (5)', sessions: 5 }),
    observed({ agent: agentEnded('succeeded') }),
    NOTHING,
  ],
  [
    'a paused mission leaves alone a run the user resumed by hand',
    mission({ state: 'paused', reason: 'needs-input: permission-denied', sessions: 1 }),
    observed({ sessions: [ended(1)], agent: agent({ lastRun: 2, currentRunId: 12 }) }),
    NOTHING,
  ],
  [
    'pausing during a session ends that session and stops its run',
    mission({ state: 'paused', reason: 'paused by user', phase: 'session', sessions: 1 }),
    observed({ sessions: [session(1)], agent: agent() }),
    decided(
      {
        mission: { phase: 'idle' },
        endSession: { n: 1, endedAt: NOW, endedHow: 'the mission was paused', costUsd: 0.25 },
      },
      [],
      [{ type: 'stop-session', reason: 'mission paused' }],
    ),
  ],
  [
    'pausing during a session whose run is still to start keeps it from starting',
    mission({ state: 'paused', reason: 'paused by user', phase: 'session', sessions: 2 }),
    observed({
      sessions: [ended(1), session(2)],
      agent: agentEnded('backoff', { runs: [{ n: 1, logBytes: 5, costUsd: 0.5 }] }),
    }),
    decided(
      {
        mission: { phase: 'idle' },
        endSession: { n: 2, endedAt: NOW, endedHow: 'the mission was paused', costUsd: null },
      },
      [],
      [{ type: 'stop-session', reason: 'mission paused' }],
    ),
  ],
  [
    'pausing during a session whose run had already ended only ends the session',
    mission({ state: 'paused', reason: 'paused by user', phase: 'session', sessions: 1 }),
    observed({
      sessions: [session(1)],
      agent: agentEnded('succeeded', { runs: [{ n: 1, logBytes: 5, costUsd: null }] }),
    }),
    decided({
      mission: { phase: 'idle' },
      endSession: { n: 1, endedAt: NOW, endedHow: 'the mission was paused', costUsd: null },
    }),
  ],
  [
    'a paused mission with its gate under way waits for the resume to read it',
    mission({ state: 'paused', reason: 'paused by user', phase: 'gate', gateRun: 1, sessions: 1 }),
    observed({
      sessions: [session(1, { gateRun: 1 })],
      agent: agentEnded('succeeded'),
      gate: {
        lastRun: 1,
        currentRunId: 21,
        expected: { ended: true, exitCode: 0, signal: null, endReason: null },
      },
    }),
    NOTHING,
  ],
  [
    'a paused mission whose active milestone was marked done by hand moves to the next, still paused',
    mission({ state: 'paused', reason: 'paused by user', sessions: 1 }),
    observed({ milestones: [milestone(0, { status: 'done' }), milestone(1)], sessions: [ended(1)] }),
    decided({
      mission: { active: 1, phase: 'idle', gateRun: null },
      milestones: [{ idx: 1, status: 'active' }],
    }),
  ],
];

const idle: Row[] = [
  [
    'between sessions, a milestone marked done by hand moves the mission to the next',
    mission({ sessions: 1 }),
    observed({ milestones: [milestone(0, { status: 'done' }), milestone(1)], sessions: [ended(1)] }),
    decided({
      mission: { active: 1, phase: 'idle', gateRun: null },
      milestones: [{ idx: 1, status: 'active' }],
    }),
  ],
  [
    'between sessions, the last milestone marked done by hand finishes the mission',
    mission({ sessions: 2, active: 1 }),
    observed({ milestones: [milestone(0, { status: 'done' }), milestone(1, { status: 'done' })] }),
    decided({ mission: { state: 'done', phase: 'idle', gateRun: null, reason: null } }, [
      { type: 'mission-done', data: { sessions: 2 } },
    ]),
  ],
  [
    'the sessions budget used up pauses the mission instead of starting another (max-sessions)',
    mission({ sessions: 5 }),
    observed({
      sessions: [1, 2, 3, 4, 5].map((n) => ended(n)),
      agent: agentEnded('succeeded', { lastRun: 5 }),
    }),
    decided({ mission: { state: 'paused', reason: 'max-sessions (5)' } }, [paused('max-sessions (5)')]),
  ],
  [
    'the hours budget used up pauses the mission between sessions (max-hours)',
    mission({ sessions: 1, startedAt: NOW - 12 * HOUR }),
    observed({ sessions: [ended(1)], agent: agentEnded('succeeded') }),
    decided({ mission: { state: 'paused', reason: 'max-hours (12)' } }, [paused('max-hours (12)')]),
  ],
  [
    'the cost budget used up pauses the mission (max-cost)',
    mission({ sessions: 2, settings: { ...SETTINGS, maxCostUsd: 1 } }),
    observed({
      sessions: [ended(1, { costUsd: 0.5 }), ended(2, { costUsd: 0.5 })],
      agent: agentEnded('succeeded'),
    }),
    decided({ mission: { state: 'paused', reason: 'max-cost ($1)' } }, [paused('max-cost ($1)')]),
  ],
  [
    'a run the user resumed by hand is left to end before the next session starts',
    mission({ sessions: 1 }),
    observed({ sessions: [ended(1)], agent: agent({ lastRun: 2, currentRunId: 12 }), prompt: FACTS }),
    NOTHING,
  ],
  [
    'a milestone not started yet gets its base checkpoint before its first session',
    mission({ sessions: 1, active: 1 }),
    observed({
      milestones: [milestone(0, { status: 'done' }), milestone(1, { status: 'active' })],
      sessions: [ended(1)],
    }),
    decided({}, [], [{ type: 'checkpoint-milestone', milestone: 1, reason: 'milestone-start' }]),
  ],
  [
    'a session about to start asks for the facts its prompt quotes first',
    mission(),
    observed(),
    NEEDS_PROMPT,
  ],
  [
    'the first session creates the agent task with the first prompt, expecting its run 1',
    mission(),
    observed({ prompt: FACTS }),
    decided(
      {
        mission: { phase: 'session', sessions: 1 },
        newSession: { n: 1, milestone: 0, firstRun: 1, fresh: true, startedAt: NOW },
      },
      [{ type: 'mission-session', data: { session: 1, milestone: 'Alpha', fresh: true } }],
      [{ type: 'create-session-task', prompt: firstPrompt }],
    ),
  ],
  [
    'a continuation resumes the conversation while it is small (auto), guarded by the run it saw',
    mission({ sessions: 1 }),
    observed({ sessions: [ended(1)], agent: agentEnded('succeeded'), prompt: FACTS }),
    decided(
      {
        mission: { phase: 'session', sessions: 2 },
        newSession: { n: 2, milestone: 0, firstRun: 2, fresh: false, startedAt: NOW },
      },
      [{ type: 'mission-session', data: { session: 2, milestone: 'Alpha', fresh: false } }],
      [{ type: 'start-session', prompt: continuation(2), fresh: false, after: 11 }],
    ),
  ],
  [
    'a continuation starts a fresh conversation once the log passes --fresh-after (auto)',
    mission({ sessions: 1 }),
    observed({
      sessions: [ended(1)],
      agent: agentEnded('succeeded', { runs: [{ n: 1, logBytes: 1000, costUsd: 0.5 }] }),
      prompt: FACTS,
    }),
    decided(
      {
        mission: { phase: 'session', sessions: 2 },
        newSession: { n: 2, milestone: 0, firstRun: 2, fresh: true, startedAt: NOW },
      },
      [{ type: 'mission-session', data: { session: 2, milestone: 'Alpha', fresh: true } }],
      [{ type: 'start-session', prompt: continuation(2), fresh: true, after: 11 }],
    ),
  ],
];

const sessionRows: Row[] = [
  [
    'a session whose agent task was never created (its creator died) asks for its prompt facts',
    mission({ phase: 'session', sessions: 1 }),
    observed({ sessions: [session(1)] }),
    NEEDS_PROMPT,
  ],
  [
    'a session whose agent task was never created gets it, with the prompt it was meant for',
    mission({ phase: 'session', sessions: 1 }),
    observed({ sessions: [session(1)], prompt: FACTS }),
    decided({}, [], [{ type: 'create-session-task', prompt: firstPrompt }]),
  ],
  [
    'a session still working past max-hours is stopped, and the mission paused',
    mission({ phase: 'session', sessions: 1, startedAt: NOW - 13 * HOUR }),
    observed({ sessions: [session(1)], agent: agent() }),
    decided(
      {
        mission: { state: 'paused', reason: 'max-hours (12)', phase: 'idle' },
        endSession: {
          n: 1,
          endedAt: NOW,
          endedHow: "the mission's budget ran out: max-hours (12)",
          costUsd: 0.25,
        },
      },
      [paused('max-hours (12)')],
      [{ type: 'stop-session', reason: 'max-hours (12)' }],
    ),
  ],
  [
    'a session whose first run has not started yet waits (the last run is an earlier session’s)',
    mission({ phase: 'session', sessions: 2 }),
    observed({ sessions: [ended(1), session(2)], agent: agentEnded('succeeded', { lastRun: 1 }) }),
    NOTHING,
  ],
  [
    'a session still working is waited for',
    mission({ phase: 'session', sessions: 1 }),
    observed({ sessions: [session(1)], agent: agent() }),
    NOTHING,
  ],
  [
    'a session restarting after a crash is waited for',
    mission({ phase: 'session', sessions: 1 }),
    observed({ sessions: [session(1)], agent: agentEnded('backoff', { reason: 'exit 1' }) }),
    NOTHING,
  ],
  [
    'an agent waiting for input pauses the mission (needs-input) instead of paying for another session',
    mission({ phase: 'session', sessions: 1 }),
    observed({
      sessions: [session(1)],
      agent: agentEnded('waiting-input', { reason: 'permission-denied: Bash' }),
    }),
    decided(
      {
        mission: { state: 'paused', phase: 'idle', reason: 'needs-input: permission-denied' },
        endSession: {
          n: 1,
          endedAt: NOW,
          endedHow: 'the agent task waits for input (permission-denied: Bash)',
          costUsd: 0.25,
        },
      },
      [
        {
          type: 'mission-paused',
          data: {
            reason: 'needs-input: permission-denied',
            task: 'tiny',
            hint: 'holdfast resume tiny --unattended, then holdfast mission resume tiny',
          },
        },
      ],
    ),
  ],
  [
    'a session whose agent failed pauses the mission, saying how',
    mission({ phase: 'session', sessions: 1 }),
    observed({ sessions: [session(1)], agent: agentEnded('failed', { reason: 'auth' }) }),
    decided(
      {
        mission: { state: 'paused', phase: 'idle', reason: 'session 1 failed: auth' },
        endSession: { n: 1, endedAt: NOW, endedHow: 'the agent task failed (auth)', costUsd: 0.25 },
      },
      [paused('session 1 failed: auth')],
    ),
  ],
  [
    'a session whose agent task was stopped by someone pauses the mission',
    mission({ phase: 'session', sessions: 1 }),
    observed({ sessions: [session(1)], agent: agentEnded('stopped') }),
    decided(
      {
        mission: { state: 'paused', phase: 'idle', reason: 'session 1 stopped' },
        endSession: { n: 1, endedAt: NOW, endedHow: 'the agent task stopped', costUsd: 0.25 },
      },
      [paused('session 1 stopped')],
    ),
  ],
  [
    "a finished session hands over to the gate, expecting the gate task's next run, with what its runs cost",
    mission({ phase: 'session', sessions: 2 }),
    observed({
      sessions: [ended(1), session(2, { firstRun: 2 })],
      agent: agentEnded('succeeded', {
        lastRun: 3,
        runs: [
          { n: 1, logBytes: 10, costUsd: 0.5 },
          { n: 2, logBytes: 10, costUsd: 0.25 },
          { n: 3, logBytes: 10, costUsd: 0.5 },
        ],
      }),
      gate: { lastRun: 1, currentRunId: 21, expected: null },
    }),
    decided(
      {
        mission: { phase: 'gate', gateRun: 2 },
        endSession: { n: 2, endedAt: NOW, endedHow: 'the agent said it finished', costUsd: 0.75, gateRun: 2 },
      },
      [{ type: 'mission-gate', data: { session: 2, gate: 'test -f a.txt', run: 2 } }],
    ),
  ],
  [
    'the first finished session expects gate run 1 of a gate task not created yet',
    mission({ phase: 'session', sessions: 1 }),
    observed({ sessions: [session(1)], agent: agentEnded('succeeded') }),
    decided(
      {
        mission: { phase: 'gate', gateRun: 1 },
        endSession: { n: 1, endedAt: NOW, endedHow: 'the agent said it finished', costUsd: 0.25, gateRun: 1 },
      },
      [{ type: 'mission-gate', data: { session: 1, gate: 'test -f a.txt', run: 1 } }],
    ),
  ],
  [
    'a finished session on a milestone without a gate, marked done, moves the mission on',
    mission({ phase: 'session', sessions: 2, active: 1 }),
    observed({
      milestones: [milestone(0, { status: 'done' }), milestone(1, { status: 'done' })],
      sessions: [ended(1), session(2, { milestone: 1, firstRun: 2 })],
      agent: agentEnded('succeeded', { lastRun: 2, runs: [{ n: 2, logBytes: 1, costUsd: 1 }] }),
    }),
    decided(
      {
        mission: { state: 'done', phase: 'idle', gateRun: null, reason: null },
        endSession: {
          n: 2,
          endedAt: NOW,
          endedHow: 'the agent finished and marked the milestone done',
          costUsd: 1,
        },
      },
      [{ type: 'mission-done', data: { sessions: 2 } }],
    ),
  ],
  [
    'a finished session on a milestone without a gate, not marked done, is followed by a continuation',
    mission({ phase: 'session', sessions: 2, active: 1 }),
    observed({
      milestones: [milestone(0, { status: 'done' }), milestone(1, { status: 'active' })],
      sessions: [ended(1), session(2, { milestone: 1, firstRun: 2 })],
      agent: agentEnded('succeeded', { lastRun: 2, runs: [] }),
    }),
    decided({
      mission: { phase: 'idle' },
      endSession: {
        n: 2,
        endedAt: NOW,
        endedHow: 'the agent said it finished, but did not mark the milestone done',
        costUsd: null,
      },
    }),
  ],
];

const gateMission = (over: Partial<Mission> = {}) =>
  mission({ phase: 'gate', gateRun: 2, sessions: 2, ...over });
const gateSessions = [
  ended(1),
  session(2, { gateRun: 2, endedAt: NOW - 1000, endedHow: 'the agent said it finished' }),
];

const gate: Row[] = [
  [
    'a gate whose task does not exist yet is created (its run 1)',
    gateMission({ gateRun: 1, sessions: 1 }),
    observed({ sessions: [session(1, { gateRun: 1 })], agent: agentEnded('succeeded') }),
    decided({}, [], [{ type: 'run-gate', run: 1, command: 'test -f a.txt', create: true, after: null }]),
  ],
  [
    "a gate run not started yet is started, guarded by the gate task's run the pass saw",
    gateMission(),
    observed({
      sessions: gateSessions,
      agent: agentEnded('succeeded', { lastRun: 2 }),
      gate: { lastRun: 1, currentRunId: 21, expected: null },
    }),
    decided({}, [], [{ type: 'run-gate', run: 2, command: 'test -f a.txt', create: false, after: 21 }]),
  ],
  [
    'a gate run under way is waited for',
    gateMission(),
    observed({
      sessions: gateSessions,
      agent: agentEnded('succeeded', { lastRun: 2 }),
      gate: {
        lastRun: 2,
        currentRunId: 22,
        expected: { ended: false, exitCode: null, signal: null, endReason: null },
      },
    }),
    NOTHING,
  ],
  [
    'a passing gate marks the milestone done, checkpoints it and moves to the next milestone',
    gateMission(),
    observed({
      sessions: gateSessions,
      agent: agentEnded('succeeded', { lastRun: 2 }),
      gate: {
        lastRun: 2,
        currentRunId: 22,
        expected: { ended: true, exitCode: 0, signal: null, endReason: null },
      },
    }),
    decided(
      {
        mission: { active: 1, phase: 'idle', gateRun: null },
        milestones: [
          { idx: 0, status: 'done', doneAt: NOW, doneBy: 'gate' },
          { idx: 1, status: 'active' },
        ],
        endSession: { n: 2, endedAt: NOW, endedHow: 'the gate passed', gateExit: 0 },
      },
      [
        { type: 'gate-passed', data: { run: 2, exitCode: 0, signal: null } },
        { type: 'milestone-done', data: { milestone: 'Alpha' } },
      ],
      [{ type: 'checkpoint-milestone', milestone: 0, reason: 'milestone-done' }],
    ),
  ],
  [
    "the last milestone's gate passing finishes the mission",
    gateMission(),
    observed({
      milestones: [milestone(0), milestone(1, { status: 'done' })],
      sessions: gateSessions,
      agent: agentEnded('succeeded', { lastRun: 2 }),
      gate: {
        lastRun: 2,
        currentRunId: 22,
        expected: { ended: true, exitCode: 0, signal: null, endReason: null },
      },
    }),
    decided(
      {
        mission: { state: 'done', phase: 'idle', gateRun: null, reason: null },
        milestones: [{ idx: 0, status: 'done', doneAt: NOW, doneBy: 'gate' }],
        endSession: { n: 2, endedAt: NOW, endedHow: 'the gate passed', gateExit: 0 },
      },
      [
        { type: 'gate-passed', data: { run: 2, exitCode: 0, signal: null } },
        { type: 'milestone-done', data: { milestone: 'Alpha' } },
        { type: 'mission-done', data: { sessions: 2 } },
      ],
      [{ type: 'checkpoint-milestone', milestone: 0, reason: 'milestone-done' }],
    ),
  ],
  [
    'a failing gate sends the mission back for a continuation session',
    gateMission(),
    observed({
      sessions: gateSessions,
      agent: agentEnded('succeeded', { lastRun: 2 }),
      gate: {
        lastRun: 2,
        currentRunId: 22,
        expected: { ended: true, exitCode: 1, signal: null, endReason: null },
      },
    }),
    decided(
      {
        mission: { phase: 'idle', gateRun: null },
        endSession: {
          n: 2,
          endedAt: NOW,
          endedHow: 'the agent said it finished, but the gate failed (exit 1)',
          gateExit: 1,
        },
      },
      [{ type: 'gate-failed', data: { run: 2, exitCode: 1, signal: null } }],
    ),
  ],
  [
    'a gate killed by a signal has failed, whatever its status',
    gateMission(),
    observed({
      sessions: gateSessions,
      agent: agentEnded('succeeded', { lastRun: 2 }),
      gate: {
        lastRun: 2,
        currentRunId: 22,
        expected: { ended: true, exitCode: null, signal: 'SIGKILL', endReason: null },
      },
    }),
    decided(
      {
        mission: { phase: 'idle', gateRun: null },
        endSession: {
          n: 2,
          endedAt: NOW,
          endedHow: 'the agent said it finished, but the gate failed (SIGKILL)',
          gateExit: -1,
        },
      },
      [{ type: 'gate-failed', data: { run: 2, exitCode: null, signal: 'SIGKILL' } }],
    ),
  ],
  [
    'a gate run cut short by a reboot (server lost) did not run: the same milestone expects the next gate run, no new session',
    gateMission(),
    observed({
      sessions: gateSessions,
      agent: agentEnded('succeeded', { lastRun: 2 }),
      gate: {
        lastRun: 2,
        currentRunId: 22,
        expected: { ended: true, exitCode: null, signal: null, endReason: 'server-lost' },
      },
    }),
    decided(
      {
        mission: { gateRun: 3 },
        endSession: { n: 2, endedAt: NOW - 1000, endedHow: 'the agent said it finished', gateRun: 3 },
      },
      [{ type: 'gate-interrupted', data: { run: 2, reason: 'server-lost', next: 3 } }],
    ),
  ],
  [
    'the run that replaces a gate run cut short is started, guarded by the cut run',
    gateMission({ gateRun: 3 }),
    observed({
      sessions: [
        ended(1),
        session(2, { gateRun: 3, endedAt: NOW - 1000, endedHow: 'the agent said it finished' }),
      ],
      agent: agentEnded('succeeded', { lastRun: 2 }),
      gate: {
        lastRun: 2,
        currentRunId: 22,
        expected: null,
      },
    }),
    decided({}, [], [{ type: 'run-gate', run: 3, command: 'test -f a.txt', create: false, after: 22 }]),
  ],
];

/** An interactive agent's live TUI, idle, its newest input confirmed and that turn's start folded. */
const tui = (over: Partial<AgentObserved> = {}): AgentObserved =>
  agent({
    interactive: true,
    activity: 'idle',
    lastInput: { state: 'confirmed', reason: null, folded: true },
    ...over,
  });
const resumeMode = { ...SETTINGS, continueMode: 'resume' as const };
const tuiSession = session(1);

const interactive: Row[] = [
  [
    'a live idle TUI gets the continuation prompt as an input in its current run, no new run',
    mission({ sessions: 1, settings: resumeMode }),
    observed({ sessions: [ended(1)], agent: tui(), prompt: FACTS }),
    decided(
      {
        mission: { phase: 'session', sessions: 2 },
        newSession: { n: 2, milestone: 0, firstRun: 1, fresh: false, startedAt: NOW },
      },
      [event('mission-session', { session: 2, milestone: 'Alpha', fresh: false })],
      [{ type: 'queue-session-prompt', prompt: continuation(2) }],
    ),
  ],
  [
    'a live TUI that works (a human sent it something) is not given the next prompt yet',
    mission({ sessions: 1, settings: resumeMode }),
    observed({ sessions: [ended(1)], agent: tui({ activity: 'working' }), prompt: FACTS }),
    NOTHING,
  ],
  [
    'a live TUI with an input still to deliver is not given the next prompt yet',
    mission({ sessions: 1, settings: resumeMode }),
    observed({ sessions: [ended(1)], agent: tui({ openInputs: 1 }), prompt: FACTS }),
    NOTHING,
  ],
  [
    'a fresh session for a live TUI ends the TUI first (a new run follows once it has stopped)',
    mission({ sessions: 1, settings: { ...SETTINGS, continueMode: 'fresh' } }),
    observed({ sessions: [ended(1)], agent: tui(), prompt: FACTS }),
    decided({}, [], [{ type: 'stop-session', reason: 'a fresh session' }]),
  ],
  [
    'a TUI waiting for an answer keeps its session: the mission neither pauses nor moves on',
    mission({ phase: 'session', sessions: 1 }),
    observed({
      sessions: [tuiSession],
      agent: tui({ state: 'waiting-input', reason: 'permission: Bash', activity: 'waiting-input' }),
    }),
    NOTHING,
  ],
  [
    'the TUI idle after the session prompt was typed, nothing queued: the turn ended, the gate runs',
    mission({ phase: 'session', sessions: 1 }),
    observed({ sessions: [tuiSession], agent: tui() }),
    decided(
      {
        mission: { phase: 'gate', gateRun: 1 },
        endSession: { n: 1, endedAt: NOW, endedHow: "the agent's turn ended", costUsd: 0.25, gateRun: 1 },
      },
      [event('mission-gate', { session: 1, gate: 'test -f a.txt', run: 1 })],
    ),
  ],
  [
    "an idle seen before the prompt's UserPromptSubmit was folded is not the end of its turn",
    mission({ phase: 'session', sessions: 1 }),
    observed({
      sessions: [tuiSession],
      agent: tui({ lastInput: { state: 'confirmed', reason: null, folded: false } }),
    }),
    NOTHING,
  ],
  [
    'a turn still in flight (its Stop not seen yet) is waited for',
    mission({ phase: 'session', sessions: 1 }),
    observed({ sessions: [tuiSession], agent: tui({ turnInFlight: true }) }),
    NOTHING,
  ],
  [
    'a session prompt still being typed is waited for',
    mission({ phase: 'session', sessions: 1 }),
    observed({
      sessions: [tuiSession],
      agent: tui({ openInputs: 1, lastInput: { state: 'sent', reason: null, folded: false } }),
    }),
    NOTHING,
  ],
  [
    "a session prompt that could not be delivered pauses the mission with the deliverer's reason",
    mission({ phase: 'session', sessions: 1 }),
    observed({
      sessions: [tuiSession],
      agent: tui({
        lastInput: { state: 'failed', reason: 'never taken', folded: false },
      }),
    }),
    decided(
      {
        mission: {
          state: 'paused',
          phase: 'idle',
          reason: 'session 1: its prompt was not delivered (never taken)',
        },
        endSession: {
          n: 1,
          endedAt: NOW,
          endedHow: "the session's prompt was not delivered",
          costUsd: 0.25,
        },
      },
      [paused('session 1: its prompt was not delivered (never taken)')],
    ),
  ],
];

describe('decideMission', () => {
  test.each(interactive)('interactive agent: %s', (_title, m, o, expected) => {
    expect(decideMission(m, o, NOW)).toEqual(expected);
  });

  test.each([
    ...done.map((r) => ['done', ...r] as const),
    ...pending.map((r) => ['pending', ...r] as const),
    ...pausedRows.map((r) => ['paused', ...r] as const),
    ...idle.map((r) => ['running, idle', ...r] as const),
    ...sessionRows.map((r) => ['running, session', ...r] as const),
    ...gate.map((r) => ['running, gate', ...r] as const),
  ])('%s: %s', (_state, _title, m, o, expected) => {
    expect(decideMission(m, o, NOW)).toEqual(expected);
  });

  test('every state of the mission is in the table', () => {
    const rows = [...done, ...pending, ...pausedRows, ...idle, ...sessionRows, ...gate];
    const seen = new Set(rows.map(([, m]) => `${m.state}/${m.phase}`));
    for (const state of ['pending', 'running', 'paused', 'done'])
      expect(
        [...seen].some((s) => s.startsWith(`${state}/`)),
        state,
      ).toBe(true);
    for (const phase of ['idle', 'session', 'gate']) {
      expect(seen.has(`running/${phase}`), phase).toBe(true);
      expect(seen.has(`paused/${phase}`), phase).toBe(true);
    }
  });

  test('the continuation prompt quotes how the last session ended, its last message, the diff and the gate output', () => {
    const d = decideMission(
      mission({ sessions: 1 }),
      observed({ sessions: [ended(1)], agent: agentEnded('succeeded'), prompt: FACTS }),
      NOW,
    );
    const action = d.actions[0]!;
    expect(action.type).toBe('start-session');
    const prompt = action.type === 'start-session' ? action.prompt : '';
    for (const part of [
      'The agent said it finished, but the gate failed (exit 1)',
      '> made a, the gate may fail',
      'a.txt | 1 +',
      ' 1 file changed, 1 insertion(+)',
      '`test -f a.txt` exited with 1',
      'no a.txt',
    ]) {
      expect(prompt).toContain(part);
    }
    expect(prompt).not.toContain('\r');
  });

  test('deciding does not change its inputs', () => {
    const m = mission({ phase: 'gate', gateRun: 2, sessions: 2 });
    const o = observed({
      sessions: gateSessions,
      agent: agentEnded('succeeded', { lastRun: 2 }),
      gate: {
        lastRun: 2,
        currentRunId: 22,
        expected: { ended: true, exitCode: 0, signal: null, endReason: null },
      },
    });
    const before = JSON.stringify([m, o]);
    decideMission(m, o, NOW);
    expect(JSON.stringify([m, o])).toBe(before);
  });
});

describe('chooseFresh', () => {
  const runs = [
    { n: 1, logBytes: 600, costUsd: null },
    { n: 2, logBytes: 300, costUsd: null },
    { n: 3, logBytes: 300, costUsd: null },
  ];
  test.each([
    [
      'auto counts the conversation from the last fresh session on',
      'auto',
      [session(1), session(2, { firstRun: 2, fresh: true })],
      false,
    ],
    [
      'auto starts fresh once the conversation since the first session passes the limit',
      'auto',
      [session(1)],
      true,
    ],
    ['resume always resumes, however large', 'resume', [session(1)], false],
    ['fresh always starts fresh, however small', 'fresh', [session(3, { firstRun: 3, fresh: true })], true],
  ] as const)('%s', (_title, continueMode, sessions, expected) => {
    expect(chooseFresh({ settings: { ...SETTINGS, continueMode } }, sessions, { runs })).toBe(expected);
  });
});
