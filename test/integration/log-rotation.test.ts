/**
 * Run logs rotate by size (`run --log-max`): the pipe's writer (libexec/log-pipe.pl) fills
 * `run-N.log`, `run-N.1.log`, … to exactly the limit and keeps the newest 5. The content here is
 * numbered lines of one fixed length, so the byte at any offset of the run's stream is known: a
 * byte lost or doubled at a switch shifts everything after it and fails the comparison.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { readLog, viewLog } from '../../src/supervisor/log-segments.js';
import { useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome();
const daemonHome = useHome({ daemon: true });
const PAD = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(3).slice(0, 90);
/** One line as the pane's log holds it: 12 digits, a space, the pad, and the terminal's CRLF. */
const LINE_BYTES = 12 + 1 + PAD.length + 2;
const QUERY = '\x1b[5n';

/** The task: lines 1..n, each `%012d PAD`. */
const numbered = (n: number) => ['seq', '-f', `%012.0f ${PAD}`, '1', String(n)];

/** Bytes [from, to) of what `numbered` writes through a pane. */
function expected(from: number, to: number): Buffer {
  const first = Math.floor(from / LINE_BYTES);
  const last = Math.ceil(to / LINE_BYTES);
  const lines: string[] = [];
  for (let i = first; i < last; i++) lines.push(`${String(i + 1).padStart(12, '0')} ${PAD}\r\n`);
  const text = Buffer.from(lines.join(''), 'latin1');
  return text.subarray(from - first * LINE_BYTES, to - first * LINE_BYTES);
}

function firstDifference(a: Buffer, b: Buffer): number {
  if (a.equals(b)) return -1;
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return i;
  return Math.min(a.length, b.length);
}

function segmentFiles(dir: string, n: number): string[] {
  return readdirSync(dir)
    .filter((f) => f === `run-${n}.log` || new RegExp(`^run-${n}\\.\\d+\\.log$`).test(f))
    .sort((a, b) => segmentOf(a) - segmentOf(b));
}
const segmentOf = (file: string) => Number(/^run-\d+\.(\d+)\.log$/.exec(file)?.[1] ?? 0);

function runRow(dir: string, task: string): { log_offset: number; bytes: number; lines: number } {
  const db = new Database(join(dir, 'holdfast.db'), { readonly: true });
  try {
    return db
      .prepare(
        'SELECT r.log_offset, r.bytes, r.lines FROM runs r JOIN tasks t ON t.id = r.task_id WHERE t.name = ? ORDER BY r.n DESC LIMIT 1',
      )
      .get(task) as { log_offset: number; bytes: number; lines: number };
  } finally {
    db.close();
  }
}

