import type { DiffStat } from './diff-stat.js';

/** What a checkpoint commit says about itself, in trailer lines of its message. */
export interface CheckpointMeta extends DiffStat {
  task: string;
  run: number | null;
  sessionId: string | null;
  /** ISO 8601. */
  at: string;
  reason: string | null;
}

const KEYS = {
  task: 'Holdfast-Task',
  run: 'Holdfast-Run',
  sessionId: 'Holdfast-Session',
  at: 'Holdfast-Time',
  reason: 'Holdfast-Reason',
  files: 'Holdfast-Files',
  insertions: 'Holdfast-Insertions',
  deletions: 'Holdfast-Deletions',
} as const;

/** One line, so that a value cannot forge another trailer. */
function oneLine(value: string): string {
  return value.replace(/\s+/g, ' ').trim();
}

/**
 * The message of a checkpoint commit: a subject a person can read in `git log`, then one
 * `Holdfast-<Key>: value` line per field, so the commit describes itself.
 */
export function formatCheckpointMessage(meta: CheckpointMeta): string {
  const reason = meta.reason === null ? '' : oneLine(meta.reason);
  const subject = `holdfast checkpoint: ${meta.task}${meta.run === null ? '' : ` run ${meta.run}`}${reason ? ` (${reason})` : ''}`;
  const trailers: [string, string | number | null][] = [
    [KEYS.task, meta.task],
    [KEYS.run, meta.run],
    [KEYS.sessionId, meta.sessionId === null ? null : oneLine(meta.sessionId)],
    [KEYS.at, meta.at],
    [KEYS.reason, reason || null],
    [KEYS.files, meta.files],
    [KEYS.insertions, meta.insertions],
    [KEYS.deletions, meta.deletions],
  ];
  const lines = trailers
    .filter(([, value]) => value !== null && value !== '')
    .map(([key, value]) => `${key}: ${value}`);
  return `${subject}\n\n${lines.join('\n')}\n`;
}

/** Reads the trailers back; fields a message lacks fall back to the given defaults. */
export function parseCheckpointMessage(
  message: string,
  fallback: { task: string; at: string },
): CheckpointMeta {
  const values = new Map<string, string>();
  for (const line of message.split('\n')) {
    const match = /^(Holdfast-[A-Za-z]+):[ \t]*(.*)$/.exec(line);
    if (match) values.set(match[1]!, match[2]!.trim());
  }
  const count = (key: string): number => {
    const value = Number.parseInt(values.get(key) ?? '', 10);
    return Number.isFinite(value) && value >= 0 ? value : 0;
  };
  const run = Number.parseInt(values.get(KEYS.run) ?? '', 10);
  const at = values.get(KEYS.at);
  return {
    task: values.get(KEYS.task) || fallback.task,
    run: Number.isFinite(run) ? run : null,
    sessionId: values.get(KEYS.sessionId) || null,
    at: at && !Number.isNaN(Date.parse(at)) ? at : fallback.at,
    reason: values.get(KEYS.reason) || null,
    files: count(KEYS.files),
    insertions: count(KEYS.insertions),
    deletions: count(KEYS.deletions),
  };
}
