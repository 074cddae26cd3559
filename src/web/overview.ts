/**
 * The overview the dashboard streams: one row per task and mission, read from the store (a WAL
 * reader: it never blocks the daemon) and the logs. Nothing here decides anything.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { stripVTControlCharacters } from 'node:util';
import type { TaskRecord } from '../core/task.js';
import type { Store } from '../store/db.js';
import type { TaskView } from '../views/task.js';
import { allViews, newestLogSegment, type ViewSource } from '../views/tasks.js';
import type { DaemonStatus, JournalEntry, MissionRow, Snapshot, TaskRow } from './protocol.js';

/** How much of a log's end is read for its last line. */
const TAIL_BYTES = 4096;
const LAST_LINE_CHARS = 300;

/** Reads the last line of each live run's log, again only when the file has changed. */
export class LastLines {
  private readonly cache = new Map<string, { size: number; mtimeMs: number; line: string | null }>();

  of(logPath: string | undefined): string | null {
    if (!logPath) return null;
    const file = newestLogSegment(logPath);
    if (file === null) return null;
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return null;
    }
    try {
      const st = fstatSync(fd);
      const hit = this.cache.get(logPath);
      if (hit && hit.size === st.size && hit.mtimeMs === st.mtimeMs) return hit.line;
      const length = Math.min(TAIL_BYTES, st.size);
      const buf = Buffer.alloc(length);
      readSync(fd, buf, 0, length, st.size - length);
      const line = lastLine(buf.toString('utf8'));
      this.cache.set(logPath, { size: st.size, mtimeMs: st.mtimeMs, line });
      return line;
    } finally {
      closeSync(fd);
    }
  }

  /** Forgets logs no row shows any more, so the cache does not grow over months. */
  keepOnly(paths: ReadonlySet<string>): void {
    for (const key of this.cache.keys()) if (!paths.has(key)) this.cache.delete(key);
  }
}

/**
 * The last line with something on it, as a terminal would show it: escapes stripped, a carriage
 * return's overwrite kept (a progress bar shows its newest state).
 */
export function lastLine(text: string): string | null {
  const lines = stripVTControlCharacters(text).split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const shown = (lines[i]!.split('\r').findLast((part) => part.trim() !== '') ?? '').trim();
    if (shown !== '') return shown.slice(0, LAST_LINE_CHARS);
  }
  return null;
}

function firstLine(text: unknown): string | null {
  if (typeof text !== 'string') return null;
  const line = text.split('\n').find((l) => l.trim() !== '');
  return line === undefined ? null : line.trim().slice(0, LAST_LINE_CHARS);
}

export function taskRow(view: TaskView, record: TaskRecord | undefined, lastOutput: string | null): TaskRow {
  const cost = view.info.costUsd;
  return {
    name: view.name,
    state: view.state,
    desired: view.desired,
    reason: view.reason,
    agent: view.agent,
    model: record?.spec.agent?.model ?? null,
    interactive: view.interactive,
    activity: view.activity,
    question: view.question
      ? {
          id: view.question.id,
          kind: view.question.kind,
          tool: view.question.tool,
          input: view.question.input,
          options: view.question.options,
          askedAt: view.question.askedAt,
        }
      : null,
    lastLine: firstLine(view.info.lastMessage) ?? lastOutput,
    startedAt: view.startedAt,
    restarts: view.restarts,
    nextStartAt: view.nextStartAt,
    nextAction: view.nextStartAt === null ? null : view.limitResetsAt !== null ? 'resume' : 'restart',
    costUsd: typeof cost === 'number' ? cost : null,
    mission: view.mission,
    command: view.command,
    cwd: view.cwd,
    updatedAt: view.updatedAt,
  };
}

export function missionRows(store: Store): MissionRow[] {
  return store.missions.all().map((m) => {
    const milestones = store.missions.milestones(m.id);
    const title = (m.definition as { title?: unknown } | null)?.title;
    return {
      name: m.name,
      title: typeof title === 'string' ? title : m.name,
      state: m.state,
      reason: m.reason,
      milestonesDone: milestones.filter((s) => s.status === 'done').length,
      milestonesTotal: milestones.length,
      updatedAt: new Date(m.updatedAt).toISOString(),
    };
  });
}

export function journalEntry(e: {
  id: number;
  taskName: string | null;
  runId: number | null;
  at: number;
  type: string;
  data: Record<string, unknown>;
}): JournalEntry {
  return {
    id: e.id,
    task: e.taskName,
    run: e.runId,
    at: new Date(e.at).toISOString(),
    type: e.type,
    data: e.data,
  };
}

/** The newest journal entry's id (0 for an empty journal). */
export function newestJournalId(store: Store): number {
  const row = store.db.prepare('SELECT coalesce(max(id), 0) AS id FROM events').get() as { id: number };
  return row.id;
}

/**
 * What changes whenever a task's state, a run or a mission does: compared every tick, so a state
 * change reaches the page within a tick without rebuilding 200 rows 10 times a second.
 */
export function storeSignature(store: Store): string {
  const row = store.db
    .prepare(
      `SELECT (SELECT coalesce(max(id), 0) FROM events) AS e,
              (SELECT count(*) || ':' || coalesce(max(updated_at), 0) || ':' || coalesce(sum(id), 0) FROM tasks) AS t,
              (SELECT coalesce(max(id), 0) || ':' || coalesce(max(ended_at), 0) || ':' || count(ended_at) FROM runs) AS r,
              (SELECT count(*) || ':' || coalesce(max(updated_at), 0) FROM missions) AS m,
              (SELECT count(*) || ':' || coalesce(max(id), 0) FROM inputs WHERE state IN ('queued', 'sending', 'sent', 'submitted')) AS i`,
    )
    .get() as Record<string, string | number>;
  return `${row.e}|${row.t}|${row.r}|${row.m}|${row.i}`;
}

export function snapshot(src: ViewSource, lastLines: LastLines, daemon: DaemonStatus): Snapshot {
  const records = new Map(src.store.tasks.all().map((t) => [t.name, t]));
  const views = allViews(src);
  const logs = new Set<string>();
  const tasks = views.map((view) => {
    const current = view.runs.at(-1);
    const live = view.startedAt !== null;
    if (live && current) logs.add(current.log);
    return taskRow(view, records.get(view.name), live ? lastLines.of(current?.log) : null);
  });
  lastLines.keepOnly(logs);
  return {
    journalId: newestJournalId(src.store),
    tasks,
    missions: missionRows(src.store),
    daemon,
    now: new Date(src.now()).toISOString(),
  };
}
