/**
 * The agent-files step of an interactive run: before each launch, the files the TUI is pointed at
 * are written under `paths.agentDir(task)` (claude's `settings.json`, codex's `codex-home/`), and
 * the task's `signals.jsonl`, which the hook program only appends to, is created 0600.
 *
 * The user's own agent home is the one of the environment that created the task (its env file):
 * codex's `$CODEX_HOME` or `~/.codex`. Its `config.toml` is read into the task's; its `auth.json`
 * is linked, not copied (codex keeps its login there).
 */
import { lstatSync, readFileSync, renameSync, symlinkSync, unlinkSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { getAdapter } from '../../agents/registry.js';
import type { AgentFilesInput } from '../../agents/types.js';
import type { TaskRecord } from '../../core/task.js';
import { ensurePrivateDir, touchPrivateFile, writePrivateFile } from '../../fs-safe.js';
import { hookProgram } from '../../paths.js';
import type { Runtime } from '../runtime.js';
import { readEnvFile } from './env-file.js';

/** The hook program's argv for this task, up to where the agent adds its payload. */
export function hookArgv(rt: Runtime, task: TaskRecord): string[] {
  return [process.execPath, hookProgram(), rt.paths.home, task.name, String(task.id), task.spec.agent!.kind];
}

/** The agent's own home in the task's creating environment. */
export function userAgentHome(rt: Runtime, task: TaskRecord): string {
  const env = readEnvFile(rt.paths.envFile(task.name));
  const home = env.HOME || homedir();
  if (task.spec.agent!.kind === 'codex') return resolve(env.CODEX_HOME || join(home, '.codex'));
  return resolve(env.CLAUDE_CONFIG_DIR || join(home, '.claude'));
}

export function writeAgentFiles(rt: Runtime, task: TaskRecord): void {
  const agent = task.spec.agent!;
  const interactive = getAdapter(agent.kind).interactive!;
  const dir = rt.paths.agentDir(task.name);
  ensurePrivateDir(dir);
  const userHome = userAgentHome(rt, task);
  // A creating environment that was itself a holdfast task's (its CODEX_HOME is one of ours) has
  // no user home to read: the task's own files would be read back into themselves.
  const ours = !relative(resolve(rt.paths.home), userHome).startsWith('..');
  const input: AgentFilesInput = {
    hook: hookArgv(rt, task),
    cwd: task.spec.cwd,
    trust: agent.trust === true,
    hasRules: (agent.allow?.length ?? 0) + (agent.deny?.length ?? 0) > 0,
    userHome,
    readUserFile: (name) => (ours ? null : readUserFile(join(userHome, name))),
  };
  for (const [name, content] of Object.entries(interactive.files(input))) {
    const path = join(dir, name);
    ensurePrivateDir(dirname(path));
    writePrivateFile(path, content);
  }
  for (const [name, target] of Object.entries(interactive.links?.(input) ?? {})) {
    const path = join(dir, name);
    ensurePrivateDir(dirname(path));
    placeLink(path, target);
  }
  touchPrivateFile(rt.paths.signalsFile(task.name));
}

/** The user's file, read through links (a dotfile manager's are the user's own); null when absent. */
function readUserFile(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/**
 * Makes `path` a link to `target`: made beside it and renamed over it, so whatever was planted at
 * `path` is replaced, never followed. holdfast never writes through it; the agent does. A regular
 * file there is the agent's own (it replaced the link with a newer login): it is kept.
 */
function placeLink(path: string, target: string): void {
  let existing: ReturnType<typeof lstatSync> | null = null;
  try {
    existing = lstatSync(path);
  } catch {
    existing = null;
  }
  if (existing?.isFile()) return;
  const temp = `${path}.${process.pid}.${Date.now()}.link`;
  symlinkSync(target, temp);
  try {
    renameSync(temp, path);
  } catch (error) {
    unlinkSync(temp);
    throw error;
  }
}
