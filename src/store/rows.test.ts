import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { HoldfastError } from '../core/errors.js';
import { event } from '../core/events.js';
import { DEFAULT_RESTART_POLICY, type TaskSpec } from '../core/task.js';
import { openStore, type Store } from './db.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fresh(): Store {
  const dir = mkdtempSync(join(tmpdir(), 'hf-rows-'));
  dirs.push(dir);
  const store = openStore(join(dir, 'holdfast.db'));
  stores.push(store);
  return store;
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

/** A store with one task `build` and its first run, as holdfast writes them. */
function withTask(): { store: Store; taskId: number; runId: number } {
  const store = fresh();
  const task = store.tasks.insert({ name: 'build', spec, desired: 'running', state: 'running', now: 1 });
  const run = store.runs.insert({
    taskId: task.id,
    n: 1,
    cause: 'start',
    startedAt: 2,
    logPath: '/l',
    starterPid: 1,
  });
  return { store, taskId: task.id, runId: run.id };
}

/** The HoldfastError `read` throws (failing the test when it throws none or another). */
function errorOf(read: () => unknown): HoldfastError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(HoldfastError);
    return error as HoldfastError;
  }
  throw new Error('expected the read to fail');
}

describe('store rows are parsed, not cast', () => {
  it('a task whose spec column is not JSON is an error naming the table, the task and the column', () => {
    const { store, taskId } = withTask();
    store.db.prepare('UPDATE tasks SET spec = ? WHERE id = ?').run('{"command": ["true"', taskId);
    for (const read of [
      () => store.tasks.byName('build'),
      () => store.tasks.byId(taskId),
      () => store.tasks.all(),
    ]) {
      const error = errorOf(read);
      expect(error.code).toBe('ESTORE');
      expect(error.message).toMatch(
        /^the store is corrupt: the tasks row of task build \(id 1\) has a bad spec column: not JSON \(/,
      );
      expect(error.hint).toContain('left the store as it is');
    }
  });

  it('a JSON column of the wrong shape names the field inside it', () => {
    const { store, taskId } = withTask();
    const bad = { ...spec, restart: { ...DEFAULT_RESTART_POLICY, mode: 'sometimes' } };
    store.db.prepare('UPDATE tasks SET spec = ? WHERE id = ?').run(JSON.stringify(bad), taskId);
    expect(errorOf(() => store.tasks.byId(taskId)).message).toMatch(
      /^the store is corrupt: the tasks row of task build \(id 1\) has a bad spec column at restart\.mode: /,
    );
  });

  it('a plain column with a value outside its type is named too', () => {
    const { store, taskId } = withTask();
    store.db.prepare("UPDATE tasks SET state = 'zombie' WHERE id = ?").run(taskId);
    expect(errorOf(() => store.tasks.all()).message).toMatch(
      /^the store is corrupt: the tasks row of task build \(id 1\) has a bad state column: /,
    );
    store.db.prepare("UPDATE tasks SET state = 'running', supervision = '[]' WHERE id = ?").run(taskId);
    expect(errorOf(() => store.tasks.all()).message).toMatch(/has a bad supervision column: /);
    store.db.prepare("UPDATE tasks SET supervision = '{}', info = 'x' WHERE id = ?").run(taskId);
    expect(errorOf(() => store.tasks.info(taskId)).message).toMatch(
      /^the store is corrupt: the tasks row of task build \(id 1\) has a bad info column: not JSON/,
    );
  });

  it('a corrupt run names its task by name', () => {
    const { store, taskId, runId } = withTask();
    store.db.prepare("UPDATE runs SET cause = 'whim' WHERE id = ?").run(runId);
    for (const read of [
      () => store.runs.byId(runId),
      () => store.runs.forTask(taskId),
      () => store.runs.allByTask(),
      () => store.runs.open(),
    ]) {
      expect(errorOf(read).message).toMatch(
        /^the store is corrupt: the runs row of run 1 \(id 1\) of task build \(id 1\) has a bad cause column: /,
      );
    }
  });

  it("the open runs' narrow reads (panes, logs) are checked column by column too", () => {
    const { store, runId } = withTask();
    expect(store.runs.openPanes()).toEqual([
      { id: runId, taskId: 1, pid: null, starterPid: 1, taskPid: null, logPath: '/l' },
    ]);
    expect(store.runs.openLogs()).toEqual([{ id: runId, taskId: 1, logPath: '/l', bytes: 0, logOffset: 0 }]);
    const bad = /^the store is corrupt: the runs row of run 1 \(id 1\) of task build \(id 1\) has a bad /;
    store.db.prepare("UPDATE runs SET pid = 'twelve' WHERE id = ?").run(runId);
    const panes = errorOf(() => store.runs.openPanes());
    expect(panes.code).toBe('ESTORE');
    expect(panes.message).toMatch(new RegExp(`${bad.source}pid column: `));
    store.db.prepare('UPDATE runs SET pid = NULL, log_offset = 1.5 WHERE id = ?').run(runId);
    const logs = errorOf(() => store.runs.openLogs());
    expect(logs.code).toBe('ESTORE');
    expect(logs.message).toMatch(new RegExp(`${bad.source}log_offset column: `));
  });

  it('a task version (what a loop compares) is checked too', () => {
    const { store, taskId } = withTask();
    store.db.prepare("UPDATE tasks SET updated_at = 'soon' WHERE id = ?").run(taskId);
    expect(errorOf(() => store.tasks.versions()).message).toMatch(
      /^the store is corrupt: the tasks row of task build \(id 1\) has a bad updated_at column: /,
    );
  });

  it('an intent whose data is not an intent of its kind names the intent, its task and the column', () => {
    const { store, taskId } = withTask();
    const id = store.intents.add(taskId, { kind: 'restart', timeoutMs: 10_000, runId: 1 }, 3);
    expect(store.intents.forTask(taskId)).toEqual([
      { id, taskId, at: 3, intent: { kind: 'restart', timeoutMs: 10_000, runId: 1 } },
    ]);
    expect(store.intents.taskIds()).toEqual([taskId]);
    const prefix = `^the store is corrupt: the intents row of intent ${id} of task build \\(id 1\\) has a bad`;
    store.db.prepare('UPDATE intents SET data = ? WHERE id = ?').run('{"kind": "restart"', id);
    expect(errorOf(() => store.intents.forTask(taskId)).message).toMatch(
      new RegExp(`${prefix} data column: not JSON`),
    );
    store.db
      .prepare('UPDATE intents SET data = ? WHERE id = ?')
      .run(JSON.stringify({ kind: 'restart', timeoutMs: 'soon', runId: 1 }), id);
    const shape = errorOf(() => store.intents.forTask(taskId));
    expect(shape.code).toBe('ESTORE');
    expect(shape.message).toMatch(new RegExp(`${prefix} data column at timeoutMs: `));
    store.db.prepare("UPDATE intents SET kind = 'explode' WHERE id = ?").run(id);
    expect(errorOf(() => store.intents.forTask(taskId)).message).toMatch(
      new RegExp(`${prefix} kind column: `),
    );
    // sqlite3's shell leaves foreign keys off: a hand edit can break what the schema promises.
    store.db.pragma('foreign_keys = OFF');
    store.db.prepare("UPDATE intents SET task_id = 'x' WHERE id = ?").run(id);
    expect(errorOf(() => store.intents.taskIds()).message).toMatch(
      /^the store is corrupt: the intents row of an intent of task \? \(id x\) has a bad task_id column: /,
    );
  });

  it("a run's summary is checked against the schema its reader gives, else as a JSON object", () => {
    const { store, runId } = withTask();
    const schema = z.object({ turns: z.number() });
    store.runs.setSummary(runId, { turns: 3 });
    expect(store.runs.summary(runId, schema)).toEqual({ turns: 3 });
    store.runs.setSummary(runId, { turns: 'three' });
    expect(errorOf(() => store.runs.summary(runId, schema)).message).toMatch(
      /^the store is corrupt: the runs row of run 1 \(id 1\) of task build \(id 1\) has a bad summary column at turns: /,
    );
    store.db.prepare("UPDATE runs SET summary = '[1' WHERE id = ?").run(runId);
    expect(errorOf(() => store.runs.summary(runId)).message).toMatch(/has a bad summary column: not JSON/);
  });

  it('a journal entry whose data is not a JSON object names the entry and its task', () => {
    const { store, taskId } = withTask();
    const id = store.events.record(
      { taskId, taskName: 'build', at: 3 },
      event('started', { run: 1, cause: 'start' }),
    );
    store.db.prepare("UPDATE events SET data = '42' WHERE id = ?").run(id);
    expect(errorOf(() => store.events.forTask(taskId)).message).toMatch(
      new RegExp(
        `^the store is corrupt: the events row of event ${id} of task build has a bad data column: `,
      ),
    );
  });

  it("a mission's agent column and a milestone's status are checked", () => {
    const store = fresh();
    const agent = {
      kind: 'claude',
      model: null,
      unattended: true,
      onLimit: 'wait',
      limitBackoffMs: [],
      extraArgs: [],
    };
    const m = store.missions.insert({
      name: 'ship',
      definition: { title: 'Ship', context: '', defaultGate: null, milestones: [] },
      agent,
      cwd: '/',
      settings: {},
      milestones: 1,
      now: 1,
    });
    expect(store.missions.byId(m.id)!.agent).toEqual(agent);
    store.db.prepare(`UPDATE missions SET agent = '{"kind": 7}' WHERE id = ?`).run(m.id);
    expect(errorOf(() => store.missions.byName('ship')).message).toMatch(
      /^the store is corrupt: the missions row of mission ship \(id 1\) has a bad agent column at kind: /,
    );
    store.db.prepare("UPDATE mission_milestones SET status = 'maybe' WHERE mission_id = ?").run(m.id);
    expect(errorOf(() => store.missions.milestones(m.id)).message).toMatch(
      /^the store is corrupt: the mission_milestones row of milestone 0 of mission ship \(id 1\) has a bad status column: /,
    );
  });

  it('the lease and meta rows are checked', () => {
    const store = fresh();
    store.lease.put({ pid: 10, procStart: 's', startedAt: 1, heartbeatAt: 1 });
    store.db.prepare("UPDATE lease SET heartbeat_at = 'soon'").run();
    expect(errorOf(() => store.lease.get()).message).toMatch(
      /^the store is corrupt: the lease row of daemon 10 has a bad heartbeat_at column: /,
    );
    // TEXT affinity turns a number into text; a blob stays what it is.
    store.db.prepare("INSERT INTO meta (key, value) VALUES ('offset', X'3132')").run();
    expect(errorOf(() => store.meta.get('offset')).message).toMatch(
      /^the store is corrupt: the meta row of key offset has a bad value column: /,
    );
  });
});
