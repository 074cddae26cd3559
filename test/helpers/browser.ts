/**
 * Real-browser tests of the dashboard: Debian's chromium driven by playwright-core (no browser
 * download), and `holdfast dashboard` started in the test's home and stopped by its pid.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { type Browser, type BrowserContext, chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { CHROMIUM, CHROMIUM_ARGS } from './chromium.js';
import { BIN, type Home } from './home.js';
import { waitFor } from './wait.js';

export interface DashboardProcess {
  /** The printed URL, with its token. */
  url: string;
  origin: string;
  token: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Starts `holdfast dashboard` in the home and waits for the URL it prints. */
export async function startDashboard(h: Home, args: string[] = ['--port', '0']): Promise<DashboardProcess> {
  const child = spawn(process.execPath, [BIN, 'dashboard', ...args], {
    env: h.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (err += String(d)));
  const line = await waitFor(
    () => {
      if (child.exitCode !== null) throw new Error(`dashboard exited ${child.exitCode}: ${err}`);
      return /holdfast dashboard: (http:\/\/\S+)\n/.exec(out)?.[1] ?? null;
    },
    (url) => url !== null,
    { what: 'the dashboard URL', timeoutMs: 20_000 },
  );
  const url = new URL(line!);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await waitFor(() => child.exitCode !== null || child.signalCode !== null, Boolean, {
      what: 'the dashboard to exit',
    });
    running.delete(child);
  };
  return {
    url: url.toString(),
    origin: url.origin,
    token: url.searchParams.get('token')!,
    port: Number(url.port),
    pid: child.pid!,
    stop,
  };
}

/** Every dashboard a test started is killed after it (call after `useHome`, so it runs first). */
export function useDashboards(): void {
  afterEach(() => {
    for (const child of [...running]) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      running.delete(child);
    }
  });
}

/**
 * One chromium for the file, a fresh context (cookies, storage) per test, and every dashboard a
 * test started stopped after it.
 */
export function useBrowser(): () => Promise<BrowserContext> {
  let browser: Browser | null = null;
  const contexts: BrowserContext[] = [];
  beforeAll(async () => {
    // playwright gives the browser a fresh profile of its own, removed when it closes.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  useDashboards();
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return async () => {
    const context = await browser!.newContext({ viewport: { width: 1280, height: 860 } });
    contexts.push(context);
    return context;
  };
}
