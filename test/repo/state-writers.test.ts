import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/home.js';

const REPOS = { tasks: 'src/store/tasks.ts', runs: 'src/store/runs.ts' } as const;

/** The public methods of a repository file whose body writes SQL (INSERT, UPDATE, DELETE). */
function writingMethods(file: string): string[] {
  const lines = readFileSync(join(ROOT, file), 'utf8').split('\n');
  const methods: { name: string; body: string[] }[] = [];
  for (const line of lines) {
    // A class member starts at two spaces' indent; private ones cannot be called from outside.
    const start = /^ {2}(?!private\b|readonly\b|constructor\b)(\w+)\s*(?:<[^>]*>)?\(/.exec(line);
    if (start) methods.push({ name: start[1]!, body: [] });
    else if (/^ {2}(private\b|readonly\b|constructor\b)|^}/.test(line)) methods.push({ name: '', body: [] });
    methods.at(-1)?.body.push(line);
  }
  return methods
    .filter((m) => m.name !== '' && /\b(INSERT INTO|UPDATE|DELETE FROM)\b/.test(m.body.join('\n')))
    .map((m) => m.name);
}

/** Every `tasks.<m>(` / `runs.<m>(` call of a writing method in src/, as `file repo.method`. */
function writers(): string[] {
  const files = execFileSync('git', ['ls-files', 'src'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !/\/test-[^/]*\.ts$/.test(f));
  const found = new Set<string>();
  for (const [repo, repoFile] of Object.entries(REPOS)) {
    const call = new RegExp(`\\b${repo}\\.(${writingMethods(repoFile).join('|')})\\(`, 'g');
    for (const file of files) {
      if (file === repoFile) continue;
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const [, method] of text.matchAll(call)) found.add(`${file} ${repo}.${method}`);
    }
  }
  return [...found].sort();
}

/** The table of docs/architecture.md's "Who writes tasks and runs", as `file repo.method`. */
function documented(): string[] {
  const doc = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
  const start = doc.indexOf('### Who writes tasks and runs');
  const section = doc.slice(start, doc.indexOf('\n## ', start));
  const rows: string[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((c) => c.trim());
    if (cells.length < 4 || !cells[1]!.startsWith('`src/')) continue;
    const file = cells[1]!.replace(/`/g, '');
    for (const [, method] of cells[2]!.matchAll(/`([^`]+)`/g)) rows.push(`${file} ${method}`);
  }
  return rows.sort();
}

describe('tasks and runs are written through the decision path, and the named exceptions', () => {
  it('finds the writing methods of both repositories', () => {
    // A parser that found nothing would make the next test pass for no reason.
    expect(writingMethods(REPOS.tasks).sort()).toEqual(['insert', 'mergeInfo', 'remove', 'update']);
    expect(writingMethods(REPOS.runs)).toEqual(
      expect.arrayContaining(['insert', 'end', 'setPid', 'setTaskPid', 'advanceLog', 'setSummary']),
    );
  });

  it("every call of one is store/apply.ts's or a writer docs/architecture.md names with its reason", () => {
    expect(writers()).toEqual(documented());
  });

  it('no other module writes the tables with SQL of its own', () => {
    const out = execFileSync(
      'git',
      [
        'grep',
        '-l',
        '-i',
        '-E',
        '(INSERT INTO|UPDATE|DELETE FROM|REPLACE INTO) +(tasks|runs)\\b',
        '--',
        'src',
      ],
      { cwd: ROOT, encoding: 'utf8' },
    );
    const files = out.split('\n').filter((f) => f.length > 0 && !f.endsWith('.test.ts'));
    expect(files.sort()).toEqual([REPOS.runs, REPOS.tasks]);
  });
});
