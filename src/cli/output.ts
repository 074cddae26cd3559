import { HoldfastError } from '../core/errors.js';
import { fromTmuxError } from '../supervisor/tmux-errors.js';
import { errorDocument, resultDocument } from './envelope.js';

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

  /** Whether stdout ends a line: raw bytes may stop mid-line, and a line of ours must not join them. */
  private atLineStart = true;

  /** The command's result: JSON when asked for, else the human rendering. */
  result(value: unknown, human?: () => string): void {
    if (this.json) this.stdout.write(resultDocument(value));
    else if (human) this.write(human());
  }

  /** Whole lines, always starting on a line of their own. */
  write(text: string): void {
    if (text.length === 0) return;
    this.stdout.write(`${this.atLineStart ? '' : '\n'}${text}${text.endsWith('\n') ? '' : '\n'}`);
    this.atLineStart = true;
  }

  /** A warning for people, always on stderr: `holdfast: warning: …` and an optional `hint: …`. */
  warn(text: string, hint?: string): void {
    this.stderr.write(`holdfast: warning: ${text}\n`);
    if (hint) this.stderr.write(`hint: ${hint}\n`);
  }

  raw(chunk: Uint8Array | string): void {
    if (chunk.length === 0) return;
    this.stdout.write(chunk);
    const last = typeof chunk === 'string' ? chunk.charCodeAt(chunk.length - 1) : chunk[chunk.length - 1];
    this.atLineStart = last === 0x0a;
  }

  /** One of several outcomes went wrong: its line (and hint) on stderr; stdout is left to the result. */
  problem(error: HoldfastError): void {
    this.stderr.write(`holdfast: ${error.message}\n`);
    if (error.hint) this.stderr.write(`hint: ${error.hint}\n`);
  }

  error(error: unknown): void {
    const known = fromTmuxError(error);
    const e =
      known instanceof HoldfastError
        ? known
        : new HoldfastError('ESTATE', known instanceof Error ? known.message : String(known));
    this.stderr.write(`holdfast: ${e.message}\n`);
    if (e.hint && !this.json) this.stderr.write(`hint: ${e.hint}\n`);
    if (this.json) this.stdout.write(errorDocument(e));
  }
}
