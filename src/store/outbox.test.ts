import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentFacts, PaneFact } from '../core/decide.js';
import type { SinkSpec } from '../core/notify.js';
import { type AgentSpec, DEFAULT_RESTART_POLICY, type TaskSpec } from '../core/task.js';
import { applyDecision, type DecisionContext } from './apply.js';
import { openStore, type Store } from './db.js';

let dir: string;
let store: Store;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hf-outbox-'));
  store = openStore(join(dir, 'holdfast.db'));
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const spec = (notify?: SinkSpec[]): TaskSpec => ({
  command: ['x'],
  cwd: '/',
  umask: '022',
  restart: { ...DEFAULT_RESTART_POLICY, mode: 'no' },
  stallTimeoutMs: null,
  onStall: 'restart',
  agent: null,
  checkpointEveryMs: null,
  mission: null,
  ...(notify === undefined ? {} : { notify }),
});

/** A task started (run 1, alive), then `pane` is what the next decision sees. */
function started(
  name: string,
  notify?: SinkSpec[],
): { id: number; decide: (pane: PaneFact, now: number) => void } {
  let pane: PaneFact = { kind: 'none' };
  const ctx = (now: number): DecisionContext => ({
    now,
    jitter: 0.5,
    self: process.pid,
    logPath: (_t, n) => `/dev/null/${name}/${n}`,
    facts: () => ({ pane, agent: null }),
  });
  const task = store.tx(() =>
    store.tasks.insert({ name, spec: spec(notify), desired: 'running', state: 'pending', now: 1000 }),
  );
  applyDecision(store, task.id, ctx(1000));
  pane = { kind: 'alive', pid: 4242 };
  applyDecision(store, task.id, ctx(1100));
  return {
    id: task.id,
    decide: (p, now) => {
      pane = p;
      applyDecision(store, task.id, ctx(now));
    },
  };
}

const death: PaneFact = { kind: 'dead', exitCode: 3, signal: null, at: 2000, pid: 4242 };

