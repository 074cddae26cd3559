/**
 * The tasks a mission runs: its agent task (named after it) and its gate task (`<name>-gate`),
 * created with the environment of the `mission init` that defined the mission.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AgentSpec, DEFAULT_RESTART_POLICY, type TaskSpec } from '../core/task.js';
import { ensurePrivateDir, writePrivateFile } from '../fs-safe.js';
import { gateTaskName, type Mission } from '../mission/types.js';
import { preassignedSession } from './agent-run.js';
import { createTask } from './create.js';
import { carryOut, settledAfter } from './intents.js';
import type { Runtime } from './runtime.js';
import { grantTrust } from './trust.js';

const missionDir = (rt: Runtime, mission: string): string => join(rt.paths.home, 'missions', mission);
const envFile = (rt: Runtime, mission: string) => join(missionDir(rt, mission), 'env.json');

/** Keeps the environment of `mission init` (0600, outside the store) for the tasks created later. */
export function saveMissionEnv(rt: Runtime, mission: string, env: NodeJS.ProcessEnv): void {
  ensurePrivateDir(join(rt.paths.home, 'missions'));
  ensurePrivateDir(missionDir(rt, mission));
  writePrivateFile(envFile(rt, mission), JSON.stringify(env));
}

function missionEnv(rt: Runtime, mission: string): NodeJS.ProcessEnv {
  try {
    return JSON.parse(readFileSync(envFile(rt, mission), 'utf8')) as NodeJS.ProcessEnv;
  } catch {
    return process.env;
  }
}

/**
 * Creates the agent task, which starts its first run with `prompt`. Returns null when it exists
 * (another daemon, or the CLI, created it first: that is the same session), else why it failed.
 */
export async function createSessionTask(
  rt: Runtime,
  m: Mission,
  agent: AgentSpec,
  prompt: string,
): Promise<string | null> {
  const spec: TaskSpec = {
    command: [agent.kind],
    cwd: m.cwd,
    umask: m.settings.umask,
    restart: { ...DEFAULT_RESTART_POLICY, mode: 'on-failure' },
    stallTimeoutMs: m.settings.stallTimeoutMs,
    onStall: 'restart',
    agent,
    checkpointEveryMs: 5 * 60_000,
    mission: m.name,
    // The session task owns the mission's worktree: `diff`, `recover` and `rm` see it there.
    ...(m.settings.worktree ? { worktree: m.settings.worktree } : {}),
  };
  const env = missionEnv(rt, m.name);
  try {
    const created = await createTask(rt, {
      name: m.name,
      nameBase: m.name,
      spec,
      env,
      files: { 'prompt.txt': prompt },
      // An interactive agent's first prompt is typed into its TUI, once, like any input.
      ...(agent.interactive ? { inputs: [{ text: prompt, source: 'mission' as const }] } : {}),
      sessionFor: (name) => preassignedSession(agent.kind, rt.paths, name),
    });
    if (agent.interactive && agent.trust) grantTrust(rt, created, env);
    return null;
  } catch (error) {
    if (rt.store.tasks.byName(m.name)) return null;
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Starts the gate's next run, which is to be run number `run`: by creating the task (its run 1),
 * or by starting its next run only if its current run is still `after` (no second start).
 */
export async function startGateRun(
  rt: Runtime,
  m: Mission,
  command: string,
  action: { create: boolean; after: number | null },
): Promise<void> {
  const name = gateTaskName(m.name);
  const spec = gateSpec(m, command);
  if (action.create) {
    // Another process creating it at the same moment is the same gate run.
    await createTask(rt, { name, nameBase: name, spec, env: missionEnv(rt, m.name) }).catch(() => undefined);
    return;
  }
  const task = rt.store.tasks.byName(name);
  if (!task) return;
  rt.store.intents.add(task.id, { kind: 'run', cause: 'start', prompt: null, fresh: false, spec }, rt.now());
  await settleTask(rt, task.id, action.after);
}

/**
 * A run asked for as an intent: inside the daemon its loop starts it in this same pass; a CLI with
 * no daemon runs the loop for that task until the run is in tmux.
 */
export async function settleTask(rt: Runtime, taskId: number, after: number | null): Promise<void> {
  if (rt.supervisor) {
    rt.supervisor.markDirty(taskId);
    return;
  }
  await carryOut(rt, [taskId], settledAfter(rt, taskId, after), 10_000);
}

function gateSpec(m: Mission, command: string): TaskSpec {
  return {
    // The gate is a command line the user wrote in the mission, meant for a shell, as in an npm script.
    command: ['bash', '-c', command],
    cwd: m.cwd,
    umask: m.settings.umask,
    restart: { ...DEFAULT_RESTART_POLICY, mode: 'no' },
    stallTimeoutMs: null,
    onStall: 'notify',
    agent: null,
    checkpointEveryMs: null,
    mission: m.name,
    // The mission starts each gate run it expects, itself: boot recovery starting one more would
    // run the gate beside the run the mission reads.
    onBoot: 'fail',
  };
}
