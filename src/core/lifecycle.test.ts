import { describe, expect, it } from 'vitest';
import {
  type AfterExitInput,
  backoffDelay,
  LIMIT_RESET_SPACING_MS,
  planAfterExit,
  stallLimit,
} from './lifecycle.js';
import { DEFAULT_RESTART_POLICY, INITIAL_SUPERVISION, type RestartPolicy, type TaskSpec } from './task.js';

const zero = () => 0;
const policy = (over: Partial<RestartPolicy> = {}): RestartPolicy => ({
  ...DEFAULT_RESTART_POLICY,
  mode: 'on-failure',
  ...over,
});

function input(
  over: Partial<AfterExitInput> & { exitCode?: number | null; ranMs?: number } = {},
): AfterExitInput {
  const now = over.now ?? 1_000_000;
  return {
    task: { desired: 'running', restarts: 0, supervision: INITIAL_SUPERVISION, stopAs: null, nextRun: null },
    policy: policy(),
    run: { id: 1, startedAt: now - (over.ranMs ?? 1000) },
    exit: {
      exitCode: over.exitCode === undefined ? 1 : over.exitCode,
      signal: null,
      endedAt: now,
      reason: null,
    },
    verdict: { class: over.exitCode === 0 ? 'done' : 'crash' },
    firstStartedAt: now - 5000,
    onLimit: 'wait',
    limitBackoffMs: [15 * 60_000, 30 * 60_000, 60 * 60_000],
    now,
    random: zero,
    ...over,
  };
}

