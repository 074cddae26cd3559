/**
 * The decider on an interactive agent's live TUI, over time with a passed-in clock: a usage limit
 * (rate-limited with its reset, claude left to continue by itself, codex given a continue once)
 * and a stall (Escape first, then a kill and resume).
 */
import { describe, expect, it } from 'vitest';
import {
  CLAUDE_SELF_CONTINUE_GRACE_MS,
  type Decision,
  decide,
  type RunView,
  STALL_STOP_TIMEOUT_MS,
} from './decide.js';
import { INITIAL_TUI, type TuiLimit, type TuiState } from './interactive.js';
import { DEFAULT_RESTART_POLICY, INITIAL_SUPERVISION, type TaskRecord } from './task.js';

const NOW = 1_800_000_000_000;
const MIN = 60_000;
const RUN: RunView = {
  id: 5,
  n: 1,
  cause: 'start',
  startedAt: NOW - 10 * MIN,
  endedAt: null,
  lastOutputAt: NOW - 1000,
  pid: 4242,
  starterPid: 99,
};

function task(kind: 'claude' | 'codex', tui: TuiState, over: Partial<TaskRecord['spec']> = {}): TaskRecord {
  return {
    id: 1,
    name: 'tui',
    spec: {
      command: [],
      cwd: '/w',
      umask: '022',
      restart: { ...DEFAULT_RESTART_POLICY, mode: 'on-failure' },
      stallTimeoutMs: null,
      onStall: 'restart',
      agent: {
        kind,
        model: null,
        unattended: false,
        onLimit: 'wait',
        limitBackoffMs: [15 * MIN],
        extraArgs: [],
        interactive: true,
      },
      checkpointEveryMs: null,
      mission: null,
      ...over,
    },
    desired: 'running',
    state: 'running',
    reason: null,
    restarts: 0,
    nextStartAt: null,
    createdAt: NOW - 20 * MIN,
    updatedAt: NOW - MIN,
    currentRunId: 5,
    supervision: { ...INITIAL_SUPERVISION, healthyRunId: 5 },
    sessionId: 's-1',
    limitResetsAt: null,
    stopRequestedAt: null,
    stopTimeoutMs: null,
    stopAs: null,
    nextRun: null,
    stopStage: 0,
    stalledAt: null,
    checkpointAskedAt: null,
    tui,
  };
}

/** One decision at `now` on the task as the store has it, with the TUI state the loop observed. */
function step(t: TaskRecord, now: number, tui: TuiState = t.tui!): { t: TaskRecord; d: Decision } {
  const d = decide(
    t,
    {
      run: RUN,
      lastRunN: 1,
      firstStartedAt: RUN.startedAt,
      pane: { kind: 'alive', pid: 4242 },
      agent: null,
      checkpoint: null,
      tui,
      intents: [],
      jitter: 0.5,
    },
    now,
  );
  return { t: { ...t, ...d.patch }, d };
}
const kinds = (d: Decision) => d.events.map((e) => e.type);

const working: TuiState = {
  ...INITIAL_TUI,
  activity: 'working',
  activitySince: NOW - 5000,
  via: 'hook',
  lastSignalAt: NOW - 5000,
  turnInFlight: true,
};
/** Reset at NOW + 1 min as a screen says it: to the minute, so sure only at NOW + 2 min. */
const LIMIT: TuiLimit = { at: NOW, detail: 'limit line', resetAt: NOW + MIN, resolution: 'minute' };

