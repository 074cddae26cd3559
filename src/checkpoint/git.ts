import { execFile } from 'node:child_process';
import { isAbsolute, resolve } from 'node:path';
import { HoldfastError } from '../core/errors.js';

/**
 * Variables that point git at another repository, index or object store (`git rev-parse
 * --local-env-vars`). A daemon started from inside a git hook or an alias would otherwise
 * snapshot the wrong place; every call here names its repository with `-C`.
 */
const LOCAL_GIT_ENV = [
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_CONFIG',
  'GIT_CONFIG_PARAMETERS',
  'GIT_CONFIG_COUNT',
  'GIT_OBJECT_DIRECTORY',
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_IMPLICIT_WORK_TREE',
  'GIT_GRAFT_FILE',
  'GIT_INDEX_FILE',
  'GIT_NO_REPLACE_OBJECTS',
  'GIT_REPLACE_REF_BASE',
  'GIT_PREFIX',
  'GIT_INTERNAL_SUPER_PREFIX',
  'GIT_SHALLOW_FILE',
  'GIT_COMMON_DIR',
  'GIT_QUARANTINE_PATH',
  'GIT_NAMESPACE',
];

/**
 * Settings for every call: never run the user's hooks (`reference-transaction`, `post-checkout`),
 * never rewrite a split index's shared file, print paths as they are, and keep `git log` output
 * free of signature checks.
 */
const CONFIG = [
  '-c',
  'core.hooksPath=/dev/null',
  '-c',
  'core.splitIndex=false',
  '-c',
  'core.quotePath=false',
  '-c',
  'log.showSignature=false',
  '-c',
  'advice.addEmbeddedRepo=false',
];

/** The identity of every checkpoint commit, so it works where the user configured none. */
export const HOLDFAST_IDENTITY = {
  GIT_AUTHOR_NAME: 'holdfast',
  GIT_AUTHOR_EMAIL: 'holdfast@localhost',
  GIT_COMMITTER_NAME: 'holdfast',
  GIT_COMMITTER_EMAIL: 'holdfast@localhost',
} as const;

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface GitCall {
  /** Directory passed as `git -C`. */
  cwd: string;
  /** Extra variables on top of the cleaned process environment. */
  env?: Record<string, string>;
  input?: string;
  /**
   * The umask (octal) git creates files with, when not holdfast's own 077: a worktree's checkout
   * belongs to the user, and node can set no umask for one child only. A fixed `sh` line sets it and
   * execs git with the arguments as they are, so no shell parses any of them.
   */
  umask?: string;
}

function gitEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of LOCAL_GIT_ENV) delete env[name];
  // Read-only commands (status, diff) must not refresh and rewrite the user's index.
  env.GIT_OPTIONAL_LOCKS = '0';
  env.GIT_TERMINAL_PROMPT = '0';
  // Messages in English so that "not a git repository" can be recognised.
  env.LC_ALL = 'C';
  return { ...env, ...extra };
}

/** Runs `git -C <cwd> …args` (argv only, never a shell); resolves with its exit code, whatever it is. */
export function runGit(args: readonly string[], call: GitCall): Promise<GitResult> {
  return new Promise((resolvePromise, reject) => {
    const argv = ['-C', call.cwd, ...CONFIG, ...args];
    if (call.umask !== undefined && !/^[0-7]{1,4}$/.test(call.umask)) {
      return reject(new HoldfastError('EGIT', `not a umask: ${JSON.stringify(call.umask)}`));
    }
    const child = execFile(
      call.umask === undefined ? 'git' : '/bin/sh',
      call.umask === undefined
        ? argv
        : ['-c', 'umask "$1" && shift && exec git "$@"', 'sh', call.umask, ...argv],
      { env: gitEnv(call.env), maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (!error) return resolvePromise({ code: 0, stdout, stderr });
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          return reject(
            new HoldfastError('EGIT', 'git is not installed (no "git" on PATH)', {
              hint: 'install it: apt-get install -y git',
              cause: error,
            }),
          );
        }
        if (typeof error.code !== 'number') {
          return reject(
            new HoldfastError('EGIT', `git ${args[0] ?? ''} failed: ${error.message}`, { cause: error }),
          );
        }
        resolvePromise({ code: error.code, stdout, stderr });
      },
    );
    child.stdin?.on('error', () => {});
    child.stdin?.end(call.input ?? '');
  });
}

/** The last lines git wrote to stderr, on one line. */
export function stderrTail(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  return lines.slice(-3).join(' / ') || '(no message)';
}

/** Like `runGit`, but a non-zero exit is `HoldfastError('EGIT', '<what>: <stderr tail>')`. */
export async function git(what: string, args: readonly string[], call: GitCall): Promise<string> {
  const result = await runGit(args, call);
  if (result.code !== 0) throw gitError(what, result);
  return result.stdout;
}

export function gitError(what: string, result: GitResult): HoldfastError {
  return new HoldfastError('EGIT', `${what}: ${stderrTail(result.stderr)}`);
}

/** A commit (or any object) name, or null when git cannot resolve it. */
export async function revParse(top: string, rev: string): Promise<string | null> {
  if (rev.startsWith('-')) return null;
  const result = await runGit(['rev-parse', '-q', '--verify', rev], { cwd: top });
  return result.code === 0 ? result.stdout.trim() : null;
}

export interface WorkTree {
  /** Absolute path of the work tree's top directory. */
  top: string;
}

const NOT_A_WORK_TREE = /not a git repository|must be run in a work tree|cannot change to/i;

/**
 * The work tree `cwd` lies in, or null outside one (also inside a `.git` directory, in a bare
 * repository, or when `cwd` does not exist). Other failures, such as git refusing a repository
 * owned by someone else, are errors.
 */
export async function isGitWorkTree(cwd: string): Promise<WorkTree | null> {
  const result = await runGit(['rev-parse', '--is-inside-work-tree', '--show-toplevel'], { cwd });
  if (result.code !== 0) {
    if (NOT_A_WORK_TREE.test(result.stderr)) return null;
    throw gitError(`cannot inspect ${cwd}`, result);
  }
  const [inside, top] = result.stdout.split('\n');
  if (inside !== 'true' || !top) return null;
  return { top };
}

/** A path git printed relative to `top` (as `--git-path` does), made absolute. */
export function absoluteFrom(top: string, path: string): string {
  return isAbsolute(path) ? path : resolve(top, path);
}
