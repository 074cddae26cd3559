import { git } from './git.js';

export interface DiffEntry {
  path: string;
  /** Lines added; 0 for a binary file. */
  insertions: number;
  /** Lines removed; 0 for a binary file. */
  deletions: number;
  binary: boolean;
}

export interface DiffStat {
  files: number;
  insertions: number;
  deletions: number;
}

export interface DiffSummary extends DiffStat {
  entries: DiffEntry[];
  /** As `git diff --stat` ends: `3 files changed, 10 insertions(+), 2 deletions(-)`. */
  summary: string;
}

/** `git diff-tree --numstat` between two trees (renames as delete + add, no textconv). */
export async function diffTrees(top: string, from: string, to: string): Promise<DiffSummary> {
  const out = await git(
    'cannot compare the snapshot trees',
    ['diff-tree', '-r', '-z', '--numstat', '--no-renames', '--no-textconv', '--no-ext-diff', from, to, '--'],
    { cwd: top },
  );
  return summarize(parseNumstat(out));
}

/** Parses `--numstat -z` output (without renames): `added TAB deleted TAB path NUL`, `-` for binary. */
export function parseNumstat(out: string): DiffEntry[] {
  const entries: DiffEntry[] = [];
  for (const record of out.split('\0')) {
    const match = /^(-|\d+)\t(-|\d+)\t([\s\S]*)$/.exec(record);
    if (!match) continue;
    const binary = match[1] === '-';
    entries.push({
      path: match[3]!,
      insertions: binary ? 0 : Number(match[1]),
      deletions: binary ? 0 : Number(match[2]),
      binary,
    });
  }
  return entries;
}

export function summarize(entries: DiffEntry[]): DiffSummary {
  const files = entries.length;
  const insertions = entries.reduce((sum, entry) => sum + entry.insertions, 0);
  const deletions = entries.reduce((sum, entry) => sum + entry.deletions, 0);
  return { files, insertions, deletions, entries, summary: formatStat({ files, insertions, deletions }) };
}

export function formatStat(stat: DiffStat): string {
  if (stat.files === 0) return 'no changes';
  const parts = [`${stat.files} file${stat.files === 1 ? '' : 's'} changed`];
  if (stat.insertions > 0) parts.push(`${stat.insertions} insertion${stat.insertions === 1 ? '' : 's'}(+)`);
  if (stat.deletions > 0) parts.push(`${stat.deletions} deletion${stat.deletions === 1 ? '' : 's'}(-)`);
  return parts.join(', ');
}
