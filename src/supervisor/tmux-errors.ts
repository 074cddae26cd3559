import { HoldfastError } from '../core/errors.js';
import { TmuxMissingError, TmuxVersionError } from '../tmux/errors.js';

/**
 * tmux/ knows nothing of holdfast's error codes; a tmux that cannot be used at all is the user's to
 * fix, so it becomes a HoldfastError with a hint. Anything else is returned as it is.
 */
export function fromTmuxError(error: unknown): unknown {
  if (error instanceof TmuxMissingError)
    return new HoldfastError('ENOTMUX', error.message, {
      hint: 'install it: apt-get install -y tmux (holdfast needs tmux 3.2 or newer)',
      cause: error,
    });
  if (error instanceof TmuxVersionError)
    return new HoldfastError('ETMUXVERSION', error.message, {
      hint: 'install a newer tmux (Debian 12 ships 3.3a)',
      cause: error,
    });
  return error;
}
