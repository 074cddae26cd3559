/**
 * The agent-files step of an interactive run: before each launch, the files the TUI is pointed at
 * are written under `paths.agentDir(task)` (claude's `settings.json`, codex's `codex-home/`), and
 * the task's `signals.jsonl`, which the hook program only appends to, is created 0600.
 */
import { dirname, join } from 'node:path';
import { getAdapter } from '../../agents/registry.js';
import type { TaskRecord } from '../../core/task.js';
import { ensurePrivateDir, touchPrivateFile, writePrivateFile } from '../../fs-safe.js';
import { hookProgram } from '../../paths.js';
import type { Runtime } from '../runtime.js';

/** The hook program's argv for this task, up to where the agent adds its payload. */
export function hookArgv(rt: Runtime, task: TaskRecord): string[] {
  return [process.execPath, hookProgram(), rt.paths.home, task.name, String(task.id), task.spec.agent!.kind];
}

export function writeAgentFiles(rt: Runtime, task: TaskRecord): void {
  const agent = task.spec.agent!;
  const interactive = getAdapter(agent.kind).interactive!;
  const dir = rt.paths.agentDir(task.name);
  ensurePrivateDir(dir);
  const files = interactive.files({
    hook: hookArgv(rt, task),
    cwd: task.spec.cwd,
    trust: agent.trust === true,
  });
  for (const [name, content] of Object.entries(files)) {
    const path = join(dir, name);
    ensurePrivateDir(dirname(path));
    writePrivateFile(path, content);
  }
  touchPrivateFile(rt.paths.signalsFile(task.name));
}