describe('planAfterExit', () => {
  it.each([
    { mode: 'no', exitCode: 0, state: 'succeeded' },
    { mode: 'no', exitCode: 1, state: 'failed' },
    { mode: 'on-failure', exitCode: 0, state: 'succeeded' },
    { mode: 'on-failure', exitCode: 1, state: 'backoff' },
    { mode: 'always', exitCode: 0, state: 'backoff' },
    { mode: 'always', exitCode: 1, state: 'backoff' },
  ] as const)('policy $mode, exit $exitCode → $state', ({ mode, exitCode, state }) => {
    expect(planAfterExit(input({ exitCode, policy: policy({ mode }) })).state).toBe(state);
  });

  it('backs off 1 s doubling to 5 min with jitter of at most 10%', () => {
    const p = policy();
    expect([0, 1, 2, 3, 8, 9, 20].map((a) => backoffDelay(p, a, zero))).toEqual([
      1000, 2000, 4000, 8000, 256_000, 300_000, 300_000,
    ]);
    expect(backoffDelay(p, 0, () => 0.999)).toBe(1100);
  });

  it('gives the specified delay sequence and trips the breaker on the 6th restart within the window', () => {
    let supervision = INITIAL_SUPERVISION;
    let now = 1_000_000;
    const seen: { state: string; delay: number | null }[] = [];
    for (let i = 0; i < 7; i++) {
      const plan = planAfterExit(
        input({ now, task: { desired: 'running', restarts: i, supervision, stopAs: null, nextRun: null } }),
      );
      seen.push({ state: plan.state, delay: plan.nextStartAt === null ? null : plan.nextStartAt - now });
      supervision = plan.supervision;
      now = (plan.nextStartAt ?? now) + 500;
    }
    expect(seen).toEqual([
      { state: 'backoff', delay: 1000 },
      { state: 'backoff', delay: 2000 },
      { state: 'backoff', delay: 4000 },
      { state: 'backoff', delay: 8000 },
      { state: 'backoff', delay: 16000 },
      { state: 'crash-loop', delay: 30 * 60_000 },
      { state: 'crash-loop', delay: 30 * 60_000 },
    ]);
  });

  it('journals crash-loop-entered once, and leaves crash-loop after a healthy run', () => {
    const crashLoop = { ...INITIAL_SUPERVISION, crashLoop: true, restartTimes: [1, 2, 3, 4, 5, 6] };
    const again = planAfterExit(
      input({
        task: { desired: 'running', restarts: 6, supervision: crashLoop, stopAs: null, nextRun: null },
      }),
    );
    expect(again.events.map((e) => e.type)).toEqual(['backoff']);
    const healthy = planAfterExit(
      input({
        ranMs: DEFAULT_RESTART_POLICY.healthyAfterMs,
        task: { desired: 'running', restarts: 6, supervision: crashLoop, stopAs: null, nextRun: null },
      }),
    );
    expect(healthy.events.map((e) => e.type)).toEqual(['crash-loop-left', 'backoff']);
    expect(healthy.state).toBe('backoff');
    expect(healthy.nextStartAt! - 1_000_000).toBe(1000);
  });

  it('restarts older than the window do not count toward the breaker', () => {
    const old = { ...INITIAL_SUPERVISION, restartTimes: [1, 2, 3, 4, 5] };
    expect(
      planAfterExit(
        input({ task: { desired: 'running', restarts: 5, supervision: old, stopAs: null, nextRun: null } }),
      ).state,
    ).toBe('backoff');
  });

  it('ends in failed with the reason when max-restarts or max-runtime is reached', () => {
    const full = input({
      policy: policy({ maxRestarts: 3 }),
      task: {
        desired: 'running',
        restarts: 3,
        supervision: INITIAL_SUPERVISION,
        stopAs: null,
        nextRun: null,
      },
    });
    expect(planAfterExit(full)).toMatchObject({ state: 'failed', reason: 'max-restarts (3)' });
    const late = input({ policy: policy({ maxRuntimeMs: 4000 }) });
    expect(planAfterExit(late)).toMatchObject({ state: 'failed', reason: 'max-runtime' });
  });

  it('a stopped task ends stopped (or as its stop asked) whatever the exit', () => {
    const stopped = input({
      task: {
        desired: 'stopped',
        restarts: 0,
        supervision: INITIAL_SUPERVISION,
        stopAs: null,
        nextRun: null,
      },
    });
    expect(planAfterExit(stopped).state).toBe('stopped');
    const limited = input({
      task: {
        desired: 'stopped',
        restarts: 0,
        supervision: INITIAL_SUPERVISION,
        stopAs: 'failed',
        nextRun: null,
      },
    });
    expect(planAfterExit(limited).state).toBe('failed');
  });

  it('waits out a usage limit until the reset time, spending no budget', () => {
    const plan = planAfterExit(input({ verdict: { class: 'usage-limited', resetAt: 1_060_000 } }));
    expect(plan).toMatchObject({ state: 'rate-limited', limitResetsAt: 1_060_000, nextStartAt: 1_060_000 });
    expect(plan.supervision.attempt).toBe(0);
    expect(plan.supervision.restartTimes).toEqual([]);
    expect(plan.nextRun).toEqual({ cause: 'limit-reset', prompt: null, fresh: false });
  });

  it('backs off 15, 30, 60 minutes when a limit gives no reset time', () => {
    let supervision = INITIAL_SUPERVISION;
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const plan = planAfterExit(
        input({
          verdict: { class: 'usage-limited', resetAt: null },
          task: { desired: 'running', restarts: 0, supervision, stopAs: null, nextRun: null },
        }),
      );
      waits.push(plan.limitResetsAt! - 1_000_000);
      supervision = plan.supervision;
    }
    expect(waits).toEqual([15 * 60_000, 30 * 60_000, 60 * 60_000, 60 * 60_000]);
  });

  it('a limit episode runs from the first run the limit stopped until a run ends another way, which starts the backoff over', () => {
    let supervision = INITIAL_SUPERVISION;
    for (const id of [4, 5, 6]) {
      const plan = planAfterExit(
        input({
          run: { id, startedAt: 999_000 },
          verdict: { class: 'usage-limited', resetAt: null },
          task: { desired: 'running', restarts: 0, supervision, stopAs: null, nextRun: null },
        }),
      );
      expect(plan.supervision.limitSince, `run ${id}`).toBe(4);
      supervision = plan.supervision;
    }
    const past = planAfterExit(
      input({
        run: { id: 7, startedAt: 999_000 },
        exitCode: 0,
        task: { desired: 'running', restarts: 0, supervision, stopAs: null, nextRun: null },
      }),
    );
    expect(past.events).toContainEqual({ type: 'limit-lifted', data: { continuedBy: 'holdfast' } });
    expect([past.supervision.limitSince, past.supervision.limitAttempt]).toEqual([null, 0]);
    expect(planAfterExit(input({ exitCode: 0 })).events).toEqual([]);
  });

  it('--on-limit fail ends the task; auth fails without a restart; a lost conversation starts fresh at once', () => {
    expect(
      planAfterExit(input({ onLimit: 'fail', verdict: { class: 'usage-limited', resetAt: null } })),
    ).toMatchObject({ state: 'failed', reason: 'usage-limit' });
    expect(
      planAfterExit(input({ policy: policy({ mode: 'always' }), verdict: { class: 'auth' } })),
    ).toMatchObject({ state: 'failed', reason: 'auth' });
    expect(planAfterExit(input({ verdict: { class: 'conversation-lost' } }))).toMatchObject({
      state: 'backoff',
      nextStartAt: 1_000_000,
      nextRun: { cause: 'conversation-lost', fresh: true },
    });
  });

  it.each(['no', 'on-failure', 'always'] as const)(
    'a run that needs input (tools denied) waits for the user under policy %s: no restart, no budget',
    (mode) => {
      const plan = planAfterExit(
        input({
          exitCode: 0,
          policy: policy({ mode }),
          verdict: { class: 'needs-input', detail: 'permission-denied: Bash' },
        }),
      );
      expect(plan).toEqual({
        state: 'waiting-input',
        reason: 'permission-denied: Bash',
        nextStartAt: null,
        limitResetsAt: null,
        supervision: INITIAL_SUPERVISION,
        nextRun: null,
        events: [{ type: 'waiting-input', data: { reason: 'permission-denied: Bash' } }],
      });
    },
  );

  it('a lost tmux server restarts restartable tasks at once without spending budget, and fails the others', () => {
    const lost = { exitCode: null, signal: null, endedAt: 1_000_000, reason: 'server-lost' };
    expect(
      planAfterExit(input({ exit: lost, verdict: { class: 'crash', detail: 'server-lost' } })),
    ).toMatchObject({
      state: 'backoff',
      nextStartAt: 1_000_000,
      nextRun: { cause: 'server-restarted' },
      supervision: INITIAL_SUPERVISION,
    });
    expect(
      planAfterExit(
        input({
          exit: lost,
          policy: policy({ mode: 'no' }),
          verdict: { class: 'crash', detail: 'server-lost' },
        }),
      ),
    ).toMatchObject({
      state: 'failed',
      reason: 'server-lost',
    });
  });
});

