import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { event } from '../core/events.js';
import { DEFAULT_RESTART_POLICY, type TaskSpec } from '../core/task.js';
import { openStore, type Store } from './db.js';
import { MIGRATIONS } from './migrations.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fresh(): { path: string; store: Store } {
  const dir = mkdtempSync(join(tmpdir(), 'hf-store-'));
  dirs.push(dir);
  const path = join(dir, 'holdfast.db');
  const store = openStore(path);
  stores.push(store);
  return { path, store };
}

const spec: TaskSpec = {
  command: ['true'],
  cwd: '/',
  umask: '022',
  restart: DEFAULT_RESTART_POLICY,
  stallTimeoutMs: null,
  onStall: 'restart',
  agent: null,
  checkpointEveryMs: null,
  mission: null,
};

describe('store', () => {
  it('creates the schema by numbered migrations, in WAL mode', () => {
    const { store } = fresh();
    expect(store.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(store.db.pragma('journal_mode', { simple: true })).toBe('wal');
    const tables = (
      store.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as {
        name: string;
      }[]
    ).map((t) => t.name);
    expect(tables).toEqual(
      expect.arrayContaining([
        'events',
        'inputs',
        'intents',
        'lease',
        'meta',
        'mission_milestones',
        'mission_sessions',
        'missions',
        'runs',
        'tasks',
      ]),
    );
  });

  it('inputs: rows parsed as read; a move applies only to an input still in the state its mover saw', () => {
    const { store } = fresh();
    const task = store.tasks.insert({ name: 'a', spec, desired: 'running', state: 'pending', now: 1 });
    const input = store.inputs.add({
      taskId: task.id,
      text: 'hi',
      source: 'send',
      mode: 'pane',
      now: false,
      at: 5,
    });
    expect(input).toMatchObject({ state: 'queued', enters: 0, deferred: null, now: false });
    expect(store.inputs.update(input.id, 'queued', { state: 'sending', buffer: 'hf-in-1-x' }, 6)).toBe(true);
    // A second deliverer that still thinks it is queued moves nothing.
    expect(store.inputs.update(input.id, 'queued', { state: 'sending', buffer: 'other' }, 7)).toBe(false);
    expect(store.inputs.byId(input.id)).toMatchObject({ state: 'sending', buffer: 'hf-in-1-x' });
    expect(store.inputs.openTaskIds()).toEqual([task.id]);
    store.db.prepare("UPDATE inputs SET state = 'lost' WHERE id = ?").run(input.id);
    expect(() => store.inputs.byId(input.id)).toThrow(
      /inputs row of input 1 of task a has a bad state column/,
    );
  });

  it('reopens an up-to-date store without changing it', () => {
    const { path, store } = fresh();
    store.tasks.insert({ name: 'a', spec, desired: 'running', state: 'pending', now: 1 });
    store.close();
    stores.pop();
    const again = openStore(path);
    stores.push(again);
    expect(again.tasks.all().map((t) => t.name)).toEqual(['a']);
  });

  it('upgrades an older store step by step, keeping its rows', () => {
    const { path, store } = fresh();
    store.close();
    stores.pop();
    // Make it look like a store written before the missions migration.
    const db = new Database(path);
    db.exec('DROP TABLE mission_sessions; DROP TABLE mission_milestones; DROP TABLE missions;');
    db.exec('ALTER TABLE runs DROP COLUMN budgeted;');
    db.exec('ALTER TABLE runs DROP COLUMN task_pid;');
    db.exec('DROP TABLE intents;');
    db.exec('DROP TABLE inputs;');
    db.exec('DROP TABLE outbox;');
    db.exec('DROP TABLE log_times;');
    for (const column of ['stop_stage', 'stalled_at', 'checkpoint_asked_at', 'tui'])
      db.prepare(`ALTER TABLE tasks DROP COLUMN ${column}`).run();
    db.prepare("INSERT INTO meta (key, value) VALUES ('kept', 'yes')").run();
    db.prepare(
      `INSERT INTO tasks (name, spec, desired, state, created_at, updated_at, supervision)
       VALUES ('old', ?, 'running', 'pending', 1, 1, '{}')`,
    ).run(JSON.stringify(spec));
    db.pragma('user_version = 1');
    db.close();
    const upgraded = openStore(path);
    stores.push(upgraded);
    expect(upgraded.db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    expect(upgraded.meta.get('kept')).toBe('yes');
    expect(upgraded.missions.all()).toEqual([]);
    expect(upgraded.tasks.byName('old')).toMatchObject({ state: 'pending', stopStage: 0, stalledAt: null });
    expect(upgraded.intents.taskIds()).toEqual([]);
    expect(upgraded.inputs.openTaskIds()).toEqual([]);
    expect(upgraded.outbox.list()).toEqual([]);
    expect(upgraded.logTimes.forRun(1)).toEqual([]);
  });

  it('refuses a store from a newer holdfast and leaves it as it was', () => {
    const { path, store } = fresh();
    store.db.pragma(`user_version = ${MIGRATIONS.length + 5}`);
    store.close();
    stores.pop();
    const before = readFileSync(path);
    expect(() => openStore(path)).toThrow(/newer than this holdfast knows/);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it('refuses a corrupt file with its name and never recreates it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-store-'));
    dirs.push(dir);
    const path = join(dir, 'holdfast.db');
    writeFileSync(path, 'garbage '.repeat(1000));
    expect(() => openStore(path)).toThrow(`cannot open the store ${path}`);
    expect(readFileSync(path, 'utf8')).toBe('garbage '.repeat(1000));
  });

  it('ends a run once: a second observer of the same death changes nothing', () => {
    const { store } = fresh();
    const task = store.tasks.insert({ name: 'a', spec, desired: 'running', state: 'pending', now: 1 });
    const run = store.runs.insert({
      taskId: task.id,
      n: 1,
      cause: 'start',
      startedAt: 1,
      logPath: '/x',
      starterPid: 1,
    });
    expect(store.runs.end(run.id, { endedAt: 5, exitCode: 1, signal: null, reason: null })).toBe(true);
    expect(store.runs.end(run.id, { endedAt: 9, exitCode: 0, signal: null, reason: null })).toBe(false);
    expect(store.runs.byId(run.id)).toMatchObject({ endedAt: 5, exitCode: 1 });
  });

  it('never reuses a task or run id, so a recycled id cannot reach a stranger', () => {
    const { store } = fresh();
    const a = store.tasks.insert({ name: 'a', spec, desired: 'running', state: 'pending', now: 1 });
    const r = store.runs.insert({
      taskId: a.id,
      n: 1,
      cause: 'start',
      startedAt: 1,
      logPath: '/x',
      starterPid: 1,
    });
    store.tasks.remove(a.id);
    const b = store.tasks.insert({ name: 'a', spec, desired: 'running', state: 'pending', now: 2 });
    const r2 = store.runs.insert({
      taskId: b.id,
      n: 1,
      cause: 'start',
      startedAt: 2,
      logPath: '/y',
      starterPid: 1,
    });
    expect(b.id).toBeGreaterThan(a.id);
    expect(r2.id).toBeGreaterThan(r.id);
    expect(store.runs.byId(r.id)).toBeNull();
  });

  it('keeps the journal in order, per task, surviving the task', () => {
    const { store } = fresh();
    const t = store.tasks.insert({ name: 'a', spec, desired: 'running', state: 'pending', now: 1 });
    store.tx(() => {
      store.events.record(
        { taskId: t.id, taskName: 'a', at: 1 },
        event('created', { command: ['true'], cwd: '/', agent: null }),
      );
      store.events.record(
        { taskId: t.id, taskName: 'a', at: 2 },
        event('started', { run: 1, cause: 'start' }),
      );
    });
    store.tasks.remove(t.id);
    expect(store.events.forTask(t.id).map((e) => [e.type, e.data])).toEqual([
      ['created', { command: ['true'], cwd: '/', agent: null }],
      ['started', { run: 1, cause: 'start' }],
    ]);
  });

  it("the journal's one way in takes an entry of the typed union: there is no untyped append", () => {
    const { store } = fresh();
    const id = store.events.record(
      { taskName: 'mission:m', at: 5 },
      event('mission-resumed', { raised: { maxSessions: { from: 5, to: 8 } } }),
    );
    expect(store.events.all().map((e) => [e.id, e.taskName, e.type, e.data])).toEqual([
      [id, 'mission:m', 'mission-resumed', { raised: { maxSessions: { from: 5, to: 8 } } }],
    ]);
    // @ts-expect-error the untyped `append` is gone (npm run typecheck fails if it comes back)
    const append = store.events.append as unknown;
    expect(append).toBeUndefined();
  });

  it('rolls a failed transaction back whole: no state change without its journal entry', () => {
    const { store } = fresh();
    const t = store.tasks.insert({ name: 'a', spec, desired: 'running', state: 'pending', now: 1 });
    expect(() =>
      store.tx(() => {
        store.tasks.update(t.id, { state: 'running' }, 2);
        store.events.record({ taskId: t.id, at: 2 }, event('started', { run: 1, cause: 'start' }));
        throw new Error('crash between two writes');
      }),
    ).toThrow('crash between two writes');
    expect(store.tasks.byId(t.id)!.state).toBe('pending');
    expect(store.events.forTask(t.id)).toEqual([]);
  });

  it('merges agent facts into a task without losing the others', () => {
    const { store } = fresh();
    const t = store.tasks.insert({ name: 'a', spec, desired: 'running', state: 'pending', now: 1 });
    store.tasks.mergeInfo(t.id, { turns: 2, lastMessage: 'hi' });
    store.tasks.mergeInfo(t.id, { turns: 3 });
    expect(store.tasks.info(t.id)).toEqual({ turns: 3, lastMessage: 'hi' });
  });
});
