import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { event } from '../core/events.js';
import { DEFAULT_RESTART_POLICY, type TaskSpec } from '../core/task.js';
import { makePaths } from '../paths.js';
import { openStore, type Store } from '../store/db.js';
import { LiveHub } from './live.js';
import type { ServerMessage } from './protocol.js';

const dirs: string[] = [];
const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const spec: TaskSpec = {
  command: ['sleep', '60'],
  cwd: '/',
  umask: '022',
  restart: DEFAULT_RESTART_POLICY,
  stallTimeoutMs: null,
  onStall: 'restart',
  agent: null,
  checkpointEveryMs: null,
  mission: null,
};

/** A hub over a real store, on a clock the test moves; its own timer never fires (ticks are called). */
function setup() {
  const home = mkdtempSync(join(tmpdir(), 'hf-live-'));
  dirs.push(home);
  const store: Store = openStore(join(home, 'holdfast.db'));
  let now = 1_700_000_000_000;
  const hub = new LiveHub({
    src: { store, paths: makePaths(home), now: () => now },
    daemon: () => ({ live: true, pid: 1, why: null }),
    tickMs: 100,
    fullEveryMs: 1000,
  });
  closers.push(
    () => hub.close(),
    () => store.close(),
  );
  const tasks = ['a', 'b', 'c'].map((name) =>
    store.tasks.insert({ name, spec, desired: 'running', state: 'running', now }),
  );
  const client = () => {
    const got: ServerMessage[] = [];
    return { got, send: (m: ServerMessage) => got.push(m) };
  };
  const stop = (i: number) => {
    const t = tasks[i]!;
    now += 10;
    store.tx(() => {
      store.tasks.update(t.id, { state: 'stopped', desired: 'stopped' }, now);
      store.events.record({ taskId: t.id, taskName: t.name, at: now }, event('stopped', {}));
    });
  };
  return { store, hub, client, stop, advance: (ms: number) => (now += ms) };
}

describe('the live feed', () => {
  it('a page gets the overview, then at the next tick only the row that changed and its journal entry', () => {
    const { hub, client, stop, advance } = setup();
    const page = client();
    hub.join(page, null);
    expect(page.got).toHaveLength(1);
    expect(page.got[0]).toMatchObject({
      type: 'snapshot',
      tasks: [{ name: 'a' }, { name: 'b' }, { name: 'c' }],
    });
    stop(1);
    advance(100);
    hub.tick();
    const tasks = page.got.filter((m) => m.type === 'tasks');
    expect(tasks).toEqual([
      expect.objectContaining({
        upsert: [expect.objectContaining({ name: 'b', state: 'stopped' })],
        remove: [],
      }),
    ]);
    const journal = page.got.filter((m) => m.type === 'journal');
    expect(journal).toEqual([
      { type: 'journal', entries: [expect.objectContaining({ task: 'b', type: 'stopped' })] },
    ]);
  });

  it('sends nothing while nothing changed', () => {
    const { hub, client, advance } = setup();
    const page = client();
    hub.join(page, null);
    for (let i = 0; i < 5; i++) {
      advance(100);
      hub.tick();
    }
    expect(page.got.map((m) => m.type)).toEqual(['snapshot']);
  });

  it('a page that joins between a change and the tick does not take the change from the pages already open', () => {
    const { hub, client, stop, advance } = setup();
    const first = client();
    hub.join(first, null);
    stop(0);
    advance(150);
    const second = client();
    hub.join(second, null);
    expect(second.got[0]).toMatchObject({
      type: 'snapshot',
      tasks: expect.arrayContaining([expect.objectContaining({ name: 'a', state: 'stopped' })]),
    });
    expect(first.got.filter((m) => m.type === 'tasks')).toEqual([
      expect.objectContaining({ upsert: [expect.objectContaining({ name: 'a', state: 'stopped' })] }),
    ]);
  });

  it('a page that reconnects with the last journal id it saw gets every entry after it, then the changes', () => {
    const { hub, client, stop, advance } = setup();
    const before = client();
    hub.join(before, null);
    const seen = (before.got[0] as { journalId: number }).journalId;
    hub.leave(before);
    stop(0);
    stop(2);
    advance(100);
    const again = client();
    hub.join(again, seen);
    expect(again.got[0]).toMatchObject({ type: 'snapshot' });
    expect(again.got[1]).toEqual({
      type: 'journal',
      entries: [
        expect.objectContaining({ task: 'a', type: 'stopped' }),
        expect.objectContaining({ task: 'c', type: 'stopped' }),
      ],
    });
    expect(before.got).toHaveLength(1);
  });
});
