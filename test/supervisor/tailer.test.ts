/**
 * The tailer's offset over a rotated log (src/supervisor/log-segments.ts): segments written by
 * hand as the writer lays them out, read by `tailRun` against a real store.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../src/core/task.js';
import { createTask } from '../../src/supervisor/create.js';
import { readLog, segmentPath, viewLog } from '../../src/supervisor/log-segments.js';
import { openRuntime, type Runtime } from '../../src/supervisor/runtime.js';
import { tailRun } from '../../src/supervisor/tailer.js';
import { type Home, makeHome } from '../helpers/home.js';
import { commandSpec } from '../helpers/spec.js';

const opened: { home: Home; rt: Runtime }[] = [];
afterEach(() => {
  for (const { home, rt } of opened.splice(0)) {
    rt.store.close();
    home.cleanup();
  }
});

/** Lines `000000001\n` … : 10 bytes each, so line i (from 1) starts at byte 10·(i−1). */
const stream = (lines: number) =>
  Buffer.from(Array.from({ length: lines }, (_, i) => `${String(i + 1).padStart(9, '0')}\n`).join(''));

async function setup(): Promise<{ rt: Runtime; run: RunRecord; seen: string[] }> {
  const home = makeHome();
  const rt = openRuntime(home.dir);
  opened.push({ home, rt });
  const task = await createTask(rt, {
    name: 't',
    nameBase: 't',
    env: {},
    spec: commandSpec(home.dir),
  });
  const run = rt.store.tx(() =>
    rt.store.runs.insert({
      taskId: task.id,
      n: 1,
      cause: 'start',
      startedAt: rt.now(),
      logPath: rt.paths.runLog('t', 1),
      starterPid: process.pid,
    }),
  );
  return { rt, run, seen: [] };
}

/** Writes segments `ks` of `bytes` cut every `limit` bytes, as log-pipe.pl does. */
function writeSegments(logPath: string, bytes: Buffer, limit: number, ks: number[]): void {
  for (const k of ks) writeFileSync(segmentPath(logPath, k), bytes.subarray(k * limit, (k + 1) * limit));
}

describe('the tailer over rotated segments', () => {
  it('reads every line once across segments, its offset over the whole stream', async () => {
    const { rt, run, seen } = await setup();
    const bytes = stream(30);
    const consume = (_t: unknown, _r: unknown, lines: string[]) => seen.push(...lines);
    // 300 bytes in segments of 64: a line cut by each switch.
    writeSegments(run.logPath, bytes, 64, [0, 1]);
    tailRun(rt, rt.store.runs.byId(run.id)!, consume);
    expect(rt.store.runs.byId(run.id)).toMatchObject({ logOffset: 120, bytes: 128, lines: 12 });
    writeSegments(run.logPath, bytes, 64, [2, 3, 4]);
    tailRun(rt, rt.store.runs.byId(run.id)!, consume);
    expect(seen).toEqual(bytes.toString().trimEnd().split('\n'));
    expect(rt.store.runs.byId(run.id)).toMatchObject({ logOffset: 300, bytes: 300, lines: 30 });
  });

  it('past segments dropped before it read them, it goes on from the first whole line still there', async () => {
    const { rt, run, seen } = await setup();
    const bytes = stream(30);
    // Segments 0 and 1 (bytes 0–127) are gone: the first kept byte, 128, is inside line 13.
    writeSegments(run.logPath, bytes, 64, [2, 3, 4]);
    tailRun(rt, rt.store.runs.byId(run.id)!, (_t, _r, lines) => seen.push(...lines));
    expect(seen[0]).toBe('000000014');
    expect(seen).toHaveLength(17);
    expect(rt.store.runs.byId(run.id)).toMatchObject({ logOffset: 300, bytes: 300, lines: 17 });
  });

  it('forgets the capture times of bytes rotated away, keeping those of what is still on disk', async () => {
    const { rt, run } = await setup();
    const bytes = stream(30);
    writeSegments(run.logPath, bytes, 64, [0]);
    tailRun(rt, rt.store.runs.byId(run.id)!, null);
    writeSegments(run.logPath, bytes, 64, [1]);
    tailRun(rt, rt.store.runs.byId(run.id)!, null);
    expect(rt.store.logTimes.forRun(run.id).map((t) => t.offset)).toEqual([64, 128]);
    // Segment 0 dropped, 2 written: the row at 64 (the end of segment 0) has no byte left to time.
    rmSync(segmentPath(run.logPath, 0));
    writeSegments(run.logPath, bytes, 64, [2]);
    tailRun(rt, rt.store.runs.byId(run.id)!, null);
    expect(rt.store.logTimes.forRun(run.id).map((t) => t.offset)).toEqual([128, 192]);
  });

  it('a segment dropped after the view was taken ends the read there, never giving later bytes as its own', async () => {
    const { run } = await setup();
    const bytes = stream(30);
    writeSegments(run.logPath, bytes, 64, [0, 1, 2]);
    const view = viewLog(run.logPath);
    rmSync(segmentPath(run.logPath, 0));
    expect(readLog(view, 0, 192)).toEqual(Buffer.alloc(0));
    rmSync(segmentPath(run.logPath, 2));
    expect(readLog(view, 64, 192)).toEqual(bytes.subarray(64, 128));
  });
});
