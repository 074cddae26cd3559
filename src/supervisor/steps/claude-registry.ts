/**
 * Where an interactive claude run's session registry is, and what it says now
 * (agents/claude-registry.ts). The file is `<config dir>/sessions/<pid>.json` in the task's
 * environment (`$CLAUDE_CONFIG_DIR`, else `~/.claude`; docs/INTERACTIVE.md §3), the pid claude's
 * own: the run's task pid, or a child's when the program is a wrapper that did not exec claude.
 */
import { closeSync, existsSync, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseRegistry, type RegistryReading } from '../../agents/claude-registry.js';
import type { TaskRecord } from '../../core/task.js';
import type { Runtime } from '../runtime.js';
import { readEnvFile } from './env-file.js';

/** The registry file of claude run as `taskPid` in this task's environment; null while none is there. */
export function claudeRegistryFile(rt: Runtime, task: TaskRecord, taskPid: number): string | null {
  const env = readEnvFile(rt.paths.envFile(task.name));
  const dir = join(env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), '.claude'), 'sessions');
  for (const pid of [taskPid, ...childrenOf(taskPid)]) {
    const file = join(dir, `${pid}.json`);
    if (existsSync(file)) return file;
  }
  return null;
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** The file's status as of its mtime, taken before the read, so a newer write is never missed. */
export function readClaudeRegistry(file: string): RegistryReading | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const at = fstatSync(fd).mtimeMs;
    return parseRegistry(readFileSync(fd, 'utf8'), Math.floor(at));
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** When the file last changed (null: not there). */
export function registryMtime(file: string): number | null {
  try {
    return Math.floor(statSync(file).mtimeMs);
  } catch {
    return null;
  }
}
