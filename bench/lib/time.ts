/** Wall clock in epoch milliseconds with sub-millisecond resolution (comparable with the store's `Date.now()`). */
export const nowMs = (): number => performance.timeOrigin + performance.now();

const cell = new Int32Array(new SharedArrayBuffer(4));

/** Blocks this thread without spinning: the bench polls synchronously so its own event loop adds no delay. */
export function sleepSync(ms: number): void {
  Atomics.wait(cell, 0, 0, ms);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class TimeoutError extends Error {}

/** Calls `probe` every `intervalMs` (blocking) until it returns a value other than undefined. */
export function pollSync<T>(
  what: string,
  probe: () => T | undefined,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): T {
  const deadline = nowMs() + (options.timeoutMs ?? 10_000);
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (nowMs() > deadline) throw new TimeoutError(`timed out waiting for ${what}`);
    sleepSync(options.intervalMs ?? 1);
  }
}

/** The async variant, for waits that run child processes. */
export async function poll<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = nowMs() + (options.timeoutMs ?? 30_000);
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (nowMs() > deadline) throw new TimeoutError(`timed out waiting for ${what}`);
    await sleep(options.intervalMs ?? 50);
  }
}
