/**
 * A run's output reaches its log through tmux's `pipe-pane` process (the segment writer). When that process dies
 * (killed, or given up after waiting out a full disk for 10 minutes) the daemon journals the loss with the log's size and
 * attaches the pipe again, once the log's filesystem has room.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/store/events.js';
import { type Home, isAlive, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome({ daemon: true });
const manual = useHome();

/**
 * Ten numbered lines a second, each padded to half a KiB: on a full tmpfs a write that still fits
 * the log's last page succeeds, so dd's death must not wait for many small lines to fill it.
 */
const TICKER = [
  'bash',
  '-c',
  'i=0; while :; do i=$((i+1)); printf "tick=%d %0500d\\n" $i 0; sleep 0.1; done',
];

/**
 * The pids of the tmux server's children whose argv names this log: the run's pipe-pane process
 * (the segment writer, libexec/log-pipe.pl, or dd where perl is missing).
 */
function pipeProcesses(h: Home, log: string): number[] {
  const server = Number(h.tmux(['display-message', '-p', '#{pid}']).trim());
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (ppid === server && (argv.includes(log) || argv.includes(`of=${log}`)) && isAlive(Number(entry)))
        found.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return found;
}

const size = (path: string) => statSync(path).size;
const ticks = (text: string) => [...text.matchAll(/tick=(\d+)/g)].map((m) => Number(m[1]));
const ofKind = (events: JournalEvent[], type: string) => events.filter((e) => e.type === type);

/** The data of the journal's entries of one kind, read from the store without running a pass. */
function journal(h: Home, type: string): unknown[] {
  const db = new Database(join(h.dir, 'holdfast.db'), { readonly: true });
  try {
    return (
      db.prepare('SELECT data FROM events WHERE type = ? ORDER BY id').all(type) as { data: string }[]
    ).map((r) => JSON.parse(r.data));
  } finally {
    db.close();
  }
}

/** The number of the last whole tick line in the log (the byte count up to it is what was captured). */
function lastTick(log: string): number {
  const seen = ticks(readFileSync(log, 'latin1'));
  return seen[seen.length - 1] ?? 0;
}

/**
 * The ticker running with the tasks' folders on a 2 MB tmpfs of their own (root only, as in CI; the
 * store stays writable), its first ticks in the log and its one pipe process found; the server
 * killed and the tmpfs unmounted after `body`, however it ends.
 */
async function tickerOnSmallDisk(
  h: Home,
  body: (run: { h: Home; log: string; filler: string; pipe: number[] }) => Promise<void>,
): Promise<void> {
  const tasks = join(h.dir, 'tasks');
  mkdirSync(tasks, { mode: 0o700 });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0700', 'tmpfs', tasks]);
  try {
    expect((await h.cli(['run', '--name', 'ticker', '--', ...TICKER])).code).toBe(0);
    const log = join(tasks, 'ticker', 'run-1.log');
    await waitFor(
      () => lastTick(log),
      (n) => n >= 3,
      { what: 'the first ticks in the log' },
    );
    const pipe = pipeProcesses(h, log);
    expect(pipe).toHaveLength(1);
    await body({ h, log, filler: join(tasks, 'filler'), pipe });
  } finally {
    try {
      h.tmux(['kill-server']);
    } catch {
      // no server
    }
    execFileSync('umount', ['-l', tasks]);
  }
}

