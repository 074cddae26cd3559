import type { RunRecord, TaskRecord } from '../../core/task.js';
import type { Runtime } from '../runtime.js';
import { planAgentLaunch } from './prompt.js';

export interface LaunchPlan {
  argv: string[];
  /** A file fed to the command's stdin (an agent's prompt), or null to keep the terminal. */
  stdinFile: string | null;
  /** Extra NAME=VALUE variables for this run (never secrets: they pass through argv). */
  env: string[];
}

/** What to exec for a run: the user's argv for a command task, the adapter's for an agent. */
export async function planLaunch(rt: Runtime, task: TaskRecord, run: RunRecord): Promise<LaunchPlan> {
  if (task.spec.agent) return planAgentLaunch(rt, task, run);
  return { argv: [...task.spec.command], stdinFile: null, env: [] };
}
