/**
 * What `holdfast up` does to make the tasks match a holdfast.yaml, as `kubectl apply` or
 * `docker compose up` would: create what is missing, restart only what changed (saying which
 * fields), start what was stopped, leave the rest as it is, and remove a task the file no longer
 * declares only when asked (`--prune`), and then only one this file declared.
 */
import { requestedCwd, type TaskRecord, type TaskSpec } from './task.js';

export type FleetAction = 'create' | 'update' | 'start' | 'unchanged' | 'remove' | 'kept';

export interface FleetStep {
  name: string;
  action: FleetAction;
  /** For `update`: the fields that differ, by their names in the file (`restart`, `command`). */
  changed: string[];
  /** Why a task is started or kept as it is, in a few words. */
  why: string | null;
}

export interface DeclaredSpec {
  name: string;
  /** The spec `run` would make of the entry (a worktree is asked for, not made yet: `worktree`). */
  spec: TaskSpec;
  /** The branch of the worktree the entry asks for (`holdfast/<name>` for `worktree: true`), or null. */
  worktree: string | null;
}

export interface PlanOptions {
  /** The file's absolute path: what it declared before is what `--prune` may remove. */
  file: string;
  prune: boolean;
}

export function planFleet(
  declared: readonly DeclaredSpec[],
  existing: readonly TaskRecord[],
  options: PlanOptions,
): FleetStep[] {
  const byName = new Map(existing.map((t) => [t.name, t]));
  const steps: FleetStep[] = declared.map(({ name, spec, worktree }) => {
    const task = byName.get(name);
    if (task === undefined) return { name, action: 'create', changed: [], why: null };
    const changed = specChanges(task.spec, spec, worktree);
    if (changed.length > 0) return { name, action: 'update', changed, why: null };
    // A task that did its work is done, as a finished job is for kubectl: a changed entry runs it again.
    if (task.state === 'succeeded') return { name, action: 'unchanged', changed: [], why: 'it has finished' };
    if (task.desired === 'stopped' || task.state === 'failed')
      return {
        name,
        action: 'start',
        changed: [],
        why: task.state === 'failed' ? 'it had failed' : 'it was stopped',
      };
    return { name, action: 'unchanged', changed: [], why: null };
  });
  const names = new Set(declared.map((d) => d.name));
  for (const task of existing) {
    if (names.has(task.name) || task.spec.declaredIn !== options.file) continue;
    steps.push({
      name: task.name,
      action: options.prune ? 'remove' : 'kept',
      changed: [],
      why: options.prune ? 'the file no longer declares it' : 'not in the file any more; --prune removes it',
    });
  }
  return steps;
}

/**
 * The fields of a spec that differ, by their names in the file. Which file declared a task is not
 * a field; a task in a worktree is compared by the directory and branch asked for.
 */
export function specChanges(
  from: TaskSpec,
  to: TaskSpec,
  toWorktree: string | null = to.worktree?.branch ?? null,
): string[] {
  const a = flatten(comparable(from, from.worktree?.branch ?? null));
  const b = flatten(comparable(to, toWorktree));
  const changed = new Set<string>();
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    if (a.get(key) !== b.get(key)) changed.add(fieldName(key));
  }
  return [...changed].sort();
}

/** A spec as an entry asks for it: the cwd the user gave (not the place in a worktree), the branch of a worktree. */
function comparable(spec: TaskSpec, worktree: string | null): Record<string, unknown> {
  const { declaredIn: _file, worktree: _made, ...rest } = spec;
  return { ...rest, cwd: requestedCwd(spec), worktree };
}

/** A spec as path → JSON text of each leaf (arrays whole: their order is their meaning). */
function flatten(
  value: Record<string, unknown>,
  prefix = '',
  out = new Map<string, string>(),
): Map<string, string> {
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      flatten(v as Record<string, unknown>, path, out);
    else out.set(path, JSON.stringify(v));
  }
  return out;
}

/** A spec field's name as the file (and `run`'s flags) say it. */
const FIELD_NAMES: Record<string, string> = {
  'restart.mode': 'restart',
  'restart.maxRestarts': 'max-restarts',
  'restart.maxRuntimeMs': 'max-runtime',
  'restart.backoffInitialMs': 'backoff',
  'restart.backoffMaxMs': 'backoff',
  'restart.healthyAfterMs': 'healthy-after',
  'restart.breakerMaxRestarts': 'crash-loop',
  'restart.breakerWindowMs': 'crash-loop',
  'restart.probeIntervalMs': 'probe-every',
  stallTimeoutMs: 'stall-timeout',
  toolTimeoutMs: 'tool-timeout',
  onStall: 'on-stall',
  checkpointEveryMs: 'checkpoint-every',
  logMaxBytes: 'log-max',
  keepRuns: 'keep-runs',
  keepFinishedMs: 'keep-finished',
  onBoot: 'on-boot',
  'agent.kind': 'agent',
  'agent.model': 'model',
  'agent.onLimit': 'on-limit',
  'agent.limitBackoffMs': 'limit-backoff',
  'agent.extraArgs': 'args',
  'agent.resumePrompt': 'resume-prompt',
  agent: 'agent',
};

function fieldName(path: string): string {
  if (FIELD_NAMES[path] !== undefined) return FIELD_NAMES[path]!;
  const top = path.split('.')[0]!;
  if (top === 'agent') return path.slice('agent.'.length);
  if (top === 'notify' || top === 'worktree') return top;
  return FIELD_NAMES[top] ?? top;
}
