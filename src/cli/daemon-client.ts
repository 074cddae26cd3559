import type { Context } from './context.js';

/** Starts the supervisor daemon when none runs (filled in with the daemon). */
export async function ensureDaemon(_ctx: Context): Promise<void> {}
