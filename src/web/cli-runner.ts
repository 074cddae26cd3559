/**
 * The dashboard's actions and detail reads run holdfast's own CLI (argv, never a shell), so a click
 * has the same effect, the same checks and the same errors as the command a user would type, and
 * the dashboard never decides anything itself (docs/architecture.md, "The dashboard").
 */
import { execFile } from 'node:child_process';
import type { ActionName, ActionRequest, ActionResult } from './protocol.js';

export interface CliOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** How to start the CLI: node and the package's bin/holdfast.js. */
export type CliCommand = readonly [string, ...string[]];

const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

export function runCli(
  cli: CliCommand,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<CliOutput> {
  const [bin, ...pre] = cli;
  return new Promise((resolve) => {
    execFile(
      bin,
      [...pre, ...args],
      { env, timeout: timeoutMs, maxBuffer: MAX_OUTPUT_BYTES, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code =
          error === null
            ? 0
            : typeof (error as { code?: unknown }).code === 'number'
              ? Number(error.code)
              : 1;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** The argv of an action, as `holdfast <action> …` takes it; null with why when the request lacks what it needs. */
export function actionArgs(
  name: string,
  action: ActionName,
  body: ActionRequest,
): { args: string[] } | { error: string } {
  switch (action) {
    case 'stop':
    case 'restart':
    case 'checkpoint':
      return { args: [action, name, '--json'] };
    case 'rm':
      return { args: ['rm', name, '--force', '--json'] };
    case 'resume': {
      const prompt = body.prompt?.trim() ? ['--prompt', body.prompt] : [];
      return { args: ['resume', name, ...prompt, '--json'] };
    }
    case 'answer': {
      if (!body.choice) return { error: 'answer needs a choice: yes, always, no or an option number' };
      const message = body.message?.trim() ? ['--message', body.message] : [];
      return { args: ['answer', name, body.choice, ...message, '--json'] };
    }
    case 'send':
      if (!body.text?.trim()) return { error: 'send needs the input text' };
      return { args: ['send', name, body.text, '--json'] };
  }
}

/** A command line as a user would type it, for the page to show beside the outcome. */
export function shownCommand(args: readonly string[]): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", `'\\''`)}'`);
  return ['holdfast', ...args.filter((a) => a !== '--json').map(quote)].join(' ');
}

/** The CLI's `--json` result, or its one-line error (`{"error":{…}}` or the `holdfast: …` line). */
export function actionResult(args: readonly string[], out: CliOutput): ActionResult {
  const command = shownCommand(args);
  const parsed = parseJson(out.stdout);
  const failure = errorMessage(parsed) ?? errorMessage(parseJson(out.stderr));
  if (out.code === 0 && failure === null) {
    return { ok: true, exitCode: 0, command, result: parsed, error: null };
  }
  const line =
    failure ??
    out.stderr
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim() ??
    `exit ${out.code}`;
  return { ok: false, exitCode: out.code, command, result: parsed, error: line };
}

function parseJson(text: string): unknown {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  try {
    return JSON.parse(trimmed);
  } catch {
    return null;
  }
}

function errorMessage(doc: unknown): string | null {
  if (typeof doc !== 'object' || doc === null || !('error' in doc)) return null;
  const error = (doc as { error: unknown }).error;
  if (typeof error !== 'object' || error === null) return null;
  const { message, hint } = error as { message?: unknown; hint?: unknown };
  if (typeof message !== 'string') return null;
  return typeof hint === 'string' && hint !== '' ? `${message} (hint: ${hint})` : message;
}
