/** When a notification that could not be delivered is tried again. Pure: time is passed in. */

/** The first retry comes this soon after a failed attempt, then twice as late each time… */
export const RETRY_FIRST_MS = 10_000;
/** …up to this apart… */
export const RETRY_MAX_MS = 60 * 60_000;
/** …for this long after the notification was enqueued; then it is `failed`. */
export const RETRY_FOR_MS = 24 * 60 * 60_000;

/** The time of the next attempt after `attempts` failed ones, or null when no more are made. */
export function nextAttemptAt(attempts: number, createdAt: number, now: number): number | null {
  const delay = Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.min(Math.max(attempts - 1, 0), 20));
  const end = createdAt + RETRY_FOR_MS;
  // The last attempt is made at the end of the window, not skipped because a delay overshoots it.
  return now >= end ? null : Math.min(now + delay, end);
}
