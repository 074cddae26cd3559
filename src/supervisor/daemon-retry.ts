/** How the daemon waits between failed steps, and how it says what failed (daemon-start.ts, host.ts). */

const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5000;

/** The wait before the `failures`-th retry in a row: doubling from 100 ms, at most 5 s. */
export function retryDelay(failures: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.min(Math.max(failures - 1, 0), 16));
}

export function errorText(error: unknown, stack = false): string {
  if (!(error instanceof Error)) return String(error);
  return stack ? (error.stack ?? error.message) : error.message;
}