describe('the outbox', () => {
  it('a failed run enqueues one `failed` notification with the decision; deciding again enqueues nothing', () => {
    const t = started('job');
    t.decide(death, 2000);
    expect(store.tasks.byId(t.id)!.state).toBe('failed');
    t.decide(death, 2100);
    const rows = store.outbox.list();
    expect(rows.map((r) => [r.key, r.event, r.state, r.attempts, r.sinks])).toEqual([
      [`task/${t.id}/run/${store.tasks.byId(t.id)!.currentRunId}/failed`, 'failed', 'pending', 0, null],
    ]);
    expect(rows[0]!.body).toMatchObject({ task: 'job', state: 'failed', run: 1, data: { exitCode: 3 } });
    // The same key once more (a decision made twice by two processes) is a no-op.
    const draft = {
      key: rows[0]!.key,
      event: 'failed' as const,
      taskId: t.id,
      runId: null,
      body: rows[0]!.body,
    };
    expect(store.tx(() => store.outbox.enqueue(draft, 'job', null, 3000))).toBe(false);
    expect(store.outbox.list()).toHaveLength(1);
  });

  it('a headless agent whose limit-reset retries hit a limit with no reset time enqueues one rate-limited, then one resumed when a run gets past it', () => {
    let pane: PaneFact = { kind: 'none' };
    let agent: AgentFacts | null = null;
    const ctx = (now: number): DecisionContext => ({
      now,
      jitter: 0.5,
      self: process.pid,
      logPath: (_t, n) => `/dev/null/agent/${n}`,
      facts: () => ({ pane, agent }),
    });
    const agentSpec: AgentSpec = {
      kind: 'claude',
      model: null,
      unattended: false,
      onLimit: 'wait',
      limitBackoffMs: [60_000],
      extraArgs: [],
    };
    const task = store.tx(() =>
      store.tasks.insert({
        name: 'agent',
        spec: { ...spec(), restart: { ...DEFAULT_RESTART_POLICY, mode: 'on-failure' }, agent: agentSpec },
        desired: 'running',
        state: 'pending',
        now: 1000,
      }),
    );
    let now = 1000;
    const step = (p: PaneFact, a: AgentFacts | null = null) => {
      pane = p;
      agent = a;
      applyDecision(store, task.id, ctx(now));
    };
    const ends = (v: AgentFacts['verdict'], exitCode: number) => {
      now += 1000;
      step(
        { kind: 'dead', exitCode, signal: null, at: now, pid: 4242 },
        { verdict: v, sessionId: null, toolInFlight: false },
      );
    };
    const run = () => {
      step({ kind: 'none' });
      now += 100;
      step({ kind: 'alive', pid: 4242 });
      expect(store.tasks.byId(task.id)!.state).toBe('running');
    };
    run();
    for (let retry = 0; retry < 4; retry++) {
      ends({ class: 'usage-limited', resetAt: null }, 1);
      expect(store.tasks.byId(task.id)!.state, `run ${retry + 1}`).toBe('rate-limited');
      now = store.tasks.byId(task.id)!.nextStartAt!;
      run();
    }
    ends({ class: 'done' }, 0);
    expect(store.tasks.byId(task.id)!.state).toBe('succeeded');
    const first = store.runs.forTask(task.id)[0]!.id;
    expect(store.outbox.list().map((r) => [r.event, r.key])).toEqual([
      ['rate-limited', `task/${task.id}/run/${first}/rate-limited`],
      ['resumed', `task/${task.id}/run/${first}/resumed`],
      ['succeeded', `task/${task.id}/run/${store.tasks.byId(task.id)!.currentRunId}/succeeded`],
    ]);
  });

  it('is written in the transaction of the decision: an outbox that cannot be written leaves the task as it was', () => {
    const t = started('atomic');
    store.db.exec('DROP TABLE outbox');
    expect(() => t.decide(death, 2000)).toThrow(/outbox/);
    expect(store.tasks.byId(t.id)!.state).toBe('running');
    expect(store.runs.byId(store.tasks.byId(t.id)!.currentRunId!)!.endedAt).toBeNull();
    expect(store.events.forTask(t.id).map((e) => e.type)).not.toContain('failed');
  });

  it('`--notify none` (an empty list) enqueues nothing; a task list goes with the row', () => {
    const none = started('quiet', []);
    none.decide(death, 2000);
    const hook: SinkSpec = { type: 'webhook', url: 'http://127.0.0.1:1/', format: 'raw' };
    const own = started('own', [hook]);
    own.decide(death, 2000);
    expect(store.outbox.list().map((r) => [r.taskName, r.sinks])).toEqual([['own', [hook]]]);
  });

  it('prune forgets only notifications done before the cutoff; pending and sending rows stay whatever their age', () => {
    const owner = { pid: process.pid, start: 'test' };
    const draft = (key: string) => ({
      key,
      event: 'failed' as const,
      taskId: null,
      runId: null,
      body: {} as never,
    });
    store.tx(() => {
      for (const key of ['sent-old', 'failed-old', 'pending-old', 'sending-old', 'sent-new'])
        store.outbox.enqueue(draft(key), 'job', null, key.endsWith('old') ? 1000 : 5000);
    });
    const byKey = (key: string) => store.outbox.list().find((r) => r.key === key)!;
    for (const [key, state] of [
      ['sent-old', 'sent'],
      ['failed-old', 'failed'],
      ['sending-old', null],
      ['sent-new', 'sent'],
    ] as const) {
      const row = byKey(key);
      expect(store.outbox.claim(row.id, row, owner, 6000)).toBe(true);
      if (state !== null)
        store.outbox.settle(row.id, owner, {
          state,
          nextAttemptAt: 6000,
          error: null,
          deliveries: {},
          now: 6000,
        });
    }
    expect(store.outbox.prune(2000)).toBe(2);
    expect(store.outbox.list().map((r) => r.key)).toEqual(['pending-old', 'sending-old', 'sent-new']);
  });
});
