import { DEFAULT_RESTART_POLICY, type TaskSpec } from '../../src/core/task.js';

/** A plain command task's spec in `cwd` (`true`, no restarts, no checkpoints), changed by `over`. */
export function commandSpec(cwd: string, over: Partial<TaskSpec> = {}): TaskSpec {
  return {
    command: ['true'],
    cwd,
    umask: '022',
    restart: DEFAULT_RESTART_POLICY,
    stallTimeoutMs: null,
    onStall: 'restart',
    agent: null,
    checkpointEveryMs: null,
    mission: null,
    ...over,
  };
}
