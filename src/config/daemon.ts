/** The daemon's own settings from the config file's `daemon:` section, parsed, with their built-in defaults. */
import { parseDuration } from '../core/duration.js';
import type { Config } from './schema.js';

/** A dozen agents recreated after a reboot start this far apart, not in the same second. */
export const DEFAULT_BOOT_STAGGER_MS = 500;

export interface DaemonSettings {
  bootStaggerMs: number;
}

/**
 * What `daemon run` takes from the config: `daemon.boot-stagger` (a duration, default 500ms). A flag
 * of `daemon run` (`--boot-stagger`) wins over it; a bad value is an `EUSAGE` error naming the key,
 * which `config check` places on its line.
 */
export function daemonSettings(config: Config): DaemonSettings {
  const stagger = config.daemon['boot-stagger'];
  return {
    bootStaggerMs:
      stagger === undefined ? DEFAULT_BOOT_STAGGER_MS : parseDuration(stagger, 'daemon.boot-stagger'),
  };
}
