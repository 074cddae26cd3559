import { accessSync, constants, lstatSync, rmSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { HoldfastError } from '../core/errors.js';
import { uniqueName, validateTaskName } from '../core/names.js';
import type { RunRecord, TaskRecord, TaskSpec } from '../core/task.js';
import { ensurePrivateDir, writePrivateFile } from '../fs-safe.js';
import { writeEnvFile } from './env-file.js';
import { startRun } from './launch.js';
import type { Runtime } from './runtime.js';

export interface NewTask {
  /** An explicit name must be free; otherwise `nameBase` is made unique. */
  name?: string;
  nameBase: string;
  spec: TaskSpec;
  env: NodeJS.ProcessEnv;
  /** Files (name → content) written 0600 into the task's folder before the first run (an agent's prompt). */
  files?: Record<string, string>;
  /** Computes a session id chosen before launch (claude, gemini: a uuid; pi: a file), from the final name. */
  sessionFor?: (name: string) => string | null;
}

/**
 * Creates a task and starts its first run. Anything that fails on the way removes what was made,
 * so a failed `holdfast run` leaves no half-created task behind.
 */
export async function createTask(
  rt: Runtime,
  input: NewTask,
): Promise<{ task: TaskRecord; run: RunRecord | null }> {
  if (input.name !== undefined) validateTaskName(input.name);
  await rt.tmux.ensureAvailable();
  const task = rt.store.tx(() => {
    let name: string;
    if (input.name !== undefined) {
      if (rt.store.tasks.nameTaken(input.name)) {
        throw new HoldfastError('EDUPLICATE', `a task named ${input.name} already exists`, {
          hint: `choose another --name, or remove it first: holdfast rm ${input.name}`,
        });
      }
      name = input.name;
    } else {
      name = uniqueName(input.nameBase, (n) => rt.store.tasks.nameTaken(n));
    }
    const now = rt.now();
    const created = rt.store.tasks.insert({
      name,
      spec: input.spec,
      desired: 'running',
      state: 'pending',
      now,
    });
    const sessionId = input.sessionFor?.(name) ?? null;
    if (sessionId !== null) rt.store.tasks.update(created.id, { sessionId }, now);
    rt.store.events.append({
      taskId: created.id,
      taskName: name,
      at: now,
      type: 'created',
      data: { command: input.spec.command, cwd: input.spec.cwd, agent: input.spec.agent?.kind ?? null },
    });
    return created;
  });
  try {
    ensurePrivateDir(rt.paths.taskDir(task.name));
    writeEnvFile(rt.paths.envFile(task.name), input.env);
    for (const [file, content] of Object.entries(input.files ?? {})) {
      writePrivateFile(join(rt.paths.taskDir(task.name), file), content);
    }
    const run = await startRun(rt, task.id, 'start');
    return { task: rt.store.tasks.byId(task.id)!, run };
  } catch (error) {
    await discardTask(rt, task);
    throw error;
  }
}

/** Deletes a task's rows, files and tmux session. The journal keeps its history (and a `removed` entry). */
export async function discardTask(rt: Runtime, task: TaskRecord): Promise<void> {
  try {
    await rt.tmux.killSession(task.name);
  } catch {
    // tmux itself is unusable (missing, too old): there is no session to remove either
  }
  rt.store.tx(() => {
    rt.store.tasks.remove(task.id);
    rt.store.events.append({ taskId: task.id, taskName: task.name, at: rt.now(), type: 'removed', data: {} });
  });
  const dir = rt.paths.taskDir(task.name);
  // A link found where the folder should be was refused, not made by holdfast: it stays for the user to see.
  if (!isLink(dir)) rmSync(dir, { recursive: true, force: true });
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Finds the program as execvp would, so a typo fails `holdfast run` instead of the first run. */
export function resolveProgram(program: string, cwd: string, pathVar = process.env.PATH ?? ''): string {
  const candidates = program.includes('/')
    ? [isAbsolute(program) ? program : resolve(cwd, program)]
    : pathVar
        .split(delimiter)
        .filter((dir) => dir.length > 0)
        .map((dir) => join(resolve(cwd, dir), program));
  for (const candidate of candidates) {
    try {
      if (!statSync(candidate).isFile()) continue;
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here: try the next directory
    }
  }
  throw new HoldfastError('ENOCOMMAND', `command not found: ${program}`, {
    hint: program.includes('/')
      ? 'check the path and that the file is executable'
      : 'check the name and your PATH',
  });
}