describe('planAfterExit: usage-limit reset times', () => {
  // 06:47:20 UTC: codex said "try again at 6:47 AM", a minute that has already begun.
  const now = Date.UTC(2026, 0, 15, 6, 47, 20);
  const minuteStart = Date.UTC(2026, 0, 15, 6, 47);
  const limited = (
    resetAt: number | null,
    resetResolution?: 'second' | 'minute',
    over: Partial<AfterExitInput> = {},
  ): AfterExitInput =>
    input({
      now,
      verdict: {
        class: 'usage-limited',
        resetAt,
        ...(resetResolution === undefined ? {} : { resetResolution }),
      },
      ...over,
    });

  it('takes a reset given to the minute as the end of that minute, plus jitter', () => {
    const plan = planAfterExit(limited(minuteStart, 'minute'));
    expect(plan.limitResetsAt).toBe(minuteStart + 60_000);
    expect(plan.nextStartAt).toBe(minuteStart + 60_000);
    const jittered = planAfterExit(limited(minuteStart, 'minute', { random: () => 0.999 }));
    expect(jittered.nextStartAt).toBeGreaterThan(minuteStart + 60_000);
    expect(jittered.nextStartAt! - (minuteStart + 60_000)).toBeLessThanOrEqual(30_000);
  });

  it('keeps a reset given to the second as it is', () => {
    expect(planAfterExit(limited(now + 40_000, 'second')).nextStartAt).toBe(now + 40_000);
    expect(planAfterExit(limited(now + 40_000)).nextStartAt).toBe(now + 40_000);
  });

  it.each([
    ['a past reset to the second', now - 1000, 'second' as const],
    ['a reset to the second 5 s away', now + 5000, 'second' as const],
    ['a minute that ends within 5 s', Date.UTC(2026, 0, 15, 6, 46, 25), 'minute' as const],
    ['a minute long past', Date.UTC(2026, 0, 15, 6, 30), 'minute' as const],
  ])('never acts on %s at once: it waits --limit-backoff', (_, resetAt, resolution) => {
    const plan = planAfterExit(limited(resetAt, resolution));
    expect(plan).toMatchObject({ state: 'rate-limited', nextStartAt: now + 15 * 60_000 });
    expect(plan.supervision.limitAttempt).toBe(1);
    expect(plan.events).toEqual([
      {
        type: 'rate-limited',
        data: {
          resetsAt: now + 15 * 60_000,
          known: false,
          nextStartAt: now + 15 * 60_000,
          statedResetAt: resetAt,
        },
      },
    ]);
  });

  it('starts two limit-resets of a task at least 30 s apart, whatever the agent said', () => {
    // The limit-reset run started 2 s ago and hit the limit again; the agent now says 10 s from now.
    const plan = planAfterExit(
      limited(now + 10_000, 'second', { run: { id: 2, startedAt: now - 2000, cause: 'limit-reset' } }),
    );
    expect(plan.nextStartAt).toBe(now - 2000 + LIMIT_RESET_SPACING_MS);
    expect(plan.supervision.lastLimitResetAt).toBe(now - 2000);
    // A crash in between does not reset the spacing.
    const crashed = planAfterExit(
      input({ now, run: { id: 2, startedAt: now - 2000, cause: 'limit-reset' }, exitCode: 1 }),
    );
    const again = planAfterExit(
      limited(now + 10_000, 'second', {
        task: {
          desired: 'running',
          restarts: 1,
          supervision: crashed.supervision,
          stopAs: null,
          nextRun: null,
        },
        run: { id: 3, startedAt: now, cause: 'resume' },
      }),
    );
    expect(again.nextStartAt).toBe(now - 2000 + LIMIT_RESET_SPACING_MS);
  });

  it('six limit replies in a row naming the current minute restart neither at once nor closer than 30 s', () => {
    // What codex did: every run at once says "try again at" the minute it is in.
    let supervision = INITIAL_SUPERVISION;
    let t = now;
    let cause: 'start' | 'limit-reset' = 'start';
    const starts: number[] = [];
    for (let i = 0; i < 6; i++) {
      const runStartedAt = t;
      const exitAt = runStartedAt + 200;
      const minute = Math.floor(exitAt / 60_000) * 60_000;
      const plan = planAfterExit(
        input({
          now: exitAt,
          task: { desired: 'running', restarts: 0, supervision, stopAs: null, nextRun: null },
          run: { id: i + 1, startedAt: runStartedAt, cause },
          verdict: { class: 'usage-limited', resetAt: minute, resetResolution: 'minute' },
        }),
      );
      expect(plan.nextStartAt!).toBeGreaterThan(exitAt + 5000);
      starts.push(plan.nextStartAt!);
      supervision = plan.supervision;
      t = plan.nextStartAt!;
      cause = 'limit-reset';
    }
    for (let i = 1; i < starts.length; i++)
      expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(LIMIT_RESET_SPACING_MS);
  });
});

