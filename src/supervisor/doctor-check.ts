/** One line of `holdfast doctor`: what was checked, how it stands, and what to do about it. */
import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** `skip`: nothing to check here (an agent CLI not installed, no sinks configured); never a failure. */
export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface Check {
  /** What was checked: `tmux`, `agent claude`, `store`… */
  name: string;
  status: CheckStatus;
  /** What was found, one line. */
  detail: string;
  /** What to do about a warn or fail. */
  hint?: string;
  /** What `--fix` did. */
  fixed?: string;
}

export const check = (name: string, status: CheckStatus, detail: string, hint?: string): Check =>
  hint === undefined ? { name, status, detail } : { name, status, detail, hint };

/** The first executable `name` on PATH, or null. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv): string | null {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // not here
    }
  }
  return null;
}

export interface ProgramOutput {
  code: number | null;
  /** stdout and stderr together: some CLIs print their help or version on stderr. */
  text: string;
  timedOut: boolean;
}

/** Runs a program (argv, no shell) with stdin closed and a deadline. */
export function runProgram(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 10_000,
): Promise<ProgramOutput> {
  return new Promise((resolve) => {
    const child = execFile(
      argv[0]!,
      argv.slice(1),
      { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, text: `${stdout}${stderr}`, timedOut: Boolean(error?.killed) });
      },
    );
    child.stdin?.end();
  });
}
