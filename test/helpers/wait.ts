/**
 * Polls `probe` until `accept` says yes, or fails at the deadline with the last value seen, so a
 * timeout says what the world looked like instead of only "timed out".
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  accept: (value: T) => boolean = Boolean,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      if (accept(last)) return last;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const seen =
        lastError && last === undefined
          ? `error: ${String(lastError)}`
          : JSON.stringify(last)?.slice(0, 2000);
      throw new Error(
        `waitFor ${options.what ?? ''} timed out after ${options.timeoutMs ?? 10_000}ms; last seen: ${seen}`,
      );
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 20));
  }
}
