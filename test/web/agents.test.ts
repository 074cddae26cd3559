/**
 * The dashboard with agents: an interactive claude (the fake TUI, test/fixtures/fake-tui, which
 * asks as INTERACTIVE.md §4 saw the real one ask) waiting on an approval is answered by one click,
 * once; and a mission (the fake headless agent) shows its milestones, sessions, next step and
 * budget. The overview and mission screenshots in docs/ are written here.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import type { MissionView } from '../../src/cli/commands/mission/view.js';
import { startDashboard, useBrowser } from '../helpers/browser.js';
import { claudeScratches } from '../helpers/fake-tui.js';
import { makeRepo } from '../helpers/git.js';
import { FIXTURES, ROOT, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const { scratch, records } = claudeScratches('hf-dash-');
const home = useHome({ daemon: true });
const context = useBrowser();
const DOCS = join(ROOT, 'docs');
const NBSP = '\u00a0';

async function open(url: string, path: string): Promise<Page> {
  const page = await (await context()).newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await page.goto(new URL(path, url).toString());
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20_000 });
  expect(errors).toEqual([]);
  return page;
}

interface FakeEvent {
  event: string;
  tool?: string;
  behavior?: string;
  by?: string;
}

describe('the dashboard with agents', { timeout: 120_000 }, () => {
  it("a waiting agent's question is answered by one click, and the answer reaches the agent once", async () => {
    const h = home();
    const s = scratch();
    const run = await h.cli(
      [
        'run',
        '--agent',
        'claude',
        '--interactive',
        '--trust',
        '-n',
        'c',
        '-C',
        s.work,
        '--allow',
        'Bash(npm test*)',
      ],
      { env: s.env },
    );
    expect(run.code, run.stderr).toBe(0);
    await waitFor(
      () => h.tmux(['capture-pane', '-p', '-t', '=c:']),
      (v) => v.includes(`❯${NBSP}`),
      { what: "claude's empty composer" },
    );
    const d = await startDashboard(h);
    const page = await open(d.url, '/task/c');
    expect(
      (
        await h.json<{ state: string }>([
          'send',
          'c',
          'go [[tool Bash npm install left-pad]] [[say after]]',
          '--wait',
        ])
      ).state,
    ).toBe('confirmed');
    const question = page.locator('[data-testid="question"]');
    await question.waitFor({ timeout: 20_000 });
    expect(await question.textContent()).toContain('npm install left-pad');
    await page.waitForSelector('[data-testid="task-state"].state-waiting-input');
    const yes = page.locator('[data-testid="answer-option"][data-choice="1"]');
    expect(await yes.textContent()).toMatch(/^1\. Yes/);
    await yes.click();
    await page.waitForSelector('[data-testid="action-result"][data-ok="true"]', { timeout: 30_000 });
    expect(await page.locator('[data-testid="action-result"]').textContent()).toContain(
      'holdfast answer c 1',
    );
    await waitFor(
      () => records<FakeEvent>(s, 'events.jsonl').filter((e) => e.event === 'dialog-answered'),
      (v) => v.length === 1,
      { what: 'the dialog answered' },
    );
    await waitFor(
      () => h.status('c'),
      (v) => v.state === 'running' && v.question === null,
      { what: 'the task out of waiting-input' },
    );
    await page.waitForSelector('[data-testid="task-state"].state-running', { timeout: 15_000 });
    expect(await page.locator('[data-testid="question"]').count()).toBe(0);
    const answered = records<FakeEvent>(s, 'events.jsonl').filter((e) => e.event === 'dialog-answered');
    expect(answered).toEqual([expect.objectContaining({ tool: 'Bash', behavior: 'allow', by: 'hook' })]);
    const decided = (await h.events('c')).filter((e) => e.type === 'approval-decided');
    expect(decided.map((e) => e.data)).toEqual([
      expect.objectContaining({ input: 'npm install left-pad', behavior: 'allow', by: 'user' }),
    ]);
  });

  it('a mission page shows its milestones, sessions, next step and budget; the overview shows every state at a glance', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    const state = join(h.dir, 'fake');
    const write = (path: string, content: string) => ({ write: { path, content } });
    const env = {
      PATH: `${join(FIXTURES, 'fake-agent', 'bin')}:${process.env.PATH}`,
      FAKE_AGENT_STATE: state,
      FAKE_AGENT_SCENARIO: JSON.stringify({
        invocations: [
          { steps: [write('a.txt', 'a\n'), { say: 'made a.txt' }, { succeed: true }] },
          { steps: [write('b.txt', 'b\n'), { say: 'made b.txt' }, { succeed: true }] },
          { steps: [{ say: 'working on c.txt' }, { hang: true }] },
        ],
      }),
    };
    writeFileSync(
      join(h.dir, 'mission.md'),
      '# Tiny app\n\nThree files.\n\n## Alpha\nCreate a.txt.\ngate: test -f a.txt\n\n## Beta\nCreate b.txt.\ngate: test -f b.txt\n\n## Gamma\nc.txt says done.\ngate: grep -q done c.txt\n',
    );
    const init = await h.cli(
      ['mission', 'init', 'tiny', '--agent', 'claude', '--cwd', repo, '--file', join(h.dir, 'mission.md')],
      { env },
    );
    expect(init.code, init.stderr).toBe(0);
    expect((await h.cli(['mission', 'start', 'tiny'], { env })).code).toBe(0);
    const mission = await waitFor(
      () => h.json<MissionView>(['mission', 'status', 'tiny']),
      // The third session counts from its creation, before its phase is `session`; the page is
      // compared with this snapshot, so wait until the phase has settled too.
      (v) =>
        v.milestones.filter((m) => m.status === 'done').length === 2 &&
        v.sessions.length === 3 &&
        v.phase === 'session',
      { what: 'two milestones done and the third session running', timeoutMs: 40_000 },
    );
    // A few more tasks, so the overview shows what a day looks like.
    await h.json([
      'run',
      '--name',
      'web-server',
      '--restart',
      'always',
      '--',
      'bash',
      '-c',
      'echo "listening on :8080"; exec sleep 600',
    ]);
    await h.json(['run', '--name', 'nightly-tests', '--', 'bash', '-c', 'echo "412 passed"']);
    await h.json([
      'run',
      '--name',
      'flaky-worker',
      '--restart',
      'always',
      '--backoff',
      '100ms..100ms',
      '--crash-loop',
      '2/1m',
      '--probe-every',
      '30m',
      '--',
      'bash',
      '-c',
      'echo "connecting to queue"; echo "error: ECONNREFUSED" >&2; exit 1',
    ]);
    await waitFor(
      () => h.status('flaky-worker'),
      (v) => v.state === 'crash-loop',
      { what: 'the crash loop', timeoutMs: 20_000 },
    );
    const d = await startDashboard(h);
    const page = await open(d.url, '/mission/tiny');
    expect(await page.locator('[data-testid="mission-state"]').textContent()).toContain(mission.state);
    const statuses = await page
      .locator('[data-testid="milestones"] tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.className));
    expect(statuses).toEqual(['ms-done', 'ms-done', 'ms-active']);
    expect(await page.locator('[data-testid="sessions"] tbody tr').count()).toBe(3);
    expect(await page.locator('[data-testid="mission-next"]').textContent()).toContain(mission.next);
    expect(await page.locator('[data-testid="budget"]').textContent()).toMatch(/^sessions 3 of 20/);
    await page.screenshot({ path: join(DOCS, 'dashboard-mission.png') });

    const overview = await open(d.url, '/');
    const names = await overview
      .locator('tr[data-testid="task-row"]')
      .evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-task'), r.getAttribute('data-state')]));
    expect(names[0]).toEqual(['flaky-worker', 'crash-loop']);
    expect(names).toEqual(
      expect.arrayContaining([
        ['tiny', 'running'],
        ['nightly-tests', 'succeeded'],
        ['web-server', 'running'],
      ]),
    );
    expect(await overview.locator('tr[data-mission="tiny"]').textContent()).toContain('2/3');
    await overview.screenshot({ path: join(DOCS, 'dashboard-overview.png') });
    expect(existsSync(join(DOCS, 'dashboard-overview.png'))).toBe(true);
    expect(readFileSync(join(DOCS, 'dashboard-mission.png')).subarray(1, 4).toString()).toBe('PNG');
  });
});
