import type { Command } from 'commander';
import { type ErrorCode, HoldfastError } from '../core/errors.js';
import { makePaths } from '../paths.js';
import { diskFullError } from '../store/disk-full.js';
import { CONFIGURED } from './configured.js';
import { Context } from './context.js';
import { getUserUmask } from './user-umask.js';

export type Handler<O> = (
  ctx: Context,
  args: string[],
  options: O,
  command: Command,
) => Promise<number | undefined> | number | undefined;

/** Errors in what the user typed, not in what happened: these exit 2, as commander's own do. */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set(['EUSAGE', 'EBADNAME']);

export function exitCodeOf(error: unknown): number {
  return error instanceof HoldfastError && USAGE_CODES.has(error.code) ? 2 : 1;
}

/**
 * Wraps a command's handler: builds its context, turns any error into a one-line message (and a
 * JSON error document with --json), sets the exit code (2 for a usage error), and closes the store.
 */
export function action<O extends object>(handler: Handler<O>) {
  return async function (this: Command): Promise<void> {
    const options = this.opts() as O & { json?: boolean };
    const ctx = new Context({ json: Boolean(options.json), userUmask: getUserUmask() });
    try {
      const body = CONFIGURED.has(this)
        ? (await import('./config-defaults.js')).withConfigDefaults(this, handler)
        : handler;
      const code = await body(ctx, this.args, options, this);
      process.exitCode = code ?? 0;
    } catch (caught) {
      const error = diskFullError(caught, ctx.home, makePaths(ctx.home).store) ?? caught;
      ctx.out.error(error);
      process.exitCode = exitCodeOf(error);
    } finally {
      ctx.close();
    }
  };
}
