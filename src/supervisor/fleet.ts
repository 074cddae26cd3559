/**
 * `holdfast up`'s plan carried out: the new tasks, the changed ones' new specs and restarts, and
 * the starts and removals, recorded in one transaction; then the loop runs for all of them at once
 * (as `run` does for one) until every run asked for is in tmux.
 */
import type { FleetStep } from '../core/fleet-plan.js';
import type { TaskRecord, TaskSpec } from '../core/task.js';
import { createTasks, firstRunStarted, type NewTask } from './create.js';
import { carryOut, settledAfter } from './intents.js';
import type { Runtime } from './runtime.js';

export interface FleetChanges {
  steps: readonly FleetStep[];
  /** For each `create` step, by name. */
  creations: ReadonlyMap<string, NewTask>;
  /** For each `update` step, by name: the spec the task runs from now on. */
  specs: ReadonlyMap<string, TaskSpec>;
  /** Done to the new tasks once they are committed, before this waits for their first runs. */
  beforeStart?: (created: readonly TaskRecord[]) => void;
}

export interface FleetOutcome {
  created: TaskRecord[];
  /** Tasks whose intent was recorded (update, start, remove), with the run each had then. */
  touched: { task: TaskRecord; seenRunId: number | null; action: FleetStep['action'] }[];
  /** Whether everything asked for was carried out before the deadline. */
  settled: boolean;
}

/** How long a stop of a changed task's run may take before it is killed (as `restart`'s default). */
const RESTART_TIMEOUT_MS = 10_000;

export async function applyFleet(
  rt: Runtime,
  changes: FleetChanges,
  deadlineMs = 60_000,
): Promise<FleetOutcome> {
  const touched: FleetOutcome['touched'] = [];
  const creations = changes.steps
    .filter((s) => s.action === 'create')
    .map((s) => changes.creations.get(s.name)!);
  const created = await createTasks(rt, creations, () => {
    for (const step of changes.steps) {
      if (step.action !== 'update' && step.action !== 'start' && step.action !== 'remove') continue;
      const task = rt.store.tasks.byName(step.name);
      if (!task) continue;
      const runId = task.currentRunId;
      if (step.action === 'remove') {
        rt.store.intents.add(task.id, { kind: 'remove', timeoutMs: RESTART_TIMEOUT_MS }, rt.now());
      } else {
        const spec = step.action === 'update' ? changes.specs.get(step.name) : undefined;
        rt.store.intents.add(
          task.id,
          { kind: 'restart', timeoutMs: RESTART_TIMEOUT_MS, runId, ...(spec ? { spec } : {}) },
          rt.now(),
        );
      }
      touched.push({ task, seenRunId: runId, action: step.action });
    }
  });
  changes.beforeStart?.(created);
  const checks = [
    ...created.map((t) => () => firstRunStarted(rt, t.id)),
    ...touched.map(({ task, seenRunId, action }) =>
      action === 'remove'
        ? () => rt.store.tasks.byId(task.id) === null
        : settledAfter(rt, task.id, seenRunId),
    ),
  ];
  const ids = [...created.map((t) => t.id), ...touched.map((t) => t.task.id)];
  const settled =
    ids.length === 0 || (await carryOut(rt, ids, () => checks.every((done) => done()), deadlineMs));
  return { created, touched, settled };
}
