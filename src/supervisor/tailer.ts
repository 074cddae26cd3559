import type { RunRecord, TaskRecord } from '../core/task.js';
import { fileSize, readRange } from './file-range.js';
import type { Runtime } from './runtime.js';

/** Reads complete lines a run wrote and derives facts from them inside the same transaction. */
export type LineConsumer = (task: TaskRecord, run: RunRecord, lines: string[], now: number) => void;

/** The most read from one log in one step, so one chatty task cannot starve the loop. */
const MAX_CHUNK = 4 * 1024 * 1024;

/**
 * Advances one run's log offset. The offset only ever stands at the start of a line (a partial last
 * line is read again next time), is clamped if the file shrank, and is committed in the same
 * transaction as everything derived from those bytes, so a crash can neither skip nor repeat a line.
 * `final` reads the last partial line too: the run is over and nothing more will complete it.
 * Returns whether the log grew (the decider then looks at the task again: output ends a stall).
 * This transaction, not a decision's, records log progress: it is a fact the observer saw, which the
 * decider reads and never writes (docs/architecture.md, "Who writes tasks and runs").
 */
export function tailRun(rt: Runtime, run: RunRecord, consume: LineConsumer | null, final = false): boolean {
  const size = fileSize(run.logPath);
  if (size === run.bytes && size >= run.logOffset && !(final && size > run.logOffset)) return false;
  const now = rt.now();
  let offset = Math.min(run.logOffset, size);
  const grew = size > run.bytes;
  let lines: string[] = [];
  if (size > offset) {
    const chunk = readRange(run.logPath, offset, Math.min(size, offset + MAX_CHUNK));
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
    rt.store.runs.advanceLog(run.id, {
      offset,
      lastOutputAt: grew ? now : null,
      bytes: size,
      lines: current.lines + lines.length,
    });
  });
  return grew;
}
