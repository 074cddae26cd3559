import { setTimeout as wait } from 'node:timers/promises';

/** Resolves after `ms`, or as soon as `signal` aborts (it never rejects: an early end is no error). */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  wait(ms, undefined, signal ? { signal } : {}).catch(() => undefined);
