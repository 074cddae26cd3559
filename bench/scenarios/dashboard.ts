import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { CHROMIUM, CHROMIUM_ARGS } from '../../test/helpers/chromium.js';
import type { Fleet } from '../lib/fleet.js';
import { HOLDFAST_BIN } from '../lib/holdfast.js';
import { isAlive, killQuietly, rssKiB } from '../lib/proc.js';
import type { Scenario, ScenarioResult } from '../lib/scenario.js';
import { percentile } from '../lib/stats.js';
import { nowMs, poll, sleep } from '../lib/time.js';

/**
 * The dashboard (issue 12): first meaningful paint of the overview with the fleet's 200 tasks, and
 * the page's memory over a long window with an update every second. There is no comparable peer
 * (pm2's own `pm2 monit` is a terminal UI), so the figures are absolute; the same-run reference is
 * the floor the browser itself sets: a static 200-row table from a local node http server.
 */

const URL_LINE = /^holdfast dashboard: (http:\/\/\S+)$/m;
const PAINT_TIMEOUT_MS = 30_000;
/** The task whose state flips every second during the memory window: runs 1 s, exits, waits 1 s. */
const FLIPPER = 'zz-flip';
const FLIPPER_ARGS = [
  'run',
  '--name',
  FLIPPER,
  '--restart',
  'always',
  '--backoff',
  '1s..1s',
  // Never trips the breaker: a crash-looping task would stop flipping.
  '--crash-loop',
  '1000000/1m',
  '--',
  'sh',
  '-c',
  'sleep 1; exit 1',
];

interface PaintSample {
  /** `holdfast:rows` (or the floor's mark): navigation start → the rows in the DOM, ms. */
  rows: number;
  /** The mark's frame on screen: the first task after the next animation frame's rendering, ms. */
  rowsPainted: number;
  /** first-contentful-paint, ms from navigation start. */
  fcp: number;
  /** The navigation's own timings (redirect included for holdfast: the URL carries the token). */
  responseEnd: number;
  domContentLoaded: number;
}

interface MemorySample {
  /** Seconds since the page was ready. */
  t: number;
  /** JSHeapUsedSize after a forced GC, bytes. */
  heap: number;
  heapTotal: number;
  nodes: number;
  listeners: number;
  /** The dashboard server's VmRSS, KiB. */
  serverRssKiB: number | null;
  /** `tasks` messages the page had received by then. */
  tasksMessages: number;
  /** The flipper's row state in the DOM at that moment. */
  flipState: string | null;
}

