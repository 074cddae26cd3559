/**
 * The dashboard in a real browser (Debian's chromium through playwright-core) on a real home:
 * the overview follows a crash and its restart without a reload, a task page shows the pane's
 * screen with its colours, the page's stop and resume do what the CLI does, and a page whose
 * dashboard restarted reconnects and catches up. The screenshots in docs/ are written here.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startDashboard, useBrowser } from '../helpers/browser.js';
import { ROOT, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome({ daemon: true });
const context = useBrowser();
const DOCS = join(ROOT, 'docs');

/** Opens the printed URL (which trades the token for the cookie) and then `path`. */
async function open(url: string, path = '/'): Promise<Page> {
  const page = await (await context()).newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(url);
  if (path !== '/') await page.goto(new URL(path, url).toString());
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
  expect(errors, 'errors in the page (a CSP refusal shows here)').toEqual([]);
  return page;
}

const rowState = (page: Page, name: string) =>
  page.locator(`tr[data-testid="task-row"][data-task="${name}"]`).getAttribute('data-state');

describe('the dashboard in chromium', { timeout: 120_000 }, () => {
  it('the overview lists every task and follows a crash and its restart without a reload', async () => {
    const h = home();
    await h.json([
      'run',
      '--name',
      'api',
      '--restart',
      'always',
      '--backoff',
      '2s..2s',
      '--',
      'bash',
      '-c',
      'echo serving; exec sleep 600',
    ]);
    await h.json(['run', '--name', 'once', '--', 'bash', '-c', 'echo done']);
    await waitFor(
      () => h.status('once'),
      (v) => v.state === 'succeeded',
      { what: 'the short task to end' },
    );
    const d = await startDashboard(h);
    const page = await open(d.url);
    // Gone if the page were reloaded.
    await page.evaluate('window.loadedOnce = 1');
    expect(
      await page
        .locator('tr[data-testid="task-row"]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-task'))),
    ).toEqual(['api', 'once']);
    expect(await rowState(page, 'once')).toBe('succeeded');
    const before = await h.status('api');
    expect(before.state).toBe('running');
    process.kill(before.pid!, 'SIGKILL');
    await page.waitForSelector('tr[data-task="api"][data-state="backoff"]', { timeout: 15_000 });
    expect(await page.locator('tr[data-task="api"] [data-testid="next"]').textContent()).toMatch(
      /^restarts in [1-3]s$/,
    );
    await page.waitForSelector('tr[data-task="api"][data-state="running"]', { timeout: 15_000 });
    expect(await page.locator('tr[data-task="api"] td.num').first().textContent()).toBe('1');
    expect(await page.evaluate('window.loadedOnce')).toBe(1);
    expect((await h.status('api')).runs).toHaveLength(2);
  });

  it("a task page shows the pane's screen with its colours", async () => {
    const h = home();
    await h.json([
      'run',
      '--name',
      'colours',
      '--',
      'bash',
      '-c',
      "printf '\\e[31mRED\\e[0m and \\e[32mGREEN\\e[0m\\n'; exec sleep 600",
    ]);
    const d = await startDashboard(h);
    const page = await open(d.url, '/task/colours');
    const red = page.locator('[data-testid="screen"] .xterm-rows span', { hasText: 'RED' });
    await red.first().waitFor({ timeout: 15_000 });
    expect(await red.first().getAttribute('class')).toContain('xterm-fg-1');
    const green = page.locator('[data-testid="screen"] .xterm-rows span', { hasText: 'GREEN' });
    expect(await green.first().getAttribute('class')).toContain('xterm-fg-2');
    // The colour as drawn, not only the class: xterm's theme red.
    const color = await red.first().evaluate((el) => {
      const view = (
        el as unknown as {
          ownerDocument: { defaultView: { getComputedStyle(e: unknown): { color: string } } };
        }
      ).ownerDocument.defaultView;
      return view.getComputedStyle(el).color;
    });
    expect(color).toMatch(/^rgb\((\d+), (\d+), (\d+)\)$/);
    const [r, g, b] = color.match(/\d+/g)!.map(Number);
    expect(r! > 150 && g! < 100 && b! < 100, color).toBe(true);
    await page.screenshot({ path: join(DOCS, 'dashboard-task.png'), fullPage: false });
  });

  it('stop and resume from the task page change the task as the CLI does', async () => {
    const h = home();
    await h.json(['run', '--name', 'job', '--', 'bash', '-c', 'echo working; exec sleep 600']);
    const d = await startDashboard(h);
    const page = await open(d.url, '/task/job');
    await page.click('[data-testid="action-stop"]');
    await page.waitForSelector('[data-testid="action-result"][data-ok="true"]', { timeout: 30_000 });
    expect(await page.locator('[data-testid="action-result"]').textContent()).toContain('holdfast stop job');
    const stopped = await h.status('job');
    expect(stopped).toMatchObject({ state: 'stopped', desired: 'stopped' });
    await page.waitForSelector('[data-testid="task-state"].state-stopped', { timeout: 15_000 });
    await page.click('[data-testid="action-resume"]');
    await page.waitForSelector('[data-testid="action-result"][data-ok="true"] >> text=holdfast resume job', {
      timeout: 30_000,
    });
    const resumed = await waitFor(
      () => h.status('job'),
      (v) => v.state === 'running',
      { what: 'the task running again' },
    );
    expect(resumed.runs.map((r) => r.cause)).toEqual(['start', 'resume']);
    await page.waitForSelector('[data-testid="task-state"].state-running', { timeout: 15_000 });
    // An action the CLI refuses shows the CLI's own line.
    await page.click('[data-testid="action-resume"]');
    const refused = page.locator('[data-testid="action-result"][data-ok="false"]');
    await refused.waitFor({ timeout: 30_000 });
    const cli = await h.cli(['resume', 'job']);
    expect(cli.code).not.toBe(0);
    expect(await refused.textContent()).toContain(cli.stderr.split('\n')[0]!.replace(/^holdfast: /, ''));
  });

  it('a page whose dashboard restarted reconnects and catches up: the new state, and the journal entries made meanwhile', async () => {
    const h = home();
    await h.json(['run', '--name', 'svc', '--', 'bash', '-c', 'echo up; exec sleep 600']);
    const first = await startDashboard(h);
    const page = await open(first.url, '/task/svc');
    await page.waitForSelector('[data-testid="conn"][data-state="open"]');
    // Gone if the page were reloaded.
    await page.evaluate('window.loadedOnce = 1');
    await first.stop();
    await page.waitForSelector('[data-testid="conn"][data-state="closed"]', { timeout: 15_000 });
    expect((await h.cli(['stop', 'svc'])).code).toBe(0);
    const again = await startDashboard(h, ['--port', String(first.port)]);
    expect(again.token).toBe(first.token);
    await page.waitForSelector('[data-testid="conn"][data-state="open"]', { timeout: 20_000 });
    await page.waitForSelector('[data-testid="task-state"].state-stopped', { timeout: 15_000 });
    await page.waitForSelector('[data-testid="journal"] tr[data-type="stopped"]', { timeout: 15_000 });
    expect(await page.evaluate('window.loadedOnce')).toBe(1);
  });

  it('says so in a banner while no daemon holds the lease, and keeps working', async () => {
    const h = home();
    await h.json(['run', '--name', 'steady', '--', 'bash', '-c', 'echo up; exec sleep 600']);
    const d = await startDashboard(h);
    const page = await open(d.url);
    expect(await page.locator('[data-testid="daemon-banner"]').count()).toBe(0);
    expect((await h.cli(['daemon', 'stop'])).code).toBe(0);
    await page.locator('[data-testid="daemon-banner"]').waitFor({ timeout: 20_000 });
    expect(await rowState(page, 'steady')).toBe('running');
    expect((await h.cli(['daemon', 'start'])).code).toBe(0);
    await page.locator('[data-testid="daemon-banner"]').waitFor({ state: 'detached', timeout: 20_000 });
  });
});
