/**
 * The per-task `config.toml` of an interactive codex: the user's own (model, provider, profiles…)
 * with holdfast's keys laid over it (notify, model notices, the task's trust). The user's file is
 * only read. Line-based, not a TOML parser: top-level keys before the first table, tables from
 * their header to the next; a key holdfast sets replaces the user's in the same table (a value
 * over several lines, an array or a multi-line string, goes with it).
 */

interface Section {
  /** The header line as written (null: the top level). */
  header: string | null;
  /** The header without spaces, to match the same table written two ways. */
  id: string;
  entries: { key: string | null; lines: string[] }[];
}

const HEADER = /^\s*\[\[?\s*([^\]]*?)\s*\]\]?\s*(?:#.*)?$/;
const KEY = /^\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_.-]+)\s*=/;

export function mergeCodexConfig(user: string | null, ours: string): string {
  const theirs = sections(user ?? '');
  const mine = sections(ours);
  const out: string[] = [];
  const used = new Set<string>();
  // The top level is always the first section of both, so holdfast's top-level keys stay above every table.
  for (const s of theirs) {
    const over = s.header?.trimStart().startsWith('[[') ? undefined : mine.find((m) => m.id === s.id);
    const set = new Set(over?.entries.flatMap((e) => (e.key === null ? [] : [e.key])) ?? []);
    const kept = s.entries.filter((e) => e.key === null || !set.has(e.key));
    // Blank lines at a table's end stay after what holdfast adds to it.
    let end = kept.length;
    while (end > 0 && kept[end - 1]!.key === null && kept[end - 1]!.lines[0]!.trim() === '') end--;
    if (s.header !== null) out.push(s.header);
    for (const e of kept.slice(0, end)) out.push(...e.lines);
    if (over) {
      used.add(over.id);
      for (const e of over.entries) if (e.key !== null) out.push(...e.lines);
    }
    if (out.length > 0) out.push('');
  }
  for (const m of mine) {
    if (used.has(m.id)) continue;
    if (m.header !== null) out.push(m.header);
    for (const e of m.entries) out.push(...e.lines);
  }
  return `${out.join('\n').replace(/\n+$/, '')}\n`;
}

function sections(text: string): Section[] {
  const result: Section[] = [{ header: null, id: '', entries: [] }];
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const header = HEADER.exec(line);
    if (header && !KEY.test(line)) {
      result.push({
        header: line,
        id: line.trim().startsWith('[[') ? `[[${i}` : header[1]!.replace(/\s+/g, ''),
        entries: [],
      });
      continue;
    }
    const current = result.at(-1)!;
    const key = KEY.exec(line);
    if (!key) {
      current.entries.push({ key: null, lines: [line] });
      continue;
    }
    const entry = [line];
    let open = openness(line.slice(key[0].length));
    while (open.depth > 0 || open.string !== null) {
      const next = lines[i + 1];
      if (next === undefined) break;
      i++;
      entry.push(next);
      open = openness(next, open);
    }
    current.entries.push({ key: key[1]!.replace(/^["']|["']$/g, ''), lines: entry });
  }
  return result.filter((s, i) => i === 0 || s.header !== null);
}

interface Open {
  depth: number;
  /** Inside a multi-line string: its delimiter. */
  string: '"""' | "'''" | null;
}

/** How many brackets a value leaves open after `text`, and whether a multi-line string is. */
function openness(text: string, from: Open = { depth: 0, string: null }): Open {
  let { depth, string } = from;
  for (let i = 0; i < text.length; i++) {
    if (string !== null) {
      if (text.startsWith(string, i)) {
        i += 2;
        string = null;
      }
      continue;
    }
    const c = text[i]!;
    if (c === '#') break;
    if (text.startsWith('"""', i) || text.startsWith("'''", i)) {
      string = text.slice(i, i + 3) as '"""' | "'''";
      i += 2;
    } else if (c === '"' || c === "'") {
      const end = c === '"' ? /"(?:[^"\\]|\\.)*"/y : /'[^']*'/y;
      end.lastIndex = i;
      const m = end.exec(text);
      i = m ? i + m[0].length - 1 : text.length;
    } else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
  }
  return { depth, string };
}
