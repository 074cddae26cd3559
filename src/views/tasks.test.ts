import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_RESTART_POLICY, type TaskSpec } from '../core/task.js';
import { makePaths } from '../paths.js';
import { openStore, type Store } from '../store/db.js';
import { allViews, viewOf } from './tasks.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const spec = (agent: boolean): TaskSpec => ({
  command: agent ? [] : ['sleep', '60'],
  cwd: '/',
  umask: '022',
  restart: DEFAULT_RESTART_POLICY,
  stallTimeoutMs: null,
  onStall: 'restart',
  agent: agent
    ? { kind: 'claude', model: null, unattended: true, onLimit: 'wait', limitBackoffMs: [], extraArgs: [] }
    : null,
  checkpointEveryMs: null,
  mission: null,
});

describe('task views', () => {
  it('ls and status show a task the same way, from the store and its files', () => {
    const home = mkdtempSync(join(tmpdir(), 'hf-views-'));
    dirs.push(home);
    const paths = makePaths(home);
    const store = openStore(join(home, 'holdfast.db'));
    stores.push(store);
    const now = 1_700_000_000_000;
    const src = { store, paths, now: () => now };

    const task = store.tasks.insert({
      name: 'agent',
      spec: spec(true),
      desired: 'running',
      state: 'running',
      now,
    });
    mkdirSync(paths.taskDir('agent'), { recursive: true });
    writeFileSync(paths.originalPrompt('agent'), 'write the tests');
    const log = paths.runLog('agent', 1);
    writeFileSync(log, 'a line\n');
    const grewAt = new Date(now - 5000);
    utimesSync(log, grewAt, grewAt);
    const run = store.runs.insert({
      taskId: task.id,
      n: 1,
      cause: 'start',
      startedAt: now - 60_000,
      logPath: log,
      starterPid: 1,
    });
    store.runs.setPid(run.id, 4242);
    store.tasks.update(task.id, { currentRunId: run.id }, now);
    store.tasks.mergeInfo(task.id, { lastMessage: 'done soon' });
    store.tasks.insert({ name: 'cmd', spec: spec(false), desired: 'stopped', state: 'stopped', now });

    const listed = allViews(src);
    expect(listed.map((v) => v.name)).toEqual(['agent', 'cmd']);
    const shown = viewOf(src, store.tasks.byName('agent')!);
    expect(listed[0]).toEqual(shown);
    expect(shown).toMatchObject({
      pid: 4242,
      uptimeMs: 60_000,
      lastOutputAt: grewAt.toISOString(),
      prompt: 'write the tests',
      info: { lastMessage: 'done soon' },
      agent: 'claude',
    });
    expect(listed[1]).toMatchObject({ name: 'cmd', prompt: null, pid: null, lastOutputAt: null, runs: [] });
  });
});
