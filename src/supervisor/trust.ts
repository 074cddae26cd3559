/**
 * `run --interactive --trust`: the agent's folder trust for the task's cwd, so its TUI starts
 * without the trust dialog (docs/INTERACTIVE.md §1). Claude keeps it in the user's own
 * `~/.claude.json` (`projects[<cwd>].hasTrustDialogAccepted`), the one file of the user's holdfast
 * changes, and only when asked; codex's trust goes into the per-task config holdfast writes
 * (steps/agent-files.ts). Either way the journal says which file and key.
 */
import { chmodSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HoldfastError } from '../core/errors.js';
import { event } from '../core/events.js';
import type { TaskRecord } from '../core/task.js';
import { writePrivateFile } from '../fs-safe.js';
import type { Runtime } from './runtime.js';

/** Claude's global config in an environment: `$CLAUDE_CONFIG_DIR/.claude.json`, else `~/.claude.json`. */
export function claudeGlobalConfig(env: NodeJS.ProcessEnv): string {
  if (env.CLAUDE_CONFIG_DIR) return join(env.CLAUDE_CONFIG_DIR, '.claude.json');
  return join(env.HOME ?? '', '.claude.json');
}

/** Grants the trust and journals it. `env`: the task's environment (whose HOME the agent reads). */
export function grantTrust(rt: Runtime, task: TaskRecord, env: NodeJS.ProcessEnv): void {
  const agent = task.spec.agent!;
  let file: string;
  let key: string;
  let changed: boolean;
  if (agent.kind === 'claude') {
    file = claudeGlobalConfig(env);
    key = `projects[${JSON.stringify(task.spec.cwd)}].hasTrustDialogAccepted`;
    changed = trustClaudeFolder(file, task.spec.cwd);
  } else {
    file = join(rt.paths.agentDir(task.name), 'codex-home', 'config.toml');
    key = `projects.${JSON.stringify(task.spec.cwd)}.trust_level`;
    changed = true;
  }
  rt.store.tx(() =>
    rt.store.events.record(
      { taskId: task.id, taskName: task.name, at: rt.now() },
      event('trust-granted', { file, key, changed }),
    ),
  );
}

/**
 * Sets `projects[cwd].hasTrustDialogAccepted` in claude's config, keeping everything else: written
 * to a temporary file beside the real one (a link is followed to it, not replaced) and renamed over
 * it, with its mode kept. Returns whether the file changed.
 */
export function trustClaudeFolder(file: string, cwd: string): boolean {
  let real = file;
  let config: Record<string, unknown> = {};
  let mode = 0o600;
  try {
    real = realpathSync(file);
    mode = statSync(real).mode & 0o777;
    const parsed: unknown = JSON.parse(readFileSync(real, 'utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new Error('not an object');
    config = parsed as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new HoldfastError('EUSAGE', `--trust: cannot read ${file}: ${(error as Error).message}`, {
        hint: 'fix the file, or run without --trust and answer the trust question',
      });
    }
  }
  const projects = (config.projects ?? {}) as Record<string, Record<string, unknown>>;
  if (projects[cwd]?.hasTrustDialogAccepted === true) return false;
  const next = {
    ...config,
    projects: { ...projects, [cwd]: { ...projects[cwd], hasTrustDialogAccepted: true } },
  };
  writePrivateFile(real, `${JSON.stringify(next, null, 2)}\n`);
  chmodSync(real, mode);
  return true;
}
