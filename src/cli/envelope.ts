import type { HoldfastError } from '../core/errors.js';

/**
 * The one shape of `--json` output (README, JSON contract): a command's result is the document
 * itself; a failure is `{"error":{"code","message","hint"}}`. Every JSON holdfast prints comes from here.
 */
export interface ErrorFields {
  code: string;
  message: string;
  hint: string | null;
}

export function errorFields(error: HoldfastError): ErrorFields {
  return { code: error.code, message: error.message, hint: error.hint ?? null };
}

/** A command's result: one indented document. */
export function resultDocument(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** A command's failure: one line. */
export function errorDocument(error: HoldfastError): string {
  return `${JSON.stringify({ error: errorFields(error) })}\n`;
}

/** One item of a stream (`events --follow --json`): one line each, so a reader can act per line. */
export function streamLine(value: unknown): string {
  return JSON.stringify(value);
}
