/**
 * Every error a user can see carries a stable `code` (scripts match on it in `--json` output),
 * a one-line message, and optionally a hint that says what to do next.
 */
export type ErrorCode =
  | 'EUSAGE'
  | 'EBADNAME'
  | 'ENOTASK'
  | 'EDUPLICATE'
  | 'ENOCWD'
  | 'ENOCOMMAND'
  | 'ENOTMUX'
  | 'ETMUXVERSION'
  | 'ETMUX'
  | 'ESOCKETPATH'
  | 'ESTORE'
  | 'ENOTTY'
  | 'ELIVE'
  | 'EDAEMON'
  | 'ESTATE'
  | 'EAGENT'
  | 'EGIT'
  | 'EWORKTREE'
  | 'EMISSION'
  | 'EUNSAFEPATH'
  | 'EDISKFULL'
  | 'EINPUT'
  | 'ECONFIG';

export class HoldfastError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HoldfastError';
    this.code = code;
    this.hint = options.hint;
  }
}
