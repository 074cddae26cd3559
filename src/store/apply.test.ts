import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AgentFacts,
  BUDGETED_CAUSES,
  checkIntent,
  type Intent,
  type PaneFact,
  TRANSITIONS,
} from '../core/decide.js';
import type { ExitVerdict } from '../core/lifecycle.js';
import { DEFAULT_RESTART_POLICY, type RestartMode, type TaskSpec } from '../core/task.js';
import { type Applied, applyDecision, type DecisionContext } from './apply.js';
import { openStore } from './db.js';

const dir = mkdtempSync(join(tmpdir(), 'hf-apply-'));
const store = openStore(join(dir, 'holdfast.db'));
afterAll(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const SELF = 1000;

/** What the world (tmux, the agent) shows about one run, as the supervisor would observe it. */
type World = Map<number, PaneFact>;

type Step =
  | { kind: 'tick'; ms: number }
  | { kind: 'launched' }
  | { kind: 'die'; exitCode: number | null; signal: string | null }
  | { kind: 'unreaped' }
  | { kind: 'lost'; reason: 'pane-lost' | 'server-lost' }
  | { kind: 'launch-failed' }
  | { kind: 'starter-died' }
  | { kind: 'output' }
  | { kind: 'verdict'; verdict: ExitVerdict }
  | { kind: 'session'; id: string }
  | { kind: 'intent'; intent: Intent };

const verdictArb: fc.Arbitrary<ExitVerdict> = fc.oneof(
  fc.constant<ExitVerdict>({ class: 'done' }),
  fc.constant<ExitVerdict>({ class: 'crash' }),
  fc.constant<ExitVerdict>({ class: 'auth' }),
  fc.constant<ExitVerdict>({ class: 'conversation-lost' }),
  fc.constant<ExitVerdict>({ class: 'needs-input', detail: 'permission-denied: Bash' }),
  fc
    .integer({ min: -120_000, max: 3_600_000 })
    .map((d) => ({ class: 'usage-limited', resetAt: 1e9 + d }) as ExitVerdict),
);

const intentArb: fc.Arbitrary<Intent> = fc.oneof(
  fc.integer({ min: 0, max: 20_000 }).map((timeoutMs): Intent => ({ kind: 'stop', timeoutMs })),
  fc.constant<Intent>({ kind: 'stop', timeoutMs: 10_000, stopAs: 'failed', reason: 'limit' }),
  fc.integer({ min: 0, max: 20_000 }).map((timeoutMs): Intent => ({ kind: 'restart', timeoutMs, runId: -1 })),
  fc
    .record({
      prompt: fc.option(fc.constantFrom('go on', 'try again'), { nil: null }),
      now: fc.boolean(),
      unattended: fc.boolean(),
    })
    .map((r): Intent => ({ kind: 'resume', ...r })),
  fc.constant<Intent>({ kind: 'run', cause: 'mission', prompt: 'next session', fresh: false }),
);

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 3_600_000 }).map((ms): Step => ({ kind: 'tick', ms })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 2000 }).map((ms): Step => ({ kind: 'tick', ms })) },
  { weight: 4, arbitrary: fc.constant<Step>({ kind: 'launched' }) },
  {
    weight: 3,
    arbitrary: fc.oneof(
      fc.constantFrom(0, 1, 2, 137).map((exitCode): Step => ({ kind: 'die', exitCode, signal: null })),
      fc
        .constantFrom('SIGKILL', 'SIGTERM', 'SIGINT')
        .map((signal): Step => ({ kind: 'die', exitCode: null, signal })),
    ),
  },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'unreaped' }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('pane-lost', 'server-lost').map((reason): Step => ({ kind: 'lost', reason })),
  },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'launch-failed' }) },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'starter-died' }) },
  { weight: 2, arbitrary: fc.constant<Step>({ kind: 'output' }) },
  { weight: 2, arbitrary: verdictArb.map((verdict): Step => ({ kind: 'verdict', verdict })) },
  { weight: 1, arbitrary: fc.constantFrom('s-1', 's-2').map((id): Step => ({ kind: 'session', id })) },
  { weight: 3, arbitrary: intentArb.map((intent): Step => ({ kind: 'intent', intent })) },
);

