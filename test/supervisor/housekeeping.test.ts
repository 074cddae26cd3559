/**
 * What keeps a home bounded (src/supervisor/housekeeping.ts), driven directly with `now` passed
 * in: retention of run logs, rotation of pane-events.log and daemon.log, the store's vacuum.
 */
import { closeSync, existsSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskSpec } from '../../src/core/task.js';
import { appendExisting, touchPrivateFile } from '../../src/fs-safe.js';
import { createTask } from '../../src/supervisor/create.js';
import {
  housekeep,
  pruneLogs,
  rotateDaemonLog,
  rotatePaneEvents,
  vacuumIfGrown,
} from '../../src/supervisor/housekeeping.js';
import { segmentPath } from '../../src/supervisor/log-segments.js';
import { commitPaneEvents, readPaneEvents } from '../../src/supervisor/pane-events.js';
import { openRuntime, type Runtime } from '../../src/supervisor/runtime.js';
import { type Home, makeHome } from '../helpers/home.js';
import { prng, testSeed } from '../helpers/random.js';
import { commandSpec } from '../helpers/spec.js';

const opened: { home: Home; rt: Runtime }[] = [];
afterEach(() => {
  for (const { home, rt } of opened.splice(0)) {
    rt.store.close();
    home.cleanup();
  }
});

