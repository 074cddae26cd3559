import { describe, expect, it } from 'vitest';
import { decide, type Observed, type RunView } from './decide.js';
import type { MissionEvent } from './events.js';
import { INITIAL_TUI, type Question, type TuiState } from './interactive.js';
import {
  missionNotificationsFor,
  type NotificationDraft,
  type NotifiedEvent,
  notificationsFor,
  type RecentNotification,
  SCREEN_FLAP_MS,
} from './notifications.js';
import {
  type AgentSpec,
  DEFAULT_RESTART_POLICY,
  INITIAL_SUPERVISION,
  type TaskRecord,
  type TaskSpec,
} from './task.js';

const T0 = 1_800_000_000_000;
const RUN = { id: 5, n: 1, cause: 'start' as const, startedAt: T0, pid: 100, starterPid: 1 };

function spec(over: Partial<TaskSpec> = {}): TaskSpec {
  return {
    command: ['x'],
    cwd: '/',
    umask: '022',
    restart: { ...DEFAULT_RESTART_POLICY, mode: 'on-failure' },
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
    id: 7,
    name: 'job',
    spec: spec(),
    desired: 'running',
    state: 'running',
    reason: null,
    restarts: 0,
    nextStartAt: null,
    createdAt: T0,
    updatedAt: T0,
    currentRunId: RUN.id,
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

/**
 * The decider driven with a fake clock, each decision's patch applied as the store would, and its
 * notifications put through a set of keys as the outbox's UNIQUE key does: what comes out is what
 * would be sent.
 */
class Sim {
  sent: NotificationDraft[] = [];
  keys = new Set<string>();
  constructor(public t: TaskRecord) {}

  step(now: number, o: Partial<Observed> & { lastOutputAt?: number }): void {
    const { lastOutputAt, ...rest } = o;
    const observed: Observed = {
      run: { ...RUN, endedAt: null, lastOutputAt: lastOutputAt ?? T0 },
      lastRunN: 1,
      firstStartedAt: T0,
      pane: { kind: 'alive', pid: 100 },
      agent: null,
      checkpoint: null,
      intents: [],
      jitter: 0.5,
      ...rest,
    };
    const d = decide(this.t, observed, now);
    const before = this.t;
    this.t = { ...this.t, ...d.patch };
    const events = d.events.map(
      (e) =>
        ({
          ...e,
          run: e.runId === null || e.runId === 'new' ? null : { id: e.runId, n: 1 },
        }) as NotifiedEvent,
    );
    const recent: RecentNotification[] = this.sent.map((n) => ({
      key: n.key,
      event: n.event,
      runId: n.runId,
      createdAt: Date.parse(n.body.at),
      data: n.body.data,
    }));
    for (const n of notificationsFor(before, this.t, events, now, recent)) {
      if (this.keys.has(n.key)) continue;
      this.keys.add(n.key);
      this.sent.push(n);
    }
  }
}

const AGENT: AgentSpec = {
  kind: 'claude',
  model: null,
  unattended: false,
  onLimit: 'wait',
  limitBackoffMs: [60_000],
  extraArgs: [],
  interactive: true,
};

function question(id: string, via: 'hook' | 'screen', at: number): Question {
  return {
    id,
    kind: 'permission',
    tool: 'Bash',
    input: 'npm test',
    options: ['Yes', 'No'],
    askedAt: at,
    via,
  };
}

const tui = (over: Partial<TuiState>): TuiState => ({ ...INITIAL_TUI, activity: 'working', ...over });

describe('notificationsFor: once per episode', () => {
  it('a command flapping between running and stalled 5 times in one run notifies `stalled` once (--on-stall notify)', () => {
    const sim = new Sim(task({ spec: spec({ stallTimeoutMs: 2000, onStall: 'notify' }) }));
    let now = T0;
    for (let flap = 0; flap < 5; flap++) {
      const output = now;
      now += 2500;
      sim.step(now, { lastOutputAt: output });
      expect(sim.t.state, `flap ${flap}`).toBe('stalled');
      now += 100;
      sim.step(now, { lastOutputAt: now - 50 });
      expect(sim.t.state, `flap ${flap}`).toBe('running');
    }
    expect(sim.sent.map((n) => [n.event, n.key])).toEqual([['stalled', 'task/7/run/5/stalled']]);
    expect(sim.sent[0]!.body).toMatchObject({
      task: 'job',
      state: 'stalled',
      run: 1,
      data: { action: 'notify', idleMs: 2500 },
    });
  });

  it('the next run stalling is a new episode', () => {
    const drafts = (runId: number) =>
      notificationsFor(
        task(),
        task({ state: 'stalled' }),
        [{ type: 'stalled', data: { idleMs: 1, action: 'notify' }, run: { id: runId, n: runId } }],
        T0,
      ).map((n) => n.key);
    expect(drafts(5)).not.toEqual(drafts(6));
  });

  it('a question asked through the hook, closed and asked again (same id) notifies once; a new question notifies again', () => {
    const sim = new Sim(task({ spec: spec({ agent: AGENT }), tui: tui({}) }));
    const q1 = question('hook-1', 'hook', T0 + 1000);
    sim.step(T0 + 1000, { tui: tui({ question: q1, activity: 'waiting-input' }) });
    expect(sim.t.state).toBe('waiting-input');
    sim.step(T0 + 2000, { tui: tui({ question: null }) });
    expect(sim.t.state).toBe('running');
    sim.step(T0 + 3000, { tui: tui({ question: q1, activity: 'waiting-input' }) });
    sim.step(T0 + 4000, { tui: tui({ question: null }) });
    sim.step(T0 + 5000, {
      tui: tui({ question: question('hook-2', 'hook', T0 + 5000), activity: 'waiting-input' }),
    });
    expect(sim.sent.map((n) => n.key)).toEqual([
      'task/7/run/5/needs-input/hook-1',
      'task/7/run/5/needs-input/hook-2',
    ]);
    expect(sim.sent[0]!.body.data).toEqual({
      questionId: 'hook-1',
      kind: 'permission',
      tool: 'Bash',
      input: 'npm test',
      options: ['Yes', 'No'],
    });
  });

  it('a dialog read from the screen that flickers (a new id each time it is seen) notifies once within SCREEN_FLAP_MS', () => {
    const sim = new Sim(task({ spec: spec({ agent: AGENT }), tui: tui({}) }));
    let now = T0;
    for (let flap = 0; flap < 4; flap++) {
      now += 5000;
      sim.step(now, {
        tui: tui({ question: question(`q-${now}`, 'screen', now), activity: 'waiting-input' }),
      });
      now += 250;
      sim.step(now, { tui: tui({ question: null }) });
    }
    expect(sim.sent.map((n) => n.event)).toEqual(['needs-input']);
    // Long after, the same dialog again is a new ask.
    now += SCREEN_FLAP_MS + 1;
    sim.step(now, { tui: tui({ question: question(`q-${now}`, 'screen', now), activity: 'waiting-input' }) });
    expect(sim.sent.map((n) => n.event)).toEqual(['needs-input', 'needs-input']);
  });

  it("an interactive agent's limit banner flickering notifies rate-limited and resumed once each per reset time", () => {
    const sim = new Sim(task({ spec: spec({ agent: AGENT }), tui: tui({}) }));
    const reset = T0 + 3_600_000;
    const limit = {
      at: T0,
      detail: 'limit reached, resets 7pm',
      resetAt: reset,
      resolution: 'second' as const,
    };
    for (let i = 0; i < 3; i++) {
      sim.step(T0 + i * 1000, { tui: tui({ limit }) });
      expect(sim.t.state).toBe('rate-limited');
      sim.step(T0 + i * 1000 + 500, { tui: tui({ limit: null }) });
      expect(sim.t.state).toBe('running');
    }
    expect(sim.sent.map((n) => n.key)).toEqual([
      `task/7/run/5/rate-limited/${reset}`,
      `task/7/run/5/resumed/${reset}`,
    ]);
    expect(sim.sent[0]!.body.data).toMatchObject({ resetsAt: new Date(reset).toISOString(), known: true });
  });

  it('a headless agent whose limit-reset retries hit a limit with no reset time notifies rate-limited once and resumed once per episode', () => {
    const headless: AgentSpec = { ...AGENT, interactive: false, limitBackoffMs: [60_000, 120_000, 240_000] };
    const sim = new Sim(task({ spec: spec({ agent: headless }) }));
    let now = T0;
    let run: RunView = { ...RUN, endedAt: null, lastOutputAt: T0 };
    const limited = (what: string) => {
      now += 2000;
      sim.step(now, {
        run,
        pane: { kind: 'dead', exitCode: 1, signal: null, at: now, pid: 100 },
        agent: { verdict: { class: 'usage-limited', resetAt: null }, sessionId: null, toolInFlight: false },
      });
      expect(sim.t.state, what).toBe('rate-limited');
      run = { ...run, endedAt: now };
    };
    const retry = (what: string) => {
      now = sim.t.nextStartAt!;
      sim.step(now, { run, pane: { kind: 'none' } });
      expect(sim.t.state, what).toBe('starting');
      // What applyDecision does with the new run: the store gives it the next id.
      run = { ...run, id: run.id + 1, n: run.n + 1, cause: 'limit-reset', startedAt: now, endedAt: null };
      sim.t = { ...sim.t, currentRunId: run.id };
      sim.step(now + 100, { run, lastRunN: run.n, pane: { kind: 'alive', pid: 100 }, lastOutputAt: now });
      expect(sim.t.state, what).toBe('running');
    };
    limited('run 5');
    for (const n of [6, 7, 8]) {
      retry(`retry ${n}`);
      limited(`retry ${n}`);
    }
    expect(sim.sent.map((x) => x.key)).toEqual(['task/7/run/5/rate-limited']);
    // Run 9 gets past the limit: up --healthy-after, it ends the episode.
    retry('retry 9');
    now = run.startedAt + DEFAULT_RESTART_POLICY.healthyAfterMs;
    sim.step(now, { run, lastRunN: run.n, lastOutputAt: now });
    sim.step(now + 1000, { run, lastRunN: run.n, lastOutputAt: now + 1000 });
    expect(sim.sent.map((x) => x.key)).toEqual(['task/7/run/5/rate-limited', 'task/7/run/5/resumed']);
    // A limit later is a new episode, whose wait starts again at the first of --limit-backoff.
    limited('run 9');
    expect(sim.sent.map((x) => [x.event, x.key, x.runId])).toEqual([
      ['rate-limited', 'task/7/run/5/rate-limited', 5],
      ['resumed', 'task/7/run/5/resumed', 9],
      ['rate-limited', 'task/7/run/9/rate-limited', 9],
    ]);
    expect(sim.t.limitResetsAt).toBe(now + 60_000);
  });

  it('a headless limit episode also ends with a run that ends another way', () => {
    const headless: AgentSpec = { ...AGENT, interactive: false };
    const limitedRun = { id: 5, n: 1 };
    const before = task({
      spec: spec({ agent: headless }),
      supervision: { ...INITIAL_SUPERVISION, limitSince: 3 },
    });
    const drafts = notificationsFor(
      before,
      task({ state: 'succeeded', supervision: INITIAL_SUPERVISION }),
      [
        { type: 'limit-lifted', data: { continuedBy: 'holdfast' }, run: limitedRun },
        { type: 'succeeded', data: { run: 1 }, run: limitedRun },
      ],
      T0,
    );
    expect(drafts.map((x) => x.key)).toEqual(['task/7/run/3/resumed', 'task/7/run/5/succeeded']);
  });

  it('crash-loop notifies when the breaker trips; a decision repeated makes the same key', () => {
    const before = task({ state: 'running' });
    const after = task({ state: 'crash-loop', nextStartAt: T0 + 1_800_000 });
    const events: NotifiedEvent[] = [
      { type: 'exited', data: { run: 6, exitCode: 1, signal: null, durationMs: 10 }, run: { id: 11, n: 6 } },
      { type: 'crash-loop-entered', data: { restarts: 5, windowMs: 600_000 }, run: { id: 11, n: 6 } },
    ];
    const first = notificationsFor(before, after, events, T0);
    const again = notificationsFor(before, after, events, T0 + 5);
    expect(first.map((n) => n.key)).toEqual(['task/7/run/11/crash-loop']);
    expect(again.map((n) => n.key)).toEqual(first.map((n) => n.key));
    expect(first[0]!.body.data).toEqual({
      restarts: 5,
      windowMs: 600_000,
      nextProbeAt: new Date(T0 + 1_800_000).toISOString(),
    });
  });
});

describe('notificationsFor: the table', () => {
  const run = { id: 9, n: 3 };
  const one = (events: NotifiedEvent[], after: Partial<TaskRecord> = {}) =>
    notificationsFor(task(), task(after), events, T0);

  it('failed carries the reason and the exit; succeeded the exit', () => {
    const exited: NotifiedEvent = {
      type: 'exited',
      data: { run: 3, exitCode: 2, signal: null, durationMs: 5 },
      run,
    };
    const [failed] = one([exited, { type: 'failed', data: { run: 3, reason: 'max-restarts (3)' }, run }], {
      state: 'failed',
    });
    expect(failed!.body).toMatchObject({
      event: 'failed',
      state: 'failed',
      run: 3,
      text: 'job failed (run 3): max-restarts (3)',
      data: { reason: 'max-restarts (3)', exitCode: 2, signal: null },
    });
    const [ok] = one([
      { ...exited, data: { ...exited.data, exitCode: 0 } },
      { type: 'succeeded', data: { run: 3 }, run },
    ]);
    expect(ok!.body).toMatchObject({ event: 'succeeded', data: { exitCode: 0 } });
  });

  it('rate-limited (headless) carries the reset time; starting the limit-reset run notifies nothing (`resumed` is its episode end)', () => {
    const [limited] = one([
      { type: 'rate-limited', data: { resetsAt: T0 + 60_000, known: true, nextStartAt: T0 + 61_000 }, run },
    ]);
    expect(limited!.body.data).toEqual({
      resetsAt: new Date(T0 + 60_000).toISOString(),
      known: true,
      nextStartAt: new Date(T0 + 61_000).toISOString(),
    });
    for (const cause of ['limit-reset', 'backoff'] as const)
      expect(one([{ type: 'restarted', data: { run: 4, cause }, run: { id: 10, n: 4 } }]), cause).toEqual([]);
  });

  it('a headless agent that ended waiting for input: needs-input with the reason', () => {
    const [n] = one([{ type: 'waiting-input', data: { reason: 'permission-denied: Bash' }, run }]);
    expect(n!.body).toMatchObject({ event: 'needs-input', data: { reason: 'permission-denied: Bash' } });
  });

  it('start-failed carries the error; journal kinds with no row notify nothing', () => {
    expect(
      one([{ type: 'start-failed', data: { run: 3, error: 'no such dir' }, run }])[0]!.body.data,
    ).toEqual({
      error: 'no such dir',
    });
    expect(
      one([
        { type: 'output-resumed', data: {}, run },
        { type: 'activity', data: { activity: 'idle', from: null, via: 'hook' }, run },
      ]),
    ).toEqual([]);
  });
});

describe('missionNotificationsFor', () => {
  const mission = { id: 3, name: 'port', state: 'paused', startedBy: 41 };
  it('milestone-done per milestone, mission-done once, mission-paused once per start or resume', () => {
    const events: MissionEvent[] = [
      { type: 'milestone-done', data: { milestone: 'parser' } },
      { type: 'mission-paused', data: { reason: 'budget: sessions' } },
    ];
    const drafts = missionNotificationsFor(mission, events, T0);
    expect(drafts.map((n) => n.key)).toEqual([
      'mission/3/milestone-done/parser',
      'mission/3/mission-paused/after-41',
    ]);
    expect(drafts[1]!.body).toMatchObject({
      task: 'mission:port',
      state: 'paused',
      data: { reason: 'budget: sessions' },
    });
    const resumed = missionNotificationsFor({ ...mission, startedBy: 57 }, [events[1]!], T0);
    expect(resumed[0]!.key).toBe('mission/3/mission-paused/after-57');
    expect(
      missionNotificationsFor(mission, [{ type: 'mission-done', data: { sessions: 4 } }], T0)[0]!.key,
    ).toBe('mission/3/mission-done/done');
  });
});
