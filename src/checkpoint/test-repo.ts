/**
 * Test support (not used at run time): real git repositories in temp directories, isolated
 * from the machine's git configuration, and a record of everything a checkpoint must not touch.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';

/** Neither the code under test nor the tests' own git calls may see the machine's git config. */
export function isolateGit(): void {
  process.env.GIT_CONFIG_GLOBAL = '/dev/null';
  process.env.GIT_CONFIG_NOSYSTEM = '1';
  process.env.XDG_CONFIG_HOME = '/nonexistent/holdfast-test'; // no ~/.config/git/ignore either
  process.env.GIT_CEILING_DIRECTORIES = realpathSync(tmpdir());
  for (const name of [
    'GIT_DIR',
    'GIT_WORK_TREE',
    'GIT_INDEX_FILE',
    'GIT_AUTHOR_NAME',
    'GIT_COMMITTER_NAME',
  ]) {
    delete process.env[name];
  }
}

export interface TestRepo {
  dir: string;
  /** Runs git in the repository (or `cwd` below it) with a test identity; returns trimmed stdout. */
  git(args: string[], options?: { cwd?: string; input?: string }): string;
  /** Like `git`, but returns the exit code and output instead of throwing. */
  tryGit(args: string[]): { code: number; stdout: string };
  write(path: string, content: string | Buffer): void;
  read(path: string): string;
  rm(path: string): void;
  commitAll(message: string): string;
}

const TEST_IDENTITY = [
  '-c',
  'user.name=Test User',
  '-c',
  'user.email=test@example.com',
  '-c',
  'commit.gpgSign=false',
];

function runGit(cwd: string, args: string[], input?: string): string {
  return execFileSync('git', [...TEST_IDENTITY, ...args], {
    cwd,
    input,
    encoding: 'utf8',
    // The test's own look must not refresh the index it is about to compare.
    env: { ...process.env, GIT_OPTIONAL_LOCKS: '0' },
    stdio: ['pipe', 'pipe', 'pipe'],
  }).replace(/\n$/, '');
}

/** A temp directory; with `init`, a repository on branch `main`. Call `removeAll` after each test. */
const created: string[] = [];

export function makeDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'hf-git-')));
  created.push(dir);
  return dir;
}

export function removeAll(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function makeRepo(dir = makeDir()): TestRepo {
  runGit(dir, ['init', '-q', '-b', 'main']);
  return repoAt(dir);
}

export function repoAt(dir: string): TestRepo {
  const repo: TestRepo = {
    dir,
    git: (args, options = {}) => runGit(options.cwd ?? dir, args, options.input),
    tryGit: (args) => {
      try {
        return { code: 0, stdout: runGit(dir, args) };
      } catch (error) {
        return { code: (error as { status?: number }).status ?? 1, stdout: '' };
      }
    },
    write: (path, content) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), content);
    },
    read: (path) => readFileSync(join(dir, path), 'utf8'),
    rm: (path) => rmSync(join(dir, path)),
    commitAll: (message) => {
      runGit(dir, ['add', '-A']);
      runGit(dir, ['commit', '-q', '--no-verify', '-m', message]);
      return runGit(dir, ['rev-parse', 'HEAD']);
    },
  };
  return repo;
}

const sha = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Every working file (outside `.git`): bytes and mtime. */
function workingFiles(root: string): Record<string, string> {
  const files: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.name === '.git') continue;
      if (entry.isDirectory()) walk(path);
      else files[relative(root, path)] = `${sha(readFileSync(path))} ${statSync(path).mtimeMs}`;
    }
  };
  walk(root);
  return files;
}

/**
 * Everything of the user's that a checkpoint must leave byte-identical. The index bytes are read
 * first, before any git command of the test's own could be tempted to refresh them.
 */
export function userState(repo: TestRepo) {
  const indexPath = join(repo.dir, '.git', 'index');
  let index: string | null = null;
  try {
    index = sha(readFileSync(indexPath));
  } catch {}
  const head = repo.tryGit(['rev-parse', '-q', '--verify', 'HEAD']);
  return {
    index,
    indexMtime: index === null ? null : statSync(indexPath).mtimeMs,
    status: repo.git(['status', '--porcelain=v1', '--untracked-files=all', '--ignored']),
    staged: repo.git(['diff', '--cached', '--binary']),
    // Plumbing: `git diff` itself would rewrite a stat-dirty index.
    unstaged: repo.git(['diff-files', '-p', '--binary']),
    stash: repo.git(['stash', 'list', '--format=%H %gs']),
    head: head.code === 0 ? head.stdout : null,
    symbolicHead: repo.git(['symbolic-ref', 'HEAD']),
    refs: repo
      .git(['for-each-ref', '--format=%(refname) %(objectname)'])
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('refs/holdfast/')),
    files: workingFiles(repo.dir),
  };
}

/** Paths in a commit's tree, sorted. */
export function treePaths(repo: TestRepo, commit: string): string[] {
  return repo
    .git(['-c', 'core.quotePath=false', 'ls-tree', '-r', '--name-only', '-z', commit])
    .split('\0')
    .filter((path) => path !== '')
    .sort();
}