describe('capture of a run whose pipe-pane process died', () => {
  it('a killed pipe is journaled as capture-lost at the log size, attached again, and new output reaches the log', async () => {
    const h = home();
    expect((await h.cli(['run', '--name', 'ticker', '--', ...TICKER])).code).toBe(0);
    const log = join(h.dir, 'tasks', 'ticker', 'run-1.log');
    await waitFor(
      () => lastTick(log),
      (n) => n >= 3,
      { what: 'the first ticks in the log' },
    );
    const pipes = pipeProcesses(h, log);
    expect(pipes).toHaveLength(1);
    process.kill(pipes[0]!, 'SIGKILL');
    await waitFor(
      () => isAlive(pipes[0]!),
      (alive) => !alive,
      { what: 'the pipe process to die' },
    );
    // Nothing writes to the log once its pipe is dead: this is where capture stopped.
    const cut = size(log);
    const before = lastTick(log);

    // The periodic listing (every 10 s) finds the lost pipe.
    const events = await waitFor(
      () => h.events('ticker'),
      (e) => ofKind(e, 'capture-resumed').length > 0,
      { what: 'capture-lost and capture-resumed', timeoutMs: 25_000 },
    );
    expect(ofKind(events, 'capture-lost').map((e) => e.data)).toEqual([{ run: 1, offset: cut }]);
    expect(ofKind(events, 'capture-resumed').map((e) => e.data)).toEqual([{ run: 1, offset: cut }]);
    expect(pipeProcesses(h, log)).toHaveLength(1);
    const after = await waitFor(
      () => ticks(readFileSync(log).subarray(cut).toString('latin1')),
      (t) => t.length >= 3,
      { what: 'new ticks past the cut' },
    );
    // What the task printed while nothing captured it is missing: the gap the journal names.
    expect(after[0]!).toBeGreaterThan(before + 1);
    expect(after.slice(1)).toEqual(after.slice(1).map((_, i) => after[0]! + i + 1));
  });

  it('with no daemon, the next command that looks (a pass of the loop) journals the loss and attaches the pipe; the one after sees it back', async () => {
    const h = manual();
    expect((await h.cli(['run', '--name', 'ticker', '--', ...TICKER])).code).toBe(0);
    const log = join(h.dir, 'tasks', 'ticker', 'run-1.log');
    await waitFor(
      () => lastTick(log),
      (n) => n >= 3,
      { what: 'the first ticks in the log' },
    );
    const pipes = pipeProcesses(h, log);
    expect(pipes).toHaveLength(1);
    process.kill(pipes[0]!, 'SIGKILL');
    await waitFor(
      () => isAlive(pipes[0]!),
      (alive) => !alive,
      { what: 'the pipe process to die' },
    );
    const cut = size(log);

    expect((await h.cli(['ls'])).code).toBe(0);
    // Read from the store itself: `holdfast events` would run a pass of its own.
    expect(journal(h, 'capture-lost')).toEqual([{ run: 1, offset: cut }]);
    expect(pipeProcesses(h, log)).toHaveLength(1);
    const back = await waitFor(
      () => size(log),
      (n) => n > cut,
      { what: 'the log to grow again' },
    );
    // Another process (this `ls`) finds the pipe back: capture-resumed at the log's size it sees.
    expect((await h.cli(['ls'])).code).toBe(0);
    expect(journal(h, 'capture-lost')).toHaveLength(1);
    const resumed = journal(h, 'capture-resumed') as { run: number; offset: number }[];
    expect(resumed).toHaveLength(1);
    expect(resumed[0]!.run).toBe(1);
    expect(resumed[0]!.offset).toBeGreaterThanOrEqual(back);
  });

  it('a pipe that gave up on a full disk (past its wait) is journaled (diskFull) and attached again once space is freed', async () => {
    await tickerOnSmallDisk(home(), async ({ h, log, filler, pipe }) => {
      fill(filler);
      // The writer waits out a full disk for 10 minutes, then gives up: kill it as if that time had passed.
      process.kill(pipe[0]!, 'SIGKILL');
      await waitFor(
        () => isAlive(pipe[0]!),
        (alive) => !alive,
        { what: 'the writer to be gone' },
      );
      const cut = size(log);
      const lostSeen = await waitFor(
        () => h.events('ticker'),
        (e) => ofKind(e, 'capture-lost').length > 0,
        { what: 'capture-lost', timeoutMs: 25_000 },
      );
      expect(ofKind(lostSeen, 'capture-lost').map((e) => e.data)).toEqual([
        { run: 1, offset: cut, diskFull: true },
      ]);
      // With no room, no pipe is attached (it would die at its first write).
      expect(ofKind(lostSeen, 'capture-resumed')).toEqual([]);
      expect(pipeProcesses(h, log)).toEqual([]);

      rmSync(filler);
      const events = await waitFor(
        () => h.events('ticker'),
        (e) => ofKind(e, 'capture-resumed').length > 0,
        { what: 'capture-resumed', timeoutMs: 15_000 },
      );
      expect(ofKind(events, 'capture-lost')).toHaveLength(1);
      expect(ofKind(events, 'capture-resumed').map((e) => e.data)).toEqual([{ run: 1, offset: cut }]);
      const after = await waitFor(
        () => ticks(readFileSync(log).subarray(cut).toString('latin1')),
        (t) => t.length >= 3,
        { what: 'new ticks past the cut' },
      );
      expect(after.length).toBeGreaterThanOrEqual(3);
    });
  });

  it('a disk full for seconds loses no byte: the writer waits, and what the pane printed meanwhile reaches the log in order', async () => {
    await tickerOnSmallDisk(home(), async ({ h, log, filler, pipe }) => {
      fill(filler);
      const full = lastTick(log);
      // Twenty more ticks printed while nothing can be written.
      const until = Date.now() + 2000;
      await waitFor(() => Date.now() >= until, Boolean, { what: '2 s of a full disk', timeoutMs: 5000 });
      expect(isAlive(pipe[0]!)).toBe(true);
      rmSync(filler);
      const after = await waitFor(
        () => ticks(readFileSync(log, 'latin1')),
        (t) => t.length > 0 && t[t.length - 1]! >= full + 30,
        { what: 'the ticks printed while the disk was full, and more' },
      );
      expect(after).toEqual(Array.from({ length: after.length }, (_, i) => i + 1));
      expect(pipeProcesses(h, log)).toEqual(pipe);
      expect(ofKind(await h.events('ticker'), 'capture-lost')).toEqual([]);
    });
  });

  it('a pipe lost while the disk is full is attached again within moments of the space being freed, not at the next backed-off listing', async () => {
    await tickerOnSmallDisk(home(), async ({ h, log, filler, pipe }) => {
      fill(filler);
      process.kill(pipe[0]!, 'SIGKILL');
      await waitFor(
        () => isAlive(pipe[0]!),
        (alive) => !alive,
        { what: 'the writer to be gone' },
      );
      await waitFor(
        () => h.events('ticker'),
        (e) => ofKind(e, 'capture-lost').length > 0,
        { what: 'capture-lost', timeoutMs: 25_000 },
      );
      // Full for 8 s more: the listings that look for the pipe back off meanwhile (250 ms, doubling
      // to 5 s), so the next one would come seconds after the space is freed.
      const until = Date.now() + 8000;
      await waitFor(() => Date.now() >= until, Boolean, { what: '8 s of a full disk', timeoutMs: 10_000 });
      expect(pipeProcesses(h, log)).toEqual([]);

      rmSync(filler);
      const freed = Date.now();
      await waitFor(
        () => pipeProcesses(h, log),
        (p) => p.length === 1,
        { what: 'the pipe attached again', timeoutMs: 10_000, intervalMs: 20 },
      );
      expect(Date.now() - freed).toBeLessThan(2000);
    });
  });
});

/** Writes a file until the disk refuses (ENOSPC). */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 120);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe('ENOSPC');
  } finally {
    closeSync(fd);
  }
}
