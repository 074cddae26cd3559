import { describe, expect, it } from 'vitest';
import { planFleet, specChanges } from './fleet-plan.js';
import { DEFAULT_RESTART_POLICY, type TaskRecord, type TaskSpec } from './task.js';

const spec = (over: Partial<TaskSpec> = {}): TaskSpec => ({
  command: ['sleep', '1'],
  cwd: '/w',
  umask: '022',
  restart: DEFAULT_RESTART_POLICY,
  stallTimeoutMs: null,
  onStall: 'restart',
  agent: null,
  checkpointEveryMs: null,
  mission: null,
  ...over,
});

const task = (name: string, s: TaskSpec, over: Partial<TaskRecord> = {}): TaskRecord =>
  ({ name, spec: s, desired: 'running', state: 'running', ...over }) as TaskRecord;

describe('specChanges', () => {
  it('names changed fields as the file does, each once', () => {
    const before = spec();
    const after = spec({
      command: ['sleep', '2'],
      restart: { ...DEFAULT_RESTART_POLICY, backoffInitialMs: 5, backoffMaxMs: 9, mode: 'always' },
      logMaxBytes: 4096,
    });
    expect(specChanges(before, after)).toEqual(['backoff', 'command', 'log-max', 'restart']);
  });

  it('compares a worktree task by the cwd and branch asked for, not where its worktree is', () => {
    const made = spec({
      cwd: '/w/.git/holdfast-worktrees/t/sub',
      worktree: {
        branch: 'holdfast/t',
        repo: '/w',
        path: '/w/.git/holdfast-worktrees/t',
        base: 'abc',
        sourceCwd: '/w/sub',
      },
    });
    expect(specChanges(made, spec({ cwd: '/w/sub' }), 'holdfast/t')).toEqual([]);
    expect(specChanges(made, spec({ cwd: '/w/sub' }), null)).toEqual(['worktree']);
    expect(specChanges(made, spec({ cwd: '/w' }), 'holdfast/t')).toEqual(['cwd']);
  });

  it('does not count which file declared the task', () => {
    expect(
      specChanges(spec({ declaredIn: '/a/holdfast.yaml' }), spec({ declaredIn: '/b/holdfast.yaml' })),
    ).toEqual([]);
  });
});

describe('planFleet', () => {
  const file = '/p/holdfast.yaml';
  it('creates, restarts, starts and leaves alone; prunes only what this file declared, and only when asked', () => {
    const existing = [
      task('same', spec()),
      task('changed', spec()),
      task('stopped', spec(), { desired: 'stopped', state: 'stopped' }),
      task('done', spec(), { desired: 'stopped', state: 'succeeded' }),
      task('gone', spec({ declaredIn: file })),
      task('other', spec({ declaredIn: '/elsewhere/holdfast.yaml' })),
      task('by-hand', spec()),
    ];
    const declared = [
      { name: 'same', spec: spec(), worktree: null },
      { name: 'changed', spec: spec({ stallTimeoutMs: 60_000 }), worktree: null },
      { name: 'stopped', spec: spec(), worktree: null },
      { name: 'done', spec: spec(), worktree: null },
      { name: 'new', spec: spec(), worktree: null },
    ];
    const kept = planFleet(declared, existing, { file, prune: false });
    expect(kept.map((s) => [s.name, s.action, s.changed.join(',')])).toEqual([
      ['same', 'unchanged', ''],
      ['changed', 'update', 'stall-timeout'],
      ['stopped', 'start', ''],
      ['done', 'unchanged', ''],
      ['new', 'create', ''],
      ['gone', 'kept', ''],
    ]);
    const pruned = planFleet(declared, existing, { file, prune: true });
    expect(pruned.filter((s) => s.action === 'remove').map((s) => s.name)).toEqual(['gone']);
  });
});
