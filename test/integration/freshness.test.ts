/**
 * Freshness: what a run prints reaches the store within milliseconds of reaching its log, because
 * the daemon watches the logs (supervisor/log-watch.ts) instead of reading them every few seconds;
 * and the watch of a run goes with the run.
 */
import { mkdirSync, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { currentDaemonPid, waitForDaemon } from '../helpers/daemon.js';
import { FIXTURES, type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome({ daemon: true });
const FAKE_BIN = join(FIXTURES, 'fake-agent', 'bin');
/** Well under a second, yet far above the few ms it takes: stable on a loaded machine. */
const FRESH_MS = 500;

interface Fact {
  what: string;
  /** Whether the log holds the line that tells it. */
  inLog(log: string): boolean;
  inStore(row: { session_id: string | null; info: string }): boolean;
}

/** The daemon's inotify watches, from /proc: the inode of each watched file or folder, in hex. */
function inotifyWatches(pid: number): { instances: number; inodes: string[] } {
  let instances = 0;
  const inodes: string[] = [];
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue;
    }
    if (target !== 'anon_inode:inotify') continue;
    instances++;
    for (const line of readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8').split('\n')) {
      const ino = /^inotify wd:\S+ ino:([0-9a-f]+)/.exec(line)?.[1];
      if (ino) inodes.push(ino);
    }
  }
  return { instances, inodes };
}

const inodeOf = (path: string) => statSync(path).ino.toString(16);

async function runAll(h: Home, names: string[]): Promise<void> {
  const results = await Promise.all(
    names.map((name) => h.cli(['run', '--name', name, '--restart', 'no', '--', 'sleep', '300'])),
  );
  for (const r of results) expect(r.code, r.stderr).toBe(0);
}

describe('freshness', () => {
  it("an agent's session id and messages reach the store within 500 ms of reaching its log", async () => {
    const h = home();
    const cwd = join(h.dir, 'work');
    mkdirSync(cwd, { recursive: true });
    // Running already, as it is once a task has run: a first `run` would be timed starting it.
    expect((await h.cli(['daemon', 'start'])).code).toBe(0);
    await waitForDaemon(h);
    // 700 ms apart: a read of every log every 2 s could bring at most one of them that soon.
    const scenario = {
      invocations: [
        {
          steps: [
            { say: 'fact one' },
            { sleep: 700 },
            { say: 'fact two' },
            { sleep: 700 },
            { say: 'fact three' },
            { hang: true },
          ],
        },
      ],
    };
    const r = await h.cli(['run', '--name', 'agent', '--agent', 'codex', '--cwd', cwd], {
      env: {
        PATH: `${FAKE_BIN}:${process.env.PATH}`,
        FAKE_AGENT_STATE: join(h.dir, 'fake-state'),
        FAKE_AGENT_SCENARIO: JSON.stringify(scenario),
      },
      input: 'Tell three facts.',
    });
    expect(r.code, r.stderr).toBe(0);
    const logPath = join(h.dir, 'tasks', 'agent', 'run-1.log');
    const db = new Database(join(h.dir, 'holdfast.db'), { readonly: true });
    try {
      const row = db.prepare("SELECT session_id, info FROM tasks WHERE name = 'agent'");
      const messages = ['fact one', 'fact two', 'fact three'];
      const threadOf = (log: string) => /"thread_id":"([^"]+)"/.exec(log)?.[1] ?? null;
      let log = '';
      const facts: Fact[] = [
        {
          what: 'the session id',
          inLog: (l) => threadOf(l) !== null,
          inStore: (t) => t.session_id !== null && t.session_id === threadOf(log),
        },
        // A later message overwrites `lastMessage`: an earlier one counts as there once any later is.
        ...messages.map((m, i) => ({
          what: m,
          inLog: (l: string) => l.includes(`"text":"${m}"`),
          inStore: (t: { info: string }) =>
            messages.indexOf((JSON.parse(t.info) as { lastMessage?: string }).lastMessage ?? '') >= i,
        })),
      ];
      const inLogAt = new Map<string, number>();
      const inStoreAt = new Map<string, number>();
      const deadline = Date.now() + 20_000;
      while (inStoreAt.size < facts.length && Date.now() < deadline) {
        const now = Date.now();
        try {
          log = readFileSync(logPath, 'utf8');
        } catch {
          log = '';
        }
        const task = row.get() as { session_id: string | null; info: string } | undefined;
        for (const f of facts) {
          if (!inLogAt.has(f.what) && f.inLog(log)) inLogAt.set(f.what, now);
          if (!inStoreAt.has(f.what) && task && f.inStore(task)) inStoreAt.set(f.what, now);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const late = facts.map((f) => ({
        what: f.what,
        ms: (inStoreAt.get(f.what) ?? Number.POSITIVE_INFINITY) - (inLogAt.get(f.what) ?? 0),
      }));
      expect(inLogAt.size).toBe(facts.length);
      for (const { what, ms } of late) expect(ms, `${what}: ${JSON.stringify(late)}`).toBeLessThan(FRESH_MS);
    } finally {
      db.close();
    }
  });

  it("watches each running task's log folder and closes the watch when its run ends, round after round", async () => {
    const h = home();
    expect((await h.cli(['daemon', 'start'])).code).toBe(0);
    const pid = await waitForDaemon(h);
    const idle = inotifyWatches(pid);
    // The daemon's own watch on pane-events.log, in libuv's one inotify instance.
    expect(idle.instances).toBe(1);
    for (let round = 0; round < 3; round++) {
      const names = Array.from({ length: 4 }, (_, i) => `r${round}t${i}`);
      await runAll(h, names);
      const dirs = names.map((n) => inodeOf(join(h.dir, 'tasks', n)));
      await waitFor(
        () => inotifyWatches(pid).inodes,
        (inodes) => dirs.every((d) => inodes.includes(d)),
        { what: `round ${round}: a watch on each task's folder` },
      );
      const stop = await h.cli(['stop', ...names]);
      expect(stop.code, stop.stderr).toBe(0);
      const after = await waitFor(
        () => inotifyWatches(pid),
        (w) => dirs.every((d) => !w.inodes.includes(d)),
        { what: `round ${round}: the watches closed` },
      );
      expect(after).toEqual(idle);
    }
    expect(currentDaemonPid(h)).toBe(pid);
  });
});
