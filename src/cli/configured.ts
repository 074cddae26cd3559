import type { Command } from 'commander';

/**
 * The commands that take the config's defaults (marked by config-defaults.ts's
 * takesConfigDefaults). A module of its own so that `action` can tell without loading the config's
 * parsing, yaml included, which other commands never need (issue 14).
 */
export const CONFIGURED = new WeakSet<Command>();
