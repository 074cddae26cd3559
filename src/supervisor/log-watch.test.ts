/**
 * The watch on the runs' logs, on real inotify in a temp folder: which writes wake the daemon,
 * how they are paced, that a run's watch goes with it, and what happens when no watch can be put.
 */
import { appendFileSync, type FSWatcher, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { TailPace } from '../core/tail-pace.js';
import { LogWatch, type WatchFolder, watchWithFs } from './log-watch.js';

const PACE: TailPace = { minGapMs: 100, burst: 10, ratePerS: 10 };

const made: { dir: string; watch: LogWatch }[] = [];
afterEach(() => {
  for (const { dir, watch } of made.splice(0)) {
    watch.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

function setup(watchFolder?: WatchFolder) {
  const dir = mkdtempSync(join(tmpdir(), 'hf-lw-'));
  const taskDir = join(dir, 'task');
  mkdirSync(taskDir);
  const log = join(taskDir, 'run-1.log');
  writeFileSync(log, '');
  const wakes: number[] = [];
  const lines: string[] = [];
  const watch = new LogWatch({
    now: Date.now,
    wake: () => wakes.push(Date.now()),
    log: (line) => lines.push(line),
    ...(watchFolder ? { watchFolder } : {}),
  });
  made.push({ dir, watch });
  return { dir, taskDir, log, watch, wakes, lines };
}

async function until(what: string, done: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Waits until the watch has nothing pending that is due, so the next write is the only news. */
async function drained(watch: LogWatch): Promise<void> {
  await until('nothing due', () => {
    watch.take(Date.now());
    return watch.nextDue(Date.now()) === Number.POSITIVE_INFINITY;
  });
}

/** Gives inotify time to deliver a change that should not have woken anyone (asserted after). */
const settle = () => new Promise((r) => setTimeout(r, 150));

describe('LogWatch', () => {
  it('wakes for a write to a run’s log or to a later segment of it, not for the other files of its folder', async () => {
    const { taskDir, log, watch, wakes } = setup();
    watch.sync([{ id: 1, logPath: log, pace: PACE }]);
    expect(watch.covers(1)).toBe(true);
    // A new run is read once at once: it may have written before its watch was put.
    expect(watch.take(Date.now())).toEqual([1]);
    await drained(watch);
    const before = wakes.length;
    appendFileSync(join(taskDir, 'signals.jsonl'), '{}\n');
    appendFileSync(join(taskDir, 'run-2.log'), 'another run\n');
    await settle();
    expect(wakes.length).toBe(before);
    expect(watch.nextDue(Date.now())).toBe(Number.POSITIVE_INFINITY);

    appendFileSync(log, 'hello\n');
    await until('a wake for run-1.log', () => wakes.length > before);
    await until('run 1 due', () => watch.take(Date.now()).includes(1));

    // The pipe has moved on to the next segment.
    await drained(watch);
    const rotated = wakes.length;
    writeFileSync(join(taskDir, 'run-1.1.log'), 'after the cut\n');
    await until('a wake for run-1.1.log', () => wakes.length > rotated);
    await until('run 1 due', () => watch.take(Date.now()).includes(1));
  });

  it('reads a run that writes all the time no more often than its pace allows, and hears one change per read', async () => {
    let events = 0;
    let watches = 0;
    const counting: WatchFolder = (dir, onChange) => {
      watches++;
      return watchWithFs(dir, (file) => {
        events++;
        onChange(file);
      });
    };
    const { log, watch, wakes } = setup(counting);
    watch.sync([{ id: 1, logPath: log, pace: PACE }]);
    const reads: number[] = [];
    const start = Date.now();
    // Writes every 2 ms for a second; the run is read whenever it is due.
    while (Date.now() - start < 1000) {
      appendFileSync(log, 'x\n');
      const now = Date.now();
      if (watch.take(now).includes(1)) reads.push(now);
      await new Promise((r) => setTimeout(r, 2));
    }
    // 100 ms apart at the least: at most 10 in the second (and one more for the first, at once).
    expect(reads.length).toBeGreaterThan(3);
    expect(reads.length).toBeLessThanOrEqual(11);
    for (let i = 1; i < reads.length; i++) expect(reads[i]! - reads[i - 1]!).toBeGreaterThanOrEqual(100);
    // The wakes come no faster than the reads: one per change would be hundreds.
    expect(wakes.length).toBeLessThanOrEqual(reads.length + 2);
    // The watch is off between a change and the read it asks for: put back once per read.
    expect(watches).toBeLessThanOrEqual(reads.length + 1);
    expect(events).toBeLessThan(100);
  });

  it('wakes for a change that had to wait for its pace, once its time comes', async () => {
    const { log, watch, wakes } = setup();
    watch.sync([{ id: 1, logPath: log, pace: PACE }]);
    const readAt = Date.now();
    expect(watch.take(readAt)).toEqual([1]);
    const before = wakes.length;
    appendFileSync(log, 'soon after\n');
    await until('the wake', () => wakes.length > before);
    // Not before the run may be read (the timer), then it is due.
    expect(wakes.at(-1)! - readAt).toBeGreaterThanOrEqual(PACE.minGapMs - 1);
    await until('run 1 due', () => watch.take(Date.now()).includes(1));
  });

  it('closes the watch of a folder whose runs have ended, and ignores its writes afterwards', async () => {
    const { log, watch, wakes } = setup();
    watch.sync([{ id: 1, logPath: log, pace: PACE }]);
    expect(watch.watching).toBe(1);
    await drained(watch);
    expect(watch.sync([])).toEqual([1]);
    expect(watch.watching).toBe(0);
    expect(watch.covers(1)).toBe(false);
    const before = wakes.length;
    appendFileSync(log, 'after the end\n');
    await settle();
    expect(wakes.length).toBe(before);
    expect(watch.take(Date.now())).toEqual([]);
  });

  it('leaves the runs of a folder it cannot watch to the periodic tail, says so once, and watches it when it can', async () => {
    let fail = true;
    const watchFolder: WatchFolder = (dir, onChange): FSWatcher => {
      if (fail)
        throw Object.assign(new Error('inotify_add_watch: no space left on device'), { code: 'ENOSPC' });
      return watchWithFs(dir, onChange);
    };
    const { log, watch, wakes, lines } = setup(watchFolder);
    const runs = [{ id: 1, logPath: log, pace: PACE }];
    watch.sync(runs);
    watch.sync(runs);
    watch.sync(runs);
    expect(watch.covers(1)).toBe(false);
    expect(watch.watching).toBe(0);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/ENOSPC.*max_user_watches.*read every few seconds/);

    fail = false;
    await drained(watch);
    watch.sync(runs);
    expect(watch.covers(1)).toBe(true);
    expect(lines.at(-1)).toMatch(/watching .* again/);
    // What it wrote while nothing watched is read.
    expect(watch.take(Date.now() + PACE.minGapMs)).toEqual([1]);
    await drained(watch);
    const before = wakes.length;
    appendFileSync(log, 'watched now\n');
    await until('a wake', () => wakes.length > before);
  });
});