const round1 = (v: number) => Math.round(v * 10) / 10;
const loads = () => loadavg().map((l) => Math.round(l * 100) / 100);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MiB`;

/** The static reference: 200 rows with the columns an overview shows, marked once they are parsed. */
function floorHtml(names: readonly string[]): string {
  const rows = names
    .map(
      (n, i) =>
        `<tr data-task="${n}" data-state="running"><td><a href="/task/${n}">${n}</a></td><td>running</td>` +
        `<td>${i % 7}</td><td>${(i * 37) % 600}s</td><td>sleep 600</td><td>/tmp/hfb</td></tr>`,
    )
    .join('\n');
  return (
    '<!doctype html><html><head><meta charset="utf-8"><title>floor</title>' +
    '<style>body{font:14px system-ui,sans-serif}table{border-collapse:collapse}td{padding:2px 8px;border-bottom:1px solid #ddd}</style>' +
    '</head><body><h1>tasks</h1><table><thead><tr><th>name</th><th>state</th><th>restarts</th><th>uptime</th>' +
    `<th>command</th><th>cwd</th></tr></thead><tbody>\n${rows}\n</tbody></table>` +
    "<script>performance.mark('floor:rows')</script></body></html>"
  );
}

async function startFloor(names: readonly string[]): Promise<{ url: string; server: Server }> {
  const html = floorHtml(names);
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    res.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

/** `holdfast dashboard --port 0` in the fleet's home; resolves once it printed its URL. */
async function startDashboard(fleet: Fleet): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [HOLDFAST_BIN, 'dashboard', '--port', '0'], {
    env: fleet.hf.env,
    cwd: fleet.hf.dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString('utf8');
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString('utf8');
  });
  try {
    const url = await poll(
      'the dashboard URL on stdout',
      () => {
        if (child.exitCode !== null || child.signalCode !== null)
          throw new Error(`holdfast dashboard exited ${child.exitCode ?? child.signalCode}: ${err.trim()}`);
        return URL_LINE.exec(out)?.[1];
      },
      { timeoutMs: 30_000, intervalMs: 20 },
    );
    return { child, url };
  } catch (error) {
    stopDashboard(child);
    throw error;
  }
}

/** By its pid: SIGTERM (it ends on Ctrl-C), then SIGKILL if it lingers. */
function stopDashboard(child: ChildProcess): Promise<void> | void {
  const pid = child.pid;
  if (pid === undefined || !isAlive(pid)) return;
  killQuietly(pid, 'SIGTERM');
  return poll('the dashboard to end', () => (isAlive(pid) ? undefined : true), {
    timeoutMs: 5000,
    intervalMs: 20,
  }).then(
    () => undefined,
    () => killQuietly(pid),
  );
}

/**
 * Injected before the page's own scripts (an init script, which the page's CSP does not govern):
 * when the mark appears, the time just after the frame that follows it has been rendered.
 */
const paintedScript = (mark: string) => `
  new PerformanceObserver((list, observer) => {
    if (!list.getEntries().some((e) => e.name === ${JSON.stringify(mark)})) return;
    observer.disconnect();
    requestAnimationFrame(() => setTimeout(() => { globalThis.__rowsPainted = performance.now(); }, 0));
  }).observe({ type: 'mark', buffered: true });