const caseArb = fc.record({
  mode: fc.constantFrom<RestartMode>('no', 'on-failure', 'always'),
  agent: fc.boolean(),
  stallTimeoutMs: fc.option(fc.integer({ min: 1000, max: 600_000 }), { nil: null }),
  onStall: fc.constantFrom<'restart' | 'notify'>('restart', 'notify'),
  checkpointEveryMs: fc.option(fc.integer({ min: 1000, max: 600_000 }), { nil: null }),
  maxRestarts: fc.option(fc.integer({ min: 0, max: 6 }), { nil: null }),
  maxRuntimeMs: fc.option(fc.integer({ min: 1000, max: 7_200_000 }), { nil: null }),
  backoffInitialMs: fc.constantFrom(0, 100, 1000),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 60 }),
  jitter: fc.double({ min: 0, max: 0.999, noNaN: true }),
});

type Case = typeof caseArb extends fc.Arbitrary<infer T> ? T : never;

let nextName = 0;

/** Runs one random history through the real applyDecision; returns what broke, if anything. */
function play(c: Case): string[] {
  const problems: string[] = [];
  const spec: TaskSpec = {
    command: ['x'],
    cwd: '/',
    umask: '022',
    restart: {
      ...DEFAULT_RESTART_POLICY,
      mode: c.mode,
      maxRestarts: c.maxRestarts,
      maxRuntimeMs: c.maxRuntimeMs,
      backoffInitialMs: c.backoffInitialMs,
      backoffMaxMs: Math.max(c.backoffInitialMs, 1000),
    },
    stallTimeoutMs: c.stallTimeoutMs,
    onStall: c.onStall,
    agent: c.agent
      ? {
          kind: 'claude',
          model: null,
          unattended: false,
          onLimit: 'wait',
          limitBackoffMs: [60_000],
          extraArgs: [],
        }
      : null,
    checkpointEveryMs: c.checkpointEveryMs,
    mission: null,
  };
  let now = 1e9;
  const name = `p-${nextName++}`;
  const created = store.tx(() =>
    store.tasks.insert({ name, spec, desired: 'running', state: 'pending', now }),
  );
  const world: World = new Map();
  const agent: { verdict: ExitVerdict | null; sessionId: string | null } = { verdict: null, sessionId: null };
  /** Runs that ended while the user had asked for what came next (restart, resume, a stop). */
  const endedByUser = new Set<number>();
  /** Runs that ended while stalled: a stall, which spends budget as a crash does. */
  const endedStalled = new Set<number>();
  let pid = 5000;

  const ctx = (): DecisionContext => ({
    now,
    jitter: c.jitter,
    self: SELF,
    logPath: (_t, n) => `/dev/null/${name}/${n}`,
    facts: (_task, run) => ({
      pane: run === null || run.endedAt !== null ? { kind: 'none' } : (world.get(run.id) ?? { kind: 'none' }),
      agent: spec.agent ? ({ ...agent, toolInFlight: false } satisfies AgentFacts) : null,
    }),
  });

  const apply = (label: string): Applied | null => {
    const before = store.tasks.byId(created.id);
    const beforeRun = before?.currentRunId == null ? null : store.runs.byId(before.currentRunId);
    const userAsked =
      before !== null &&
      (before.desired === 'stopped' || before.nextRun?.cause === 'restart' || before.nextRun?.asked === true);
    const applied = applyDecision(store, created.id, ctx());
    if (!applied || !before) return applied;
    const after = applied.task;
    if (after && after.state !== before.state && !TRANSITIONS[before.state].includes(after.state))
      problems.push(`${label}: ${before.state} → ${after.state} is not in the diagram`);
    if (applied.decision.endRun && beforeRun && userAsked) endedByUser.add(beforeRun.id);
    if (applied.decision.endRun && beforeRun && before.state === 'stalled') endedStalled.add(beforeRun.id);
    // What the actions would do, as the executor does it: a new run is being launched by us.
    if (applied.decision.newRun && applied.run) world.set(applied.run.id, { kind: 'launching' });
    if (applied.decision.adoptLaunch !== null) world.set(applied.decision.adoptLaunch, { kind: 'launching' });
    // A new run's transcript starts empty.
    if (applied.decision.newRun) Object.assign(agent, { verdict: null, sessionId: null });
    const again = applyDecision(store, created.id, ctx());
    if (again && (again.decision.actions.length > 0 || again.decision.events.length > 0))
      problems.push(
        `${label}: deciding again right after applying gave ${JSON.stringify(again.decision.actions)} ${JSON.stringify(again.decision.events.map((e) => e.type))}`,
      );
    return applied;
  };

  apply('created');
  for (const [i, step] of c.steps.entries()) {
    const task = store.tasks.byId(created.id);
    if (!task) break;
    const run = task.currentRunId === null ? null : store.runs.byId(task.currentRunId);
    const open = run !== null && run.endedAt === null ? run : null;
    const label = `step ${i} ${JSON.stringify(step)} (task ${task.state})`;
    switch (step.kind) {
      case 'tick':
        now += step.ms;
        break;
      case 'launched':
        if (open && open.pid === null && world.get(open.id)?.kind === 'launching') {
          pid += 1;
          store.tx(() => store.runs.setPid(open.id, pid));
          world.set(open.id, { kind: 'alive', pid });
        }
        break;
      case 'die':
        if (open?.pid != null)
          world.set(open.id, {
            kind: 'dead',
            exitCode: step.exitCode,
            signal: step.signal,
            at: now,
            pid: open.pid,
          });
        break;
      case 'unreaped':
        if (open?.pid != null) world.set(open.id, { kind: 'awaiting-reap', pid: open.pid });
        break;
      case 'lost':
        if (open?.pid != null) world.set(open.id, { kind: 'lost', reason: step.reason, at: now });
        break;
      case 'launch-failed':
        if (open && open.pid === null) world.set(open.id, { kind: 'launch-failed', error: 'boom', at: now });
        break;
      case 'starter-died':
        if (open && open.pid === null) world.set(open.id, { kind: 'unlaunched' });
        break;
      case 'output':
        if (open)
          store.tx(() =>
            store.runs.advanceLog(open.id, { offset: 0, lastOutputAt: now, bytes: 1, lines: 1 }),
          );
        break;
      case 'verdict':
        agent.verdict = step.verdict;
        break;
      case 'session':
        agent.sessionId = step.id;
        break;
      case 'intent': {
        const intent =
          step.intent.kind === 'restart' ? { ...step.intent, runId: task.currentRunId } : step.intent;
        try {
          checkIntent(task, run, intent);
        } catch {
          break; // the CLI refuses it at once: nothing is recorded
        }
        store.tx(() => store.intents.add(task.id, intent, now));
        break;
      }
    }
    apply(label);
    const runs = store.runs.forTask(created.id);
    const live = runs.filter((r) => r.endedAt === null);
    if (live.length > 1)
      problems.push(`${label}: ${live.length} live runs (${live.map((r) => r.n).join(', ')})`);
    const t = store.tasks.byId(created.id);
    const budgeted = runs.filter((r) => r.budgeted);
    if (t && t.restarts !== budgeted.length)
      problems.push(`${label}: restarts ${t.restarts}, but ${budgeted.length} budgeted runs`);
    for (const r of budgeted) {
      const prev = runs.find((p) => p.n === r.n - 1);
      const cause = BUDGETED_CAUSES.has(r.cause) || r.cause === 'resume';
      const crash =
        prev !== undefined &&
        !endedByUser.has(prev.id) &&
        (prev.exitCode !== 0 ||
          prev.signal !== null ||
          prev.endReason !== null ||
          c.mode === 'always' ||
          endedStalled.has(prev.id));
      if (!cause || !crash)
        problems.push(
          `${label}: run ${r.n} (${r.cause}) spent budget after run ${prev?.n} ended ${JSON.stringify({ exit: prev?.exitCode, signal: prev?.signal, reason: prev?.endReason, byUser: prev ? endedByUser.has(prev.id) : null })}`,
        );
    }
    if (problems.length > 0) break;
  }
  return problems;
}

describe('applyDecision over random histories (property)', () => {
  const seed = Number(process.env.HOLDFAST_TEST_SEED ?? 20_260_115);

  it(`never leaves the diagram, keeps one live run, spends budget only on crashes, and re-deciding at once does nothing (seed ${seed})`, () => {
    const result = fc.check(
      fc.property(caseArb, (c) => play(c).length === 0),
      { seed, numRuns: 400 },
    );
    const detail = result.failed ? play(result.counterexample![0]).join('\n') : '';
    expect(
      result.failed
        ? `seed ${seed} (HOLDFAST_TEST_SEED=${seed} repeats it), path ${result.counterexample ? result.counterexamplePath : ''}:\n${detail}`
        : 'ok',
    ).toBe('ok');
  });
});