describe('planAfterExit: what a restart is for', () => {
  it('resumes an agent after a crash (cause resume, budget spent); a command backs off', () => {
    expect(planAfterExit(input({ agent: true })).nextRun).toEqual({
      cause: 'resume',
      prompt: null,
      fresh: false,
      budgeted: true,
    });
    expect(planAfterExit(input()).nextRun).toEqual({ cause: 'backoff', prompt: null, fresh: false });
    expect(
      planAfterExit(input({ agent: true, verdict: { class: 'stalled', detail: 'stalled' } })).nextRun,
    ).toEqual({ cause: 'stall', prompt: null, fresh: false });
  });
});

describe('stallLimit', () => {
  const spec = (over: Partial<TaskSpec>) => ({ stallTimeoutMs: 5000, ...over });
  it('is --stall-timeout without a tool in flight, and --tool-timeout with one', () => {
    expect(stallLimit(spec({ toolTimeoutMs: 60_000 }), false)).toBe(5000);
    expect(stallLimit(spec({ toolTimeoutMs: 60_000 }), true)).toBe(60_000);
  });

  it('defaults the tool timeout to 30 min, never shortens the stall timeout, and 0 (null) means none', () => {
    expect(stallLimit(spec({}), true)).toBe(30 * 60_000);
    expect(stallLimit(spec({ stallTimeoutMs: 2 * 3_600_000, toolTimeoutMs: 60_000 }), true)).toBe(
      2 * 3_600_000,
    );
    expect(stallLimit(spec({ toolTimeoutMs: null }), true)).toBeNull();
    expect(stallLimit(spec({ stallTimeoutMs: null }), false)).toBeNull();
  });
});