describe('run logs rotated by size', () => {
  it('120 MB through a pane with --log-max 10MB: five files of exactly 10 MB but the last, holding the stream in order with no byte lost at a switch', async () => {
    const h = home();
    const lines = 1_150_000;
    const total = lines * LINE_BYTES;
    const limit = 10 * 1024 * 1024;
    expect((await h.cli(['run', '--name', 'big', '--log-max', '10MB', '--', ...numbered(lines)])).code).toBe(
      0,
    );
    const log = join(h.dir, 'tasks', 'big', 'run-1.log');
    await waitFor(
      () => viewLog(log).end,
      (end) => end >= total + QUERY.length,
      { what: 'all 120 MB in the log', timeoutMs: 50_000, intervalMs: 200 },
    );
    const view = viewLog(log);
    expect(view.end).toBe(total + QUERY.length);
    const last = Math.floor((total + QUERY.length) / limit);
    expect(segmentFiles(join(h.dir, 'tasks', 'big'), 1)).toEqual(
      [last - 4, last - 3, last - 2, last - 1, last].map((k) => `run-1.${k}.log`),
    );
    for (const s of view.segments) {
      expect(s.start).toBe(s.k * limit);
      if (s !== view.segments.at(-1)) expect(s.size).toBe(limit);
      const bytes = readFileSync(s.path);
      const taskBytes = Math.min(s.size, total - s.start);
      // Compared whole, then at the first difference, which says where a byte went missing.
      const want = expected(s.start, s.start + taskBytes);
      const got = bytes.subarray(0, taskBytes);
      const at = firstDifference(got, want);
      expect(
        at === -1 ? 'same' : JSON.stringify(got.subarray(at, at + 40).toString('latin1')),
        `segment ${s.k} at byte ${s.start + at}`,
      ).toBe(at === -1 ? 'same' : JSON.stringify(want.subarray(at, at + 40).toString('latin1')));
      expect(at).toBe(-1);
    }
    expect(readLog(view, total).toString('latin1')).toBe(QUERY);
  }, 60_000);

  it('log, log -n, follow and the tailer read across the segments as one stream', async () => {
    const h = home();
    const lines = 600; // 63 000 bytes: 4 segments of 16 KB, none dropped
    expect(
      (await h.cli(['run', '--name', 'small', '--log-max', '16KB', '--', ...numbered(lines)])).code,
    ).toBe(0);
    await waitFor(
      async () => (await h.status('small')).state,
      (s) => s === 'succeeded',
      { what: 'the task to end' },
    );
    const dir = join(h.dir, 'tasks', 'small');
    expect(segmentFiles(dir, 1)).toEqual(['run-1.log', 'run-1.1.log', 'run-1.2.log', 'run-1.3.log']);
    const all = expected(0, lines * LINE_BYTES)
      .toString('latin1')
      .replaceAll('\r\n', '\n');

    const log = await h.cli(['log', 'small']);
    expect(log.code).toBe(0);
    expect(log.stdout).toBe(all);
    const raw = await h.cli(['log', 'small', '--raw']);
    expect(raw.stdout).toBe(expected(0, lines * LINE_BYTES).toString('latin1'));
    const tail = await h.cli(['log', 'small', '-n', '200']);
    expect(tail.stdout).toBe(all.split('\n').slice(-201).join('\n'));
    const follow = await h.cli(['follow', 'small', '-n', '300', '--raw']);
    expect(follow.stdout).toBe(expected((lines - 300) * LINE_BYTES, lines * LINE_BYTES).toString('latin1'));

    // The tailer's offset is over the whole stream, and it counted every line once (and the
    // launcher's closing query, the partial last line a final read takes).
    expect(runRow(h.dir, 'small')).toMatchObject({
      log_offset: lines * LINE_BYTES + QUERY.length,
      bytes: lines * LINE_BYTES + QUERY.length,
      lines: lines + 1,
    });
  });

  it('a log that outgrew its five segments: log shows the kept lines from the first whole one', async () => {
    const h = home();
    const lines = 2000; // 210 000 bytes: 51 segments of 4 KB, the newest 5 kept
    const limit = 4096;
    expect((await h.cli(['run', '--name', 'many', '--log-max', '4KB', '--', ...numbered(lines)])).code).toBe(
      0,
    );
    const logPath = join(h.dir, 'tasks', 'many', 'run-1.log');
    await waitFor(
      () => viewLog(logPath).end,
      (end) => end >= lines * LINE_BYTES + QUERY.length,
      { what: 'the whole output' },
    );
    await waitFor(
      async () => (await h.status('many')).state,
      (s) => s === 'succeeded',
      { what: 'the task to end' },
    );
    const view = viewLog(logPath);
    expect(view.segments).toHaveLength(5);
    const firstWhole = Math.ceil(view.start / LINE_BYTES) * LINE_BYTES;
    const kept = expected(firstWhole, lines * LINE_BYTES)
      .toString('latin1')
      .replaceAll('\r\n', '\n');
    const log = await h.cli(['log', 'many']);
    expect(log.stdout).toBe(kept);
    expect(view.start).toBe(view.segments[0]!.k * limit);
    expect(runRow(h.dir, 'many').log_offset).toBe(lines * LINE_BYTES + QUERY.length);
  });
});

describe('log --timestamps', () => {
  it('prefixes each line with when the tailer found it in the log, from its line-offset → time index', async () => {
    const h = daemonHome();
    const before = Date.now();
    const run = await h.cli([
      'run',
      '--name',
      'stamped',
      '--',
      'bash',
      '-c',
      'echo first; sleep 4; echo second',
    ]);
    expect(run.code).toBe(0);
    await waitFor(
      async () => (await h.status('stamped')).state,
      (s) => s === 'succeeded',
      { what: 'the task to end', timeoutMs: 20_000 },
    );
    const after = Date.now();
    const out = await h.cli(['log', 'stamped', '--timestamps']);
    expect(out.code).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines.map((l) => l.replace(/^\S+ /, ''))).toEqual(['first', 'second']);
    const times = lines.map((l) => Date.parse(l.split(' ')[0]!));
    for (const t of times) expect(t).toBeGreaterThanOrEqual(before);
    for (const t of times) expect(t).toBeLessThanOrEqual(after);
    // Read every 2 s at most: 4 s apart when printed, at least 2 s apart when found.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(2000);
    const raw = await h.cli(['log', 'stamped', '--timestamps', '--raw']);
    expect(raw.stdout).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z first\r\n\d{4}-\d\d-\d\dT[\d:.]+Z second\r\n/);
  });
});