function setup(): Runtime {
  const home = makeHome();
  const rt = openRuntime(home.dir);
  opened.push({ home, rt });
  return rt;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A task with `n` ended runs, each with a log of two segments; the last ended at `lastEnd`. */
async function taskWithRuns(
  rt: Runtime,
  name: string,
  n: number,
  lastEnd: number,
  over: Partial<TaskSpec> = {},
) {
  const task = await createTask(rt, {
    name,
    nameBase: name,
    env: {},
    spec: commandSpec(rt.paths.home, over),
  });
  const runs = rt.store.tx(() =>
    Array.from({ length: n }, (_, i) => {
      const run = rt.store.runs.insert({
        taskId: task.id,
        n: i + 1,
        cause: 'start',
        startedAt: lastEnd - (n - i) * HOUR,
        logPath: rt.paths.runLog(name, i + 1),
        starterPid: process.pid,
      });
      rt.store.runs.end(run.id, {
        endedAt: lastEnd - (n - i - 1) * HOUR,
        exitCode: 0,
        signal: null,
        reason: null,
      });
      rt.store.logTimes.record(run.id, 10, lastEnd);
      return run;
    }),
  );
  for (const run of runs) {
    writeFileSync(run.logPath, 'x'.repeat(10));
    writeFileSync(segmentPath(run.logPath, 1), 'y');
  }
  rt.store.tx(() => rt.store.tasks.update(task.id, { state: 'succeeded', desired: 'stopped' }, lastEnd));
  return { task, runs };
}

/** Writes 3000 journal rows and deletes them: the store file grows, with that much free to vacuum. */
async function growStore(rt: Runtime, andThen = ''): Promise<void> {
  const task = await createTask(rt, {
    name: 'big',
    nameBase: 'big',
    env: {},
    spec: commandSpec(rt.paths.home),
  });
  rt.store.tx(() => {
    for (let i = 0; i < 3000; i++)
      rt.store.events.record({ taskId: task.id, taskName: 'big', at: i }, {
        type: 'output-resumed',
        data: {},
      } as never);
  });
  rt.store.db.pragma('wal_checkpoint(TRUNCATE)');
  rt.store.db.exec(`DELETE FROM events; ${andThen}`);
  rt.store.db.pragma('wal_checkpoint(TRUNCATE)');
}

const removedEvents = (rt: Runtime, taskId: number) =>
  rt.store.events
    .forTask(taskId)
    .filter((e) => e.type === 'logs-removed')
    .map((e) => e.data);

describe('retention of run logs', () => {
  it('--keep-runs: ended runs past the newest N lose their log files and index, their rows stay', async () => {
    const rt = setup();
    const now = Date.now();
    const { task, runs } = await taskWithRuns(rt, 'kept', 5, now - HOUR, { keepRuns: 2 });
    expect(pruneLogs(rt, now)).toBe(3);
    expect(runs.map((r) => existsSync(r.logPath))).toEqual([false, false, false, true, true]);
    expect(runs.map((r) => existsSync(segmentPath(r.logPath, 1)))).toEqual([false, false, false, true, true]);
    expect(rt.store.runs.forTask(task.id)).toHaveLength(5);
    expect(runs.map((r) => rt.store.logTimes.forRun(r.id).length)).toEqual([0, 0, 0, 1, 1]);
    expect(removedEvents(rt, task.id)).toEqual([{ runs: [1, 2, 3], reason: 'keep-runs' }]);
    // Nothing more to do: no second entry.
    expect(pruneLogs(rt, now)).toBe(0);
    expect(removedEvents(rt, task.id)).toHaveLength(1);
  });

  it('the default keeps 20 runs', async () => {
    const rt = setup();
    const now = Date.now();
    const { runs } = await taskWithRuns(rt, 'many', 22, now - HOUR);
    expect(pruneLogs(rt, now)).toBe(2);
    expect(runs.filter((r) => existsSync(r.logPath)).map((r) => r.n)).toEqual(runs.slice(2).map((r) => r.n));
  });

  it('--keep-finished: a finished task keeps its logs until that long after its last run, then loses them all', async () => {
    const rt = setup();
    const ended = Date.now() - 3 * DAY;
    const { task, runs } = await taskWithRuns(rt, 'done', 2, ended, { keepFinishedMs: 4 * DAY });
    expect(pruneLogs(rt, ended + 4 * DAY - 1)).toBe(0);
    expect(runs.every((r) => existsSync(r.logPath))).toBe(true);
    expect(pruneLogs(rt, ended + 4 * DAY)).toBe(2);
    expect(runs.some((r) => existsSync(r.logPath))).toBe(false);
    expect(rt.store.tasks.byId(task.id)?.state).toBe('succeeded');
    expect(removedEvents(rt, task.id)).toEqual([{ runs: [1, 2], reason: 'keep-finished' }]);
  });

  it('the default for finished tasks is 14 days', async () => {
    const rt = setup();
    const ended = Date.now();
    const { runs } = await taskWithRuns(rt, 'old', 1, ended);
    expect(pruneLogs(rt, ended + 14 * DAY - 1)).toBe(0);
    expect(pruneLogs(rt, ended + 14 * DAY)).toBe(1);
    expect(existsSync(runs[0]!.logPath)).toBe(false);
  });
});

describe('pane-events.log rotation', () => {
  it('no line is lost or read twice across rotations, uncommitted reads, and writers that opened the old file', () => {
    const seed = testSeed();
    const random = prng(seed);
    const rt = setup();
    const path = rt.paths.eventsFile;
    touchPrivateFile(path);
    const total = 3000;
    let written = 0;
    const got: number[] = [];
    /**
     * Descriptors opened before a rotation and written to after it, as a slow hook's dd would: each
     * writes one line, within the quiet minute the rotated file is kept for (before the next
     * rotation can delete that file).
     */
    let late: { fd: number; at: number }[] = [];
    const flushLate = (straddled: (at: number) => boolean) => {
      const keep: typeof late = [];
      for (const l of late) {
        if (!straddled(l.at)) {
          keep.push(l);
          continue;
        }
        writeSync(l.fd, line());
        closeSync(l.fd);
      }
      late = keep;
    };
    let rotations = 0;
    const line = () => `_pid|t|1|${++written}|0\n`;
    const readAndCommit = () => {
      const events = readPaneEvents(rt);
      if (events.end === null) return;
      got.push(...events.pids.map((p) => p.pid));
      rt.store.tx(() => commitPaneEvents(rt, events.end!));
    };
    while (written < total) {
      const r = random();
      if (r < 0.6) appendExisting(path, line());
      else if (r < 0.7) readAndCommit();
      else if (r < 0.75)
        readPaneEvents(rt); // a daemon killed before its commit
      else if (r < 0.8) late.push({ fd: openSync(path, 'a'), at: rotations });
      else if (r < 0.9) flushLate(() => random() < 0.5);
      else {
        // The minute is up for writers that opened before the last rotation: they have written.
        flushLate((at) => at < rotations);
        // Far in the future: the rotated file is quiet long enough whenever it has been read.
        if (rotatePaneEvents(rt, Date.now() + DAY, 200)) rotations++;
      }
    }
    flushLate(() => true);
    readAndCommit();
    readAndCommit();
    expect(rotations, `seed ${seed}`).toBeGreaterThan(5);
    expect(
      [...got].sort((a, b) => a - b),
      `seed ${seed}`,
    ).toEqual(Array.from({ length: written }, (_, i) => i + 1));
  });

  it('a rotation is skipped while the rotated file is unread or written to in the last minute', () => {
    const rt = setup();
    const path = rt.paths.eventsFile;
    touchPrivateFile(path);
    appendExisting(path, '_kick|1|||0\n');
    const first = readPaneEvents(rt);
    rt.store.tx(() => commitPaneEvents(rt, first.end!));
    const now = Date.now();
    expect(rotatePaneEvents(rt, now, 1)).toBe(true);
    appendExisting(path, '_kick|2|||0\n');
    // The committed cursor is still in the old file: it must be read into the new one first.
    expect(rotatePaneEvents(rt, now, 1)).toBe(false);
    const second = readPaneEvents(rt);
    expect([...second.kicks]).toEqual([2]);
    rt.store.tx(() => commitPaneEvents(rt, second.end!));
    expect(rotatePaneEvents(rt, now, 1)).toBe(false);
    expect(rotatePaneEvents(rt, statSync(`${path}.1`).mtimeMs + 60_000, 1)).toBe(true);
  });
});

describe('daemon.log and the store', () => {
  it('daemon.log past its limit is kept as daemon.log.1 and emptied in place for the next line', () => {
    const rt = setup();
    const path = rt.paths.daemonLog;
    touchPrivateFile(path);
    const fd = openSync(path, 'a');
    writeSync(fd, 'a'.repeat(2000));
    expect(rotateDaemonLog(path, 4096)).toBe(false);
    writeSync(fd, 'b'.repeat(3000));
    expect(rotateDaemonLog(path, 4096)).toBe(true);
    writeSync(fd, 'next line\n');
    closeSync(fd);
    expect(readFileSync(path, 'utf8')).toBe('next line\n');
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('a'.repeat(2000) + 'b'.repeat(3000));
    expect(statSync(`${path}.1`).mode & 0o777).toBe(0o600);
  });

  it('the store is vacuumed once it has grown by half since the last vacuum', async () => {
    const rt = setup();
    expect(vacuumIfGrown(rt)).toBe(false); // records the size
    const before = statSync(rt.store.path).size;
    await growStore(rt);
    const grown = statSync(rt.store.path).size;
    expect(grown).toBeGreaterThanOrEqual(before * 1.5);
    expect(vacuumIfGrown(rt)).toBe(true);
    expect(statSync(rt.store.path).size).toBeLessThan(grown);
    expect(vacuumIfGrown(rt)).toBe(false);
  });

  it('a step that fails neither stops the others nor goes unsaid', async () => {
    const rt = setup();
    expect(vacuumIfGrown(rt)).toBe(false); // records the size
    await growStore(rt, 'DROP TABLE outbox;');
    const said: string[] = [];
    const done = housekeep(rt, Date.now(), (line) => said.push(line));
    expect(done.notificationsPruned).toBe(0);
    expect(done.vacuumed).toBe(true);
    expect(said).toEqual([expect.stringMatching(/^housekeeping: outbox pruning failed: .*outbox/)]);
  });
});
