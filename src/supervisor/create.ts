import { accessSync, constants, lstatSync, rmSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { createWorktree, discardWorktree } from '../checkpoint/index.js';
import { HoldfastError } from '../core/errors.js';
import { event } from '../core/events.js';
import type { InputSource } from '../core/input.js';
import { uniqueName, validateTaskName } from '../core/names.js';
import type { RunRecord, TaskRecord, TaskSpec, WorktreeSpec } from '../core/task.js';
import { ensurePrivateDir, writePrivateFile } from '../fs-safe.js';
import { queueInputIn } from '../store/queue-input.js';
import { discardFiles } from './execute.js';
import { carryOut, launchFailure } from './intents.js';
import type { Runtime } from './runtime.js';
import { writeEnvFile } from './steps/env-file.js';

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
  /** Input queued with the task (an interactive run's first prompt): delivered once its TUI is up. */
  inputs?: { text: string; source: InputSource }[];
  /**
   * `run --worktree [branch]`: the task gets a git worktree of its own, made from `spec.cwd`'s repo
   * on `branch` (null = `holdfast/<task>`); its spec's `cwd` and `worktree` are set from it.
   */
  worktree?: { branch: string | null; root?: string };
}

/**
 * Creates a task, due at once: its row, its journal entry, its folder, env file and files commit
 * together (the files are written while the transaction holds the store's write lock, so no
 * supervisor can start it before they exist). Anything that fails on the way leaves nothing
 * behind. A creator killed right after this leaves a task the daemon starts.
 */
export async function createTask(rt: Runtime, input: NewTask): Promise<TaskRecord> {
  const [created] = await createTasks(rt, [input]);
  return created!;
}

/**
 * Creates several tasks in one transaction (`holdfast up`): all of them, or, when any one fails
 * (a name taken meanwhile), none, with no folder left behind.
 */
export async function createTasks(
  rt: Runtime,
  inputs: readonly NewTask[],
  /** More writes (intents for other tasks) to commit with the new tasks, or not at all. */
  alongside?: () => void,
): Promise<TaskRecord[]> {
  for (const input of inputs) if (input.name !== undefined) validateTaskName(input.name);
  await rt.tmux.ensureAvailable();
  const made: string[] = [];
  const worktrees: WorktreeSpec[] = [];
  try {
    // git runs outside the transaction (it is slow, and the store's write lock would wait on it),
    // so a worktree task's name is fixed first and the task is then created under exactly it.
    const resolved = await withWorktrees(rt, inputs, worktrees);
    return rt.store.tx(() => {
      alongside?.();
      return resolved.map((input) => insertTask(rt, input, made));
    });
  } catch (error) {
    // The rows rolled back; the folders this call made go too (a link found there stays).
    for (const dir of made) if (!isLink(dir)) rmSync(dir, { recursive: true, force: true });
    for (const worktree of worktrees) await discardWorktree(worktree).catch(() => {});
    throw error;
  }
}

/**
 * The inputs with each worktree request carried out: a name chosen (a derived one made unique
 * against the store and this call's other names), the worktree made, the spec's cwd moved into it.
 * `made` collects each worktree as soon as it exists, for the caller to remove on failure.
 */
async function withWorktrees(
  rt: Runtime,
  inputs: readonly NewTask[],
  made: WorktreeSpec[],
): Promise<NewTask[]> {
  if (!inputs.some((input) => input.worktree)) return [...inputs];
  const chosen = new Set(inputs.flatMap((input) => (input.name === undefined ? [] : [input.name])));
  const out: NewTask[] = [];
  for (const input of inputs) {
    if (!input.worktree) {
      out.push(input);
      continue;
    }
    let name = input.name;
    if (name === undefined) {
      name = uniqueName(input.nameBase, (n) => chosen.has(n) || rt.store.tasks.nameTaken(n));
      chosen.add(name);
    } else if (rt.store.tasks.nameTaken(name)) {
      throw duplicate(name);
    }
    const created = await createWorktree({
      cwd: input.spec.cwd,
      task: name,
      branch: input.worktree.branch,
      root: input.worktree.root ?? null,
      umask: input.spec.umask,
    });
    made.push(created.worktree);
    out.push({ ...input, name, spec: { ...input.spec, cwd: created.cwd, worktree: created.worktree } });
  }
  return out;
}

function duplicate(name: string): HoldfastError {
  return new HoldfastError('EDUPLICATE', `a task named ${name} already exists`, {
    hint: `choose another --name, or remove it first: holdfast rm ${name}`,
  });
}

/** One task's row, journal entry and files, inside the caller's transaction; `made` collects its folder. */
function insertTask(rt: Runtime, input: NewTask, made: string[]): TaskRecord {
  let name: string;
  if (input.name !== undefined) {
    if (rt.store.tasks.nameTaken(input.name)) throw duplicate(input.name);
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
    sessionId: input.sessionFor?.(name) ?? null,
  });
  rt.store.events.record(
    { taskId: created.id, taskName: name, at: now },
    event('created', {
      command: input.spec.command,
      cwd: input.spec.cwd,
      agent: input.spec.agent?.kind ?? null,
    }),
  );
  const dir = rt.paths.taskDir(name);
  made.push(dir);
  ensurePrivateDir(dir);
  writeEnvFile(rt.paths.envFile(name), input.env);
  for (const [file, content] of Object.entries(input.files ?? {})) {
    writePrivateFile(join(dir, file), content);
  }
  for (const queued of input.inputs ?? []) queueInputIn(rt.store, created, queued.text, queued.source, now);
  return created;
}

/**
 * Starts a created task's first run and waits until it is in tmux. A first run that cannot be put
 * into tmux removes the task again, so a failed `holdfast run` leaves no half-created task.
 */
export async function startTask(rt: Runtime, taskId: number): Promise<RunRecord | null> {
  await carryOut(rt, [taskId], () => firstRunStarted(rt, taskId), 30_000);
  const task = rt.store.tasks.byId(taskId);
  const run = task?.currentRunId == null ? null : rt.store.runs.byId(task.currentRunId);
  const failed = launchFailure(rt, taskId, null);
  if (task && failed) {
    await discardTask(rt, task);
    // The worktree made for it goes too; its branch only while it holds nothing beyond its base.
    if (task.spec.worktree) await discardWorktree(task.spec.worktree).catch(() => {});
    throw failed;
  }
  return run;
}

/** Whether a created task's first run is in tmux with its pid (or has ended, or the task is gone). */
export function firstRunStarted(rt: Runtime, taskId: number): boolean {
  const task = rt.store.tasks.byId(taskId);
  const run = task?.currentRunId == null ? null : rt.store.runs.byId(task.currentRunId);
  if (task === null || run?.endedAt != null) return true;
  return run !== null && run.pid !== null && task.state !== 'starting';
}

/** Deletes a task's rows, files and tmux session. The journal keeps its history (and a `removed` entry). */
export async function discardTask(rt: Runtime, task: TaskRecord): Promise<void> {
  const gone = () => rt.store.tasks.byId(task.id) === null;
  if (!gone()) {
    rt.store.tx(() => rt.store.intents.add(task.id, { kind: 'remove', timeoutMs: 2000 }, rt.now()));
    await carryOut(rt, [task.id], gone, 10_000);
  }
  // Whoever removed it took these away too; done again here so they are gone when this returns.
  await discardFiles(rt, task.name);
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