describe('a usage limit in a live TUI', () => {
  it('codex: rate-limited with the reset, one continue after the reset (the minute’s end), none again; running once it works', () => {
    let { t, d } = step(task('codex', working), NOW, { ...working, limit: LIMIT });
    expect(t.state).toBe('rate-limited');
    expect(t.limitResetsAt).toBe(NOW + 2 * MIN);
    expect(d.events.find((e) => e.type === 'rate-limited')?.data).toEqual({
      resetsAt: NOW + 2 * MIN,
      known: true,
      nextStartAt: NOW + 2 * MIN,
      continues: 'holdfast',
    });
    expect(d.wakeAt).toBe(NOW + 2 * MIN);
    expect(d.inputs).toEqual([]);
    ({ t, d } = step(t, NOW + 2 * MIN - 1));
    expect(d.inputs).toEqual([]);
    ({ t, d } = step(t, NOW + 2 * MIN));
    expect(d.inputs).toEqual([{ text: 'continue', source: 'continue' }]);
    expect(kinds(d)).toEqual(['limit-continue']);
    expect(t.tui?.limit?.continuedAt).toBe(NOW + 2 * MIN);
    // Decided again (another pass, a daemon restarted on the committed state): not sent twice.
    for (const at of [NOW + 2 * MIN + 1, NOW + 10 * MIN]) {
      ({ t, d } = step(t, at));
      expect(d.inputs).toEqual([]);
      expect(t.state).toBe('rate-limited');
    }
    // Its UserPromptSubmit clears the limit: running again, and who continued it is journaled.
    ({ t, d } = step(t, NOW + 11 * MIN, { ...t.tui!, limit: null }));
    expect(t.state).toBe('running');
    expect(t.limitResetsAt).toBeNull();
    expect(d.events.find((e) => e.type === 'limit-lifted')?.data).toEqual({ continuedBy: 'holdfast' });
  });

  it('claude: continues by itself after the reset, so holdfast sends nothing; its continue is due only at reset + 5 min', () => {
    const hookOnly: TuiLimit = { at: NOW, detail: 'usage limit', resetAt: null };
    let { t, d } = step(task('claude', working), NOW, { ...working, limit: hookOnly });
    expect(t.state).toBe('rate-limited');
    expect(d.events.find((e) => e.type === 'rate-limited')?.data).toMatchObject({
      known: false,
      continues: 'agent',
    });
    // The screen gives the reset a moment later.
    ({ t, d } = step(t, NOW + 600, { ...t.tui!, limit: LIMIT }));
    expect(t.limitResetsAt).toBe(NOW + 2 * MIN);
    expect(kinds(d)).toEqual(['usage-limit-seen']);
    expect(d.wakeAt).toBe(NOW + 2 * MIN + CLAUDE_SELF_CONTINUE_GRACE_MS);
    const limited = t;
    // ~90 s after the reset its own continue fires (quota_auto_resume_fired clears the limit).
    ({ t, d } = step(limited, NOW + 2 * MIN + 90_000, { ...limited.tui!, limit: null }));
    expect(t.state).toBe('running');
    expect(d.events.find((e) => e.type === 'limit-lifted')?.data).toEqual({ continuedBy: 'agent' });
    expect(d.inputs).toEqual([]);
    // Had it not, holdfast's continue is due at reset + 5 min, not before.
    expect(step(limited, NOW + 2 * MIN + CLAUDE_SELF_CONTINUE_GRACE_MS - 1).d.inputs).toEqual([]);
    expect(step(limited, NOW + 2 * MIN + CLAUDE_SELF_CONTINUE_GRACE_MS).d.inputs).toEqual([
      { text: 'continue', source: 'continue' },
    ]);
  });
});

describe('a stalled interactive agent', () => {
  const quiet: TuiState = {
    ...working,
    screen: { state: 'working', since: NOW - 9000, hash: 'h', changedAt: NOW - 9000 },
  };
  const spec = { stallTimeoutMs: 4000 };

  it('is sent Escape first (journaled), and runs again when the TUI reacts', () => {
    let { t, d } = step(task('claude', quiet, spec), NOW);
    expect(t.state).toBe('stalled');
    expect(d.actions).toEqual([{ type: 'keys', runId: 5, keys: ['Escape'] }]);
    expect(d.events.find((e) => e.type === 'stalled')?.data).toEqual({ idleMs: 5000, action: 'escape' });
    expect(d.wakeAt).toBe(NOW + 4000);
    // The interrupt fires no hook; the screen shows idle.
    ({ t, d } = step(t, NOW + 1500, {
      ...quiet,
      activity: 'idle',
      activitySince: NOW + 1200,
      via: 'screen',
    }));
    expect(t.state).toBe('running');
    expect(kinds(d)).toEqual(['activity', 'output-resumed']);
    expect(d.actions).toEqual([]);
  });

  it('still silent after the grace (its stall timeout, at most 10 s): killed and resumed on its session', () => {
    let { t, d } = step(task('codex', quiet, spec), NOW);
    ({ t, d } = step(t, NOW + 3999));
    expect(d.actions).toEqual([]);
    expect(t.state).toBe('stalled');
    ({ t, d } = step(t, NOW + 4000));
    expect(d.events.find((e) => e.type === 'stalled')?.data).toEqual({ idleMs: 9000, action: 'restart' });
    expect(d.actions).toEqual([{ type: 'signal', runId: 5, pid: 4242, signal: 'SIGTERM' }]);
    expect(t).toMatchObject({ stopRequestedAt: NOW + 4000, stopTimeoutMs: STALL_STOP_TIMEOUT_MS });
    // The run ends: the stall's restart, a resume (the session is the task's), "continue" typed in.
    const ended = decide(
      t,
      {
        run: RUN,
        lastRunN: 1,
        firstStartedAt: RUN.startedAt,
        pane: { kind: 'dead', exitCode: null, signal: 'SIGTERM', at: NOW + 4100, pid: 4242 },
        agent: null,
        checkpoint: null,
        tui: t.tui,
        intents: [],
        jitter: 0,
      },
      NOW + 4100,
    );
    expect(ended.newRun).toMatchObject({ n: 2, cause: 'stall', prompt: 'continue', fresh: false });
  });
});
