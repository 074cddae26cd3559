import { classifyCommandExit, type ExitVerdict, planAfterExit } from '../core/lifecycle.js';
import { FINAL_STATES, type RunExit, type RunRecord, type TaskRecord } from '../core/task.js';
import type { PaneInfo } from '../tmux/panes.js';
import { agentVerdict, makeAgentLineConsumer } from './agent-run.js';
import { isAlive, nudgeReap } from './process.js';
import type { Runtime } from './runtime.js';
import { sleep } from './sleep.js';
import { tailRun } from './tailer.js';

export interface ObserveResult {
  /** Runs whose end was recorded by this call. */
  ended: number[];
  /** Runs created by a process that died before putting them into tmux: the daemon launches them. */
  unlaunched: RunRecord[];
  /** Dead panes tmux has not reaped yet: their status is still unknown. */
  pendingReap: number;
  serverPid: number | null;
}

/** Reads every pane in one tmux call and records the end of each run whose pane has died or vanished. */
export async function observe(rt: Runtime): Promise<ObserveResult> {
  const launched = launchedRuns(rt);
  const panes = await rt.tmux.listPanes();
  return applyPanes(rt, panes, launched);
}

/**
 * The open runs already in tmux (their pid recorded), read before a pane listing is taken: only
 * those can be missing from it. A run launched while the listing was under way is simply not in
 * it yet, and is judged by the next one.
 */
export function launchedRuns(rt: Runtime): ReadonlySet<number> {
  return new Set(
    rt.store.runs
      .open()
      .filter((r) => r.pid !== null)
      .map((r) => r.id),
  );
}

export function applyPanes(
  rt: Runtime,
  panes: PaneInfo[] | null,
  launchedBefore: ReadonlySet<number>,
): ObserveResult {
  const byRun = new Map<number, PaneInfo>();
  for (const pane of panes ?? []) if (pane.runId !== null) byRun.set(pane.runId, pane);
  const result: ObserveResult = {
    ended: [],
    unlaunched: [],
    pendingReap: 0,
    serverPid: panes?.[0]?.serverPid ?? null,
  };
  for (const run of rt.store.runs.open()) {
    const pane = byRun.get(run.id);
    if (pane) {
      // The starter died between tmux starting the pane and recording its pid.
      if (run.pid === null) rt.store.runs.setPid(run.id, pane.pid);
      if (!pane.dead) continue;
      if (pane.deadStatus === null && pane.deadSignal === null) {
        result.pendingReap++;
        continue;
      }
      const exit = { exitCode: pane.deadStatus, signal: pane.deadSignal, endedAt: rt.now(), reason: null };
      if (recordExit(rt, run.id, exit)) result.ended.push(run.id);
      continue;
    }
    if (stillLaunching(run)) continue;
    if (run.pid === null && panes !== null) {
      result.unlaunched.push(run);
      continue;
    }
    if (!launchedBefore.has(run.id)) continue;
    const reason = panes === null ? 'server-lost' : 'pane-lost';
    if (recordExit(rt, run.id, { exitCode: null, signal: null, endedAt: rt.now(), reason }))
      result.ended.push(run.id);
  }
  return result;
}

/** A run whose starter is alive and has not yet recorded a pid is being put into tmux right now. */
function stillLaunching(run: RunRecord): boolean {
  return run.pid === null && run.starterPid !== null && isAlive(run.starterPid);
}

/**
 * Observes until no dead pane waits to be reaped, nudging the server each time (tmux can miss a
 * child's exit: docs/architecture.md, "Missed reaps"). Bounded, so a wedged server cannot hang a
 * CLI call.
 */
export async function observeSettled(rt: Runtime, deadlineMs = 2000): Promise<ObserveResult> {
  const deadline = Date.now() + deadlineMs;
  let result = await observe(rt);
  while (result.pendingReap > 0 && result.serverPid !== null && Date.now() < deadline) {
    nudgeReap(result.serverPid);
    await sleep(15);
    result = await observe(rt);
  }
  return result;
}

/**
 * Records the end of one run, exactly once: the run row is ended under a guard, and the task's
 * next state, its journal entries and the run's end commit together. A second observer of the
 * same death (hook line, list-panes, another CLI) finds the run ended and does nothing.
 */
export function recordExit(rt: Runtime, runId: number, exit: RunExit): boolean {
  return rt.store.tx(() => {
    const run = rt.store.runs.byId(runId);
    if (!run || run.endedAt !== null) return false;
    rt.store.runs.end(runId, exit);
    const task = rt.store.tasks.byId(run.taskId);
    if (!task) return true;
    const now = rt.now();
    const journal = (type: string, data: Record<string, unknown>) =>
      rt.store.events.append({ taskId: task.id, taskName: task.name, runId, at: now, type, data });
    journal('exited', {
      run: run.n,
      exitCode: exit.exitCode,
      signal: exit.signal,
      durationMs: exit.endedAt - run.startedAt,
      ...(exit.reason ? { reason: exit.reason } : {}),
    });
    if (task.currentRunId !== runId) return true;
    if (task.spec.agent) tailRun(rt, run, makeAgentLineConsumer(rt), true);
    const verdict = verdictFor(rt, task, run, exit);
    const plan = planAfterExit({
      task,
      policy: task.spec.restart,
      run,
      exit,
      verdict,
      firstStartedAt: rt.store.runs.firstStartedAt(task.id) ?? run.startedAt,
      onLimit: task.spec.agent?.onLimit ?? 'wait',
      limitBackoffMs: task.spec.agent?.limitBackoffMs ?? [],
      agent: task.spec.agent !== null,
      now,
      random: rt.random,
    });
    const final = FINAL_STATES.has(plan.state);
    rt.store.tasks.update(
      task.id,
      {
        state: plan.state,
        reason: plan.reason ?? (exit.reason && final ? exit.reason : null),
        nextStartAt: plan.nextStartAt,
        limitResetsAt: plan.limitResetsAt,
        supervision: plan.supervision,
        nextRun: plan.nextRun,
        // An ended task wants nothing more: a start decided before this end must not revive it.
        ...(final ? { desired: 'stopped', stopRequestedAt: null, stopTimeoutMs: null, stopAs: null } : {}),
      },
      now,
    );
    for (const event of plan.events) journal(event.type, event.data);
    if (final) journal(plan.state, { run: run.n, ...(plan.reason ? { reason: plan.reason } : {}) });
    return true;
  });
}

function verdictFor(rt: Runtime, task: TaskRecord, run: RunRecord, exit: RunExit): ExitVerdict {
  // The daemon ended a stalled run on purpose: that is a stall, not a crash of the task's own.
  if (task.state === 'stalled') return { class: 'stalled', detail: 'stalled' };
  if (exit.reason === 'server-lost' || !task.spec.agent) return classifyCommandExit(exit);
  return agentVerdict(rt, task, run, exit);
}
