import { HoldfastError } from '../core/errors.js';

/**
 * Where command results go. Data goes to stdout (one JSON document with `--json`); notes for
 * people go to stderr when stdout must stay parseable.
 */
export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: NodeJS.WritableStream = process.stdout,
    private readonly stderr: NodeJS.WritableStream = process.stderr,
  ) {}

  /** The command's result: JSON when asked for, else the human rendering. */
  result(value: unknown, human?: () => string): void {
    if (this.json) this.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    else if (human) this.write(human());
  }

  /** Text for people, kept off stdout in JSON mode. */
  note(text: string): void {
    (this.json ? this.stderr : this.stdout).write(text.endsWith('\n') ? text : `${text}\n`);
  }

  write(text: string): void {
    if (text.length === 0) return;
    this.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A warning for people, always on stderr: `holdfast: warning: …` and an optional `hint: …`. */
  warn(text: string, hint?: string): void {
    this.stderr.write(`holdfast: warning: ${text}\n`);
    if (hint) this.stderr.write(`hint: ${hint}\n`);
  }

  raw(chunk: Uint8Array | string): void {
    this.stdout.write(chunk);
  }

  error(error: unknown): void {
    const e =
      error instanceof HoldfastError
        ? error
        : new HoldfastError('ESTATE', error instanceof Error ? error.message : String(error));
    this.stderr.write(`holdfast: ${e.message}\n`);
    if (e.hint && !this.json) this.stderr.write(`hint: ${e.hint}\n`);
    if (this.json)
      this.stdout.write(
        `${JSON.stringify({ error: { code: e.code, message: e.message, hint: e.hint ?? null } })}\n`,
      );
  }
}
