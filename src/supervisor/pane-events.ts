import { signalName } from '../tmux/panes.js';
import { fileSize, readRange } from './file-range.js';
import { recordExit } from './observe.js';
import type { Runtime } from './runtime.js';

/** One line the tmux `pane-died` hook appended: `session|run|status|signal|epoch-ms`. */
export interface PaneDeath {
  session: string;
  runId: number | null;
  exitCode: number | null;
  signal: string | null;
  at: number;
}

const OFFSET_KEY = 'pane_events_offset';

export function parsePaneDeath(line: string): PaneDeath | null {
  const parts = line.split('|');
  if (parts.length !== 5) return null;
  const [session, run, status, signal, at] = parts as [string, string, string, string, string];
  const runId = /^\d+$/.test(run) ? Number(run) : null;
  return {
    session,
    runId,
    exitCode: /^\d+$/.test(status) ? Number(status) : null,
    signal: /^\d+$/.test(signal) ? signalName(Number(signal)) : null,
    at: /^\d+$/.test(at) ? Number(at) : Date.now(),
  };
}

/** The offset the journal has processed up to, and how many bytes are written but not yet processed. */
export function paneEventsBacklog(rt: Runtime): {
  offset: number;
  pendingBytes: number;
  pendingEvents: number;
} {
  const offset = Number(rt.store.meta.get(OFFSET_KEY) ?? 0);
  const size = fileSize(rt.paths.eventsFile);
  const pending = size > offset ? readRange(rt.paths.eventsFile, offset, size) : Buffer.alloc(0);
  const pendingEvents = pending
    .toString('utf8')
    .split('\n')
    .filter((line) => line.length > 0 && !line.startsWith('kick|')).length;
  return { offset, pendingBytes: Math.max(0, size - offset), pendingEvents };
}

/**
 * Processes every complete line past the stored offset. The deaths they report and the new offset
 * commit in one transaction, so a line is acted on exactly once across daemon crashes; a death
 * already recorded by another observer is a no-op. Returns the runs whose end this recorded.
 */
export function processPaneEvents(rt: Runtime): number[] {
  const size = fileSize(rt.paths.eventsFile);
  let offset = Number(rt.store.meta.get(OFFSET_KEY) ?? 0);
  // A file shorter than our offset was replaced: start it from the top.
  if (size < offset) offset = 0;
  if (size === offset) return [];
  const chunk = readRange(rt.paths.eventsFile, offset, size);
  const end = chunk.lastIndexOf(0x0a) + 1;
  if (end === 0) return [];
  const lines = chunk
    .subarray(0, end)
    .toString('utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  const ended: number[] = [];
  rt.store.tx(() => {
    for (const line of lines) {
      const death = parsePaneDeath(line);
      if (!death || death.runId === null) continue;
      if (death.exitCode === null && death.signal === null) continue;
      const exit = { exitCode: death.exitCode, signal: death.signal, endedAt: death.at, reason: null };
      if (recordExit(rt, death.runId, exit)) ended.push(death.runId);
    }
    rt.store.meta.set(OFFSET_KEY, String(offset + end));
  });
  return ended;
}
