import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** git with an identity of its own and no user or system config, so tests do not depend on the machine. */
export function git(cwd: string, args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  });
}

/** A repository with one commit (README.md and .gitignore ignoring *.log). */
export function makeRepo(dir: string): string {
  mkdirSync(dir, { recursive: true });
  git(dir, ['init', '-q', '-b', 'main']);
  writeFileSync(join(dir, 'README.md'), 'hello\n');
  writeFileSync(join(dir, '.gitignore'), '*.log\n');
  git(dir, ['add', '.']);
  git(dir, ['commit', '-q', '-m', 'initial']);
  return dir;
}

/** Everything a checkpoint must leave exactly as it was. */
export interface RepoState {
  status: string;
  stash: string;
  cached: string;
  head: string;
  branch: string;
}

export function repoState(dir: string): RepoState {
  return {
    status: git(dir, ['status', '--porcelain=v1', '--untracked-files=all']),
    stash: git(dir, ['stash', 'list']),
    cached: git(dir, ['diff', '--cached']),
    head: git(dir, ['rev-parse', 'HEAD']),
    branch: git(dir, ['symbolic-ref', 'HEAD']),
  };
}