`;

/** What the bench reads of the page's globals (its tsconfig has no DOM library). */
interface PageGlobals {
  __rowsPainted?: number;
  document: { querySelectorAll(selector: string): { length: number } };
  performance: { getEntriesByType(type: string): unknown[] };
}
interface NavigationTimes {
  responseEnd: number;
  domContentLoadedEventEnd: number;
}

/** Opens `url` in a fresh context (nothing cached, no cookie) and reads the paint figures. */
async function paintOnce(
  browser: Browser,
  url: string,
  mark: string,
  expectRows: number,
): Promise<PaintSample> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.addInitScript(paintedScript(mark));
    await page.goto(url, { waitUntil: 'commit', timeout: PAINT_TIMEOUT_MS });
    // Polled from here with evaluate (a CDP call, outside the page's CSP): waitForFunction evaluates
    // its predicate with eval, which the dashboard's CSP forbids.
    const sample = await poll(
      `${mark} and first-contentful-paint`,
      () =>
        page.evaluate((name) => {
          const g = globalThis as unknown as PageGlobals;
          const fcp = performance.getEntriesByName('first-contentful-paint')[0];
          const rows = performance.getEntriesByName(name)[0];
          if (typeof g.__rowsPainted !== 'number' || !fcp || !rows) return undefined;
          const nav = g.performance.getEntriesByType('navigation')[0] as NavigationTimes | undefined;
          return {
            rows: rows.startTime,
            rowsPainted: g.__rowsPainted,
            fcp: fcp.startTime,
            responseEnd: nav ? nav.responseEnd : -1,
            domContentLoaded: nav ? nav.domContentLoadedEventEnd : -1,
            count: g.document.querySelectorAll('tr[data-task]').length,
          };
        }, mark),
      { timeoutMs: PAINT_TIMEOUT_MS, intervalMs: 20 },
    );
    // The mark must mean what it says: every task's row is there.
    if (sample.count < expectRows)
      throw new Error(`${url}: ${sample.count} rows of ${expectRows} at the mark`);
    return {
      rows: round1(sample.rows),
      rowsPainted: round1(sample.rowsPainted),
      fcp: round1(sample.fcp),
      responseEnd: round1(sample.responseEnd),
      domContentLoaded: round1(sample.domContentLoaded),
    };
  } finally {
    await context.close();
  }
}

/** Least-squares slope of y over x. */
function slope(points: readonly { x: number; y: number }[]): number | null {
  if (points.length < 2) return null;
  const mx = points.reduce((s, p) => s + p.x, 0) / points.length;
  const my = points.reduce((s, p) => s + p.y, 0) / points.length;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  const sxy = points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0);
  return sxx === 0 ? null : sxy / sxx;
}

const p50p95 = (v: readonly number[], digits = 0) =>
  `${percentile(v, 0.5).toFixed(digits)} / ${percentile(v, 0.95).toFixed(digits)} ms`;

async function measurePaint(
  ctx: Parameters<Scenario['run']>[0],
  browser: Browser,
  dashboardUrl: string,
  fleet: Fleet,
) {
  const reps = ctx.quick ? 5 : 20;
  const warmup = 1;
  const names = Array.from({ length: fleet.size }, (_, i) => `t${String(i).padStart(3, '0')}`);
  const floor = await startFloor(names);
  try {
    ctx.log(`dashboard: first paint, ${reps} × (holdfast overview, static table), ${warmup} warm-up`);
    const hf: PaintSample[] = [];
    const fl: PaintSample[] = [];
    for (let i = 0; i < reps + warmup; i++) {
      // Alternately, so that drift in the machine's load touches both alike.
      const a = await paintOnce(browser, dashboardUrl, 'holdfast:rows', fleet.size);
      const b = await paintOnce(browser, floor.url, 'floor:rows', fleet.size);
      if (i < warmup) continue;
      hf.push(a);
      fl.push(b);
    }
    return { reps, warmup, holdfast: hf, floor: fl };
  } finally {
    await new Promise((resolve) => floor.server.close(resolve));
  }
}

async function measureMemory(
  ctx: Parameters<Scenario['run']>[0],
  browser: Browser,
  dashboardUrl: string,
  serverPid: number,
) {
  const minutes = ctx.dashboardMinutes ?? (ctx.quick ? 2 : 10);
  const seconds = minutes * 60;
  // About 120 samples whatever the length, at least one every 10 s.
  const interval = Math.max(10, Math.round(seconds / 120));
  const context: BrowserContext = await browser.newContext();
  try {
    const page: Page = await context.newPage();
    const counts: Record<string, number> = {};
    let upserts = 0;
    page.on('websocket', (ws) =>
      ws.on('framereceived', ({ payload }) => {
        if (typeof payload !== 'string') return;
        try {
          const msg = JSON.parse(payload) as { type?: string; upsert?: unknown[] };
          const type = msg.type ?? '?';
          counts[type] = (counts[type] ?? 0) + 1;
          if (type === 'tasks') upserts += msg.upsert?.length ?? 0;
        } catch {
          counts['not json'] = (counts['not json'] ?? 0) + 1;
        }
      }),
    );
    await page.goto(dashboardUrl, { waitUntil: 'commit', timeout: PAINT_TIMEOUT_MS });
    await page.waitForSelector('body[data-ready="true"]', { state: 'attached', timeout: PAINT_TIMEOUT_MS });
    await page.waitForSelector(`tr[data-task="${FLIPPER}"]`, { timeout: PAINT_TIMEOUT_MS });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const loadStart = loads();
    ctx.log(
      `dashboard: memory, ${minutes} min with ${FLIPPER} flipping every second, a sample every ${interval} s ` +
        `(load ${loadStart.join(' ')})`,
    );
    const samples: MemorySample[] = [];
    const start = nowMs();
    for (let k = 0; ; k++) {
      const due = start + k * interval * 1000;
      if (due - start > seconds * 1000) break;
      await sleep(due - nowMs());
      await cdp.send('HeapProfiler.collectGarbage');
      const { metrics } = await cdp.send('Performance.getMetrics');
      const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? Number.NaN;
      const flipState = await page.locator(`tr[data-task="${FLIPPER}"]`).getAttribute('data-state');
      const sample: MemorySample = {
        t: Math.round((nowMs() - start) / 100) / 10,
        heap: metric('JSHeapUsedSize'),
        heapTotal: metric('JSHeapTotalSize'),
        nodes: metric('Nodes'),
        listeners: metric('JSEventListeners'),
        serverRssKiB: rssKiB(serverPid),
        tasksMessages: counts.tasks ?? 0,
        flipState,
      };
      samples.push(sample);
      if (k % Math.max(1, Math.round(60 / interval)) === 0)
        ctx.log(
          `dashboard: ${(sample.t / 60).toFixed(1)} min: heap ${mib(sample.heap)}, ${sample.nodes} nodes, ` +
            `server RSS ${((sample.serverRssKiB ?? 0) / 1024).toFixed(1)} MiB, ${sample.tasksMessages} tasks messages`,
        );
      if (sample.serverRssKiB === null)
        throw new Error('the dashboard server ended during the memory window');
    }
    const loadEnd = loads();
    const elapsed = (nowMs() - start) / 1000;
    const first = samples[0]!;
    const last = samples.at(-1)!;
    const tail = samples.filter((s) => s.t >= 60);
    const heapSlope = slope(tail.map((s) => ({ x: s.t / 60, y: s.heap / 1024 })));
    const nodeSlope = slope(tail.map((s) => ({ x: s.t / 60, y: s.nodes })));
    const rssSlope = slope(tail.map((s) => ({ x: s.t / 60, y: s.serverRssKiB ?? 0 })));
    const messages = last.tasksMessages - first.tasksMessages;
    const statesSeen = [...new Set(samples.map((s) => s.flipState))];
    // The window measures nothing unless the page really was updated about once a second.
    if (messages < elapsed * 0.5)
      throw new Error(`only ${messages} tasks messages in ${elapsed.toFixed(0)} s: the page was not updated`);
    return {
      minutes,
      intervalS: interval,
      elapsedS: Math.round(elapsed),
      loadStart,
      loadEnd,
      messages: { ...counts },
      tasksMessagesInWindow: messages,
      upserts,
      flipStatesSeen: statesSeen,
      heapStart: first.heap,
      heapEnd: last.heap,
      heapMax: Math.max(...samples.map((s) => s.heap)),
      heapSlopeKBPerMin: heapSlope === null ? null : Math.round(heapSlope * 10) / 10,
      nodesStart: first.nodes,
      nodesEnd: last.nodes,
      nodeSlopePerMin: nodeSlope === null ? null : Math.round(nodeSlope * 10) / 10,
      serverRssStartKiB: first.serverRssKiB,
      serverRssEndKiB: last.serverRssKiB,
      serverRssSlopeKiBPerMin: rssSlope === null ? null : Math.round(rssSlope * 10) / 10,
      samples,
    };
  } finally {
    await context.close();
  }
}

export const dashboard: Scenario = {
  name: 'dashboard',
  title: 'web dashboard: first paint with 200 tasks, page memory with an update every second',
  usesFleet: true,
  async run(ctx): Promise<ScenarioResult> {
    const fleet = await ctx.fleet();
    ctx.log('dashboard: starting `holdfast dashboard --port 0` in the fleet home');
    const { child, url } = await startDashboard(fleet);
    const serverPid = child.pid!;
    let browser: Browser | null = null;
    let flipper = false;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
      const paint = await measurePaint(ctx, browser, url, fleet);
      // On stderr now too: a long memory window follows before the table is printed.
      ctx.log(
        `dashboard: holdfast:rows ${p50p95(paint.holdfast.map((s) => s.rows))} (p50 / p95), ` +
          `static table ${p50p95(paint.floor.map((s) => s.rows))}`,
      );

      await fleet.hf.cliOk(FLIPPER_ARGS);
      flipper = true;
      const restartsBefore = fleet.hf.lastRun(fleet.hf.taskId(FLIPPER))?.n ?? 0;
      const memory = await measureMemory(ctx, browser, url, serverPid);
      const restarts = (fleet.hf.lastRun(fleet.hf.taskId(FLIPPER))?.n ?? 0) - restartsBefore;

      const rows = paint.holdfast.map((s) => s.rows);
      const floorRows = paint.floor.map((s) => s.rows);
      const painted = paint.holdfast.map((s) => s.rowsPainted);
      const floorPainted = paint.floor.map((s) => s.rowsPainted);
      const fcp = paint.holdfast.map((s) => s.fcp);
      const floorFcp = paint.floor.map((s) => s.fcp);
      const ratio = (a: readonly number[], b: readonly number[]) =>
        `×${(percentile(a, 0.5) / percentile(b, 0.5)).toFixed(1)} at p50`;
      const kib = (v: number | null) => (v === null ? 'n/a' : `${(v / 1024).toFixed(1)} MiB`);
      const signed = (v: number | null, unit: string) =>
        v === null ? 'n/a' : `${v >= 0 ? '+' : ''}${v.toFixed(1)} ${unit}`;
      const m = memory;
      return {
        rows: [
          {
            metric: `first meaningful paint: navigation start → ${fleet.size} rows in the DOM (holdfast:rows), p50 / p95, n=${paint.reps} (target ≤ 300 ms)`,
            holdfast: p50p95(rows),
            peer: `static ${fleet.size}-row table, node http`,
            peerValue: `${p50p95(floorRows)} (${ratio(rows, floorRows)})`,
          },
          {
            metric: '…those rows on screen (the next frame rendered after the mark), p50 / p95',
            holdfast: p50p95(painted),
            peer: 'static table',
            peerValue: `${p50p95(floorPainted)} (${ratio(painted, floorPainted)})`,
          },
          {
            metric: 'first contentful paint, p50 / p95',
            holdfast: p50p95(fcp),
            peer: 'static table',
            peerValue: `${p50p95(floorFcp)} (${ratio(fcp, floorFcp)})`,
          },
          {
            metric: `page JS heap after GC, start → end (max), ${m.minutes} min, ${m.tasksMessagesInWindow} \`tasks\` messages (${(m.tasksMessagesInWindow / m.elapsedS).toFixed(2)}/s, ${restarts} restarts)`,
            holdfast: `${mib(m.heapStart)} → ${mib(m.heapEnd)} (${mib(m.heapMax)})`,
            peer: '',
            peerValue: '',
          },
          {
            metric: 'page JS heap slope after the first minute (least squares)',
            holdfast: signed(m.heapSlopeKBPerMin, 'KB/min'),
            peer: '',
            peerValue: '',
          },
          {
            metric: 'page DOM nodes, start → end',
            holdfast: `${m.nodesStart} → ${m.nodesEnd}`,
            peer: '',
            peerValue: '',
          },
          {
            metric: 'dashboard server RSS, start → end (slope after minute 1)',
            holdfast: `${kib(m.serverRssStartKiB)} → ${kib(m.serverRssEndKiB)} (${signed(m.serverRssSlopeKiBPerMin, 'KiB/min')})`,
            peer: '',
            peerValue: '',
          },
          {
            metric: 'load average (1/5/15 min), start → end of the memory window',
            holdfast: `${m.loadStart.join(' ')} → ${m.loadEnd.join(' ')}`,
            peer: '',
            peerValue: '',
          },
        ],
        data: {
          tasks: fleet.size,
          url: url.replace(/token=[0-9a-f]+/, 'token=…'),
          serverPid,
          paint: {
            ...paint,
            summary: {
              rows: { p50: percentile(rows, 0.5), p95: percentile(rows, 0.95) },
              rowsPainted: { p50: percentile(painted, 0.5), p95: percentile(painted, 0.95) },
              fcp: { p50: percentile(fcp, 0.5), p95: percentile(fcp, 0.95) },
              floorRowsPainted: { p50: percentile(floorPainted, 0.5), p95: percentile(floorPainted, 0.95) },
              floorRows: { p50: percentile(floorRows, 0.5), p95: percentile(floorRows, 0.95) },
              floorFcp: { p50: percentile(floorFcp, 0.5), p95: percentile(floorFcp, 0.95) },
              targetMs: 300,
              metTarget: percentile(rows, 0.95) <= 300,
            },
          },
          memory: { ...memory, flipper: { name: FLIPPER, args: FLIPPER_ARGS, restarts } },
        },
      };
    } finally {
      await browser?.close();
      await stopDashboard(child);
      // Leave the shared fleet as it was: its 200 tasks.
      if (flipper) await fleet.hf.cli(['rm', FLIPPER, '--force']);
    }
  },
};
