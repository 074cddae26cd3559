import type { RunRecord, TaskRecord } from '../core/task.js';
import { readLog, viewLog } from './log-segments.js';
import type { Runtime } from './runtime.js';

/** Reads complete lines a run wrote and derives facts from them inside the same transaction. */
export type LineConsumer = (task: TaskRecord, run: RunRecord, lines: string[], now: number) => void;

/** The most read from one log in one step, so one chatty task cannot starve the loop. */
const MAX_CHUNK = 4 * 1024 * 1024;

/**
 * Advances one run's log offset, over the run's whole stream of log segments (log-segments.ts). The
 * offset only ever stands at the start of a line (a partial last line is read again next time), is
 * clamped if the log shrank, skips to the next line start past a segment the writer dropped before
 * it was read (a daemon down while a run wrote more than its kept segments), and is committed in the same
 * transaction as everything derived from those bytes, so a crash can neither skip nor repeat a line.
 * `final` reads the last partial line too: the run is over and nothing more will complete it.
 * Returns whether the log grew (the decider then looks at the task again: output ends a stall).
 * This transaction, not a decision's, records log progress: it is a fact the observer saw, which the
 * decider reads and never writes (docs/architecture.md, "Who writes tasks and runs").
 */
export function tailRun(rt: Runtime, run: RunRecord, consume: LineConsumer | null, final = false): boolean {
  const view = viewLog(run.logPath);
  const size = view.end;
  if (size === run.bytes && size >= run.logOffset && !(final && size > run.logOffset)) return false;
  const now = rt.now();
  let offset = Math.min(run.logOffset, size);
  const grew = size > run.bytes;
  let lines: string[] = [];
  if (offset < view.start) {
    // Bytes gone unread: the first line still on disk is cut, and is no line at all.
    const head = readLog(view, view.start, Math.min(size, view.start + MAX_CHUNK));
    const cut = head.indexOf(0x0a);
    offset = cut < 0 ? view.start + head.length : view.start + cut + 1;
  }
  if (size > offset) {
    const chunk = readLog(view, offset, Math.min(size, offset + MAX_CHUNK));
    const end = final && offset + chunk.length === size ? chunk.length : chunk.lastIndexOf(0x0a) + 1;
    if (end > 0) {
      lines = chunk.subarray(0, end).toString('utf8').split('\n');
      if (lines.at(-1) === '') lines.pop();
      lines = lines.map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
      offset += end;
    }
  }
  rt.store.tx(() => {
    const current = rt.store.runs.byId(run.id);
    // Another process advanced it meanwhile: its commit stands, ours is dropped.
    if (!current || current.logOffset !== run.logOffset) return;
    const task = rt.store.tasks.byId(run.taskId);
    if (task && lines.length > 0 && consume) consume(task, current, lines, now);
    // Every byte up to the log's end was captured by now: `log --timestamps` reads this.
    if (size > current.bytes) {
      rt.store.logTimes.record(run.id, size, now);
      // Bytes rotated away have no line left to time: their rows go with them, so a run that lives
      // for months keeps as many rows as its kept segments had reads.
      if (view.start > 0) rt.store.logTimes.forgetBefore(run.id, view.start);
    }
    rt.store.runs.advanceLog(run.id, {
      offset,
      lastOutputAt: grew ? now : null,
      bytes: size,
      lines: current.lines + lines.length,
    });
  });
  return grew;
}
