/**
 * `holdfast doctor` against real temp homes, the home's private tmux server, real SQLite and a fake
 * agent CLI (test/fixtures/fake-help): each check's ok / warn / fail, the exit status, `--json`,
 * and `--fix`, which removes only the panes holdfast stamped.
 */
import { chmodSync, closeSync, mkdirSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { Check } from '../../src/supervisor/doctor.js';
import { waitForDaemon } from '../helpers/daemon.js';
import { FIXTURES, type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome();
const daemonHome = useHome({ daemon: true });
const FAKE_HELP = join(FIXTURES, 'fake-help');

interface Report {
  ok: boolean;
  failed: number;
  warned: number;
  checks: Check[];
}

async function doctor(
  h: Home,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; report: Report }> {
  const r = await h.cli(['doctor', '--json', ...args], { env });
  expect(r.stderr, r.stdout).toBe('');
  return { code: r.code, report: JSON.parse(r.stdout) as Report };
}

const named = (report: Report, name: string) => {
  const found = report.checks.find((c) => c.name === name);
  expect(found, `a check named ${name} in ${JSON.stringify(report.checks.map((c) => c.name))}`).toBeDefined();
  return found!;
};

describe('holdfast doctor', () => {
  it('passes on this machine with a fresh home: no agent CLI is a warning, not a failure', async () => {
    const h = home();
    const { code, report } = await doctor(h, [], { PATH: '/usr/local/bin:/usr/bin:/bin' });
    expect(report.failed, JSON.stringify(report.checks.filter((c) => c.status === 'fail'))).toBe(0);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(named(report, 'tmux')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/^tmux \d+\.\d+/),
    });
    expect(named(report, 'git').status).toBe('ok');
    for (const agent of ['claude', 'codex', 'opencode', 'gemini', 'pi', 'amp'])
      expect(named(report, `agent ${agent}`).status).toBe('skip');
    expect(named(report, 'agents').status).toBe('warn');
    expect(named(report, 'socket path')).toMatchObject({ status: 'ok' });
    expect(named(report, 'file modes').status).toBe('ok');
    expect(named(report, 'disk').status).not.toBe('fail');
    expect(named(report, 'startup')).toMatchObject({ status: 'warn', hint: 'holdfast startup' });
    expect(named(report, 'notify')).toMatchObject({ status: 'skip', detail: 'no sinks configured' });
    const human = await h.cli(['doctor'], { env: { PATH: '/usr/local/bin:/usr/bin:/bin' } });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/^ok +tmux +tmux \d/m);
    expect(human.stdout).toMatch(/doctor: nothing failed \(\d+ warnings?\)\n$/);
  });

  it('an agent CLI whose --help lacks a flag holdfast passes is a warning naming the flag; one that has them all is ok', async () => {
    const h = home();
    const path = `${FAKE_HELP}:/usr/local/bin:/usr/bin:/bin`;
    const full = await doctor(h, [], { PATH: path });
    expect(named(full.report, 'agent claude')).toMatchObject({
      status: 'ok',
      detail: `2.1.329 (Claude Code) at ${join(FAKE_HELP, 'claude')}, every flag holdfast passes is in its --help`,
    });
    expect(full.report.checks.some((c) => c.name === 'agents')).toBe(false);
    const dropped = await doctor(h, [], { PATH: path, FAKE_HELP_DROP: '--dangerously-skip-permissions' });
    const c = named(dropped.report, 'agent claude');
    expect(c.status).toBe('warn');
    expect(c.detail).toMatch(/--help does not list --dangerously-skip-permissions$/);
    expect(dropped.code).toBe(0);
  });

  it('a file of the home open to others is a failure naming it, and the exit status is 1', async () => {
    const h = home();
    expect((await h.cli(['run', '-n', 'm', '--', 'true'])).code).toBe(0);
    // What a task or an agent writes with its own umask is its own: not reported.
    writeFileSync(join(h.dir, 'demo-progress'), '3\n', { mode: 0o644 });
    mkdirSync(join(h.dir, 'tasks', 'm', 'agent'), { recursive: true, mode: 0o700 });
    writeFileSync(join(h.dir, 'tasks', 'm', 'agent', 'history.jsonl'), '', { mode: 0o644 });
    const clean = await doctor(h);
    expect(named(clean.report, 'file modes').status).toBe('ok');
    // HOLDFAST_NO_DAEMON=1 (this test's home): no daemon is expected, so none is a warning.
    expect(named(clean.report, 'daemon')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('HOLDFAST_NO_DAEMON=1'),
    });
    const env = join(h.dir, 'tasks', 'm', 'env');
    chmodSync(env, 0o644);
    const { code, report } = await doctor(h);
    expect(named(report, 'file modes')).toMatchObject({ status: 'fail', detail: `${env} is 0644` });
    expect(code).toBe(1);
    expect(report.ok).toBe(false);
    const human = await h.cli(['doctor']);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain(`FAIL  file modes`);
    expect(human.stdout).toContain('hint: chmod -R go-rwx');
  });

  it('a store with a corrupt page is a failure, and the store is left as it was', async () => {
    const h = home();
    for (const n of ['a', 'b', 'c']) expect((await h.cli(['run', '-n', n, '--', 'true'])).code).toBe(0);
    const store = join(h.dir, 'holdfast.db');
    // Fold the WAL into the file, then overwrite one page past the schema with garbage.
    const db = new Database(store);
    db.pragma('wal_checkpoint(TRUNCATE)');
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.close();
    expect(pages).toBeGreaterThan(3);
    const fd = openSync(store, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, 2 * pageSize);
    closeSync(fd);
    const before = statSync(store);
    const { code, report } = await doctor(h);
    const c = named(report, 'store');
    expect(c.status).toBe('fail');
    expect(c.detail).toMatch(/integrity_check|malformed/);
    expect(code).toBe(1);
    const after = statSync(store);
    expect([after.size, after.mtimeMs]).toEqual([before.size, before.mtimeMs]);
  });

  it('--fix removes a pane holdfast stamped whose task is gone, and keeps a pane it did not stamp', async () => {
    const h = home();
    expect((await h.cli(['run', '-n', 'keep', '--', 'sleep', '600'])).code).toBe(0);
    // A pane stamped with a run no task has (a task removed while its session stayed), and one
    // that something else made on holdfast's server.
    h.tmux(['new-session', '-d', '-s', 'ghost', 'sleep 600']);
    h.tmux(['set-option', '-p', '-t', '=ghost:', '@hf_run', '9999']);
    h.tmux(['new-session', '-d', '-s', 'theirs', 'sleep 600']);
    const sessions = () =>
      h.tmux(['list-sessions', '-F', '#{session_name}']).split('\n').filter(Boolean).sort();
    const seen = await doctor(h);
    const orphan = named(seen.report, 'orphan panes');
    expect(orphan.status).toBe('warn');
    expect(orphan.detail).toMatch(/^stamped by holdfast, no task's: %\d+ \(session ghost, run 9999\)$/);
    expect(named(seen.report, 'unstamped panes').detail).toMatch(/session theirs/);
    expect(sessions()).toEqual(['ghost', 'keep', 'theirs']);
    const fixed = await doctor(h, ['--fix']);
    expect(named(fixed.report, 'orphan panes')).toMatchObject({
      status: 'ok',
      fixed: expect.stringMatching(/^removed %\d+$/),
    });
    expect(sessions()).toEqual(['keep', 'theirs']);
    const again = await doctor(h);
    expect(named(again.report, 'orphan panes').status).toBe('ok');
    expect(named(again.report, 'task panes').status).toBe('ok');
  });

  it('a task that should run whose pane is gone is a warning naming it', async () => {
    const h = home();
    expect((await h.cli(['run', '-n', 'lost', '--', 'sleep', '600'])).code).toBe(0);
    expect((await h.cli(['run', '-n', 'other', '--', 'sleep', '600'])).code).toBe(0);
    h.tmux(['kill-session', '-t', '=lost']);
    const { report } = await doctor(h);
    expect(named(report, 'task panes')).toMatchObject({ status: 'warn', detail: 'no live pane for lost' });
  });

  it('the daemon: its heartbeat age while it runs; no daemon while tasks should run is a failure', async () => {
    const h = daemonHome();
    expect((await h.cli(['run', '-n', 'd', '--', 'sleep', '600'])).code).toBe(0);
    await waitForDaemon(h);
    const live = await doctor(h);
    expect(named(live.report, 'daemon')).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/^pid \d+, up .+, heartbeat \d+(ms|s) ago$/),
    });
    expect((await h.cli(['daemon', 'stop'])).code).toBe(0);
    const gone = await waitFor(
      async () => (await doctor(h)).report,
      (r) => named(r, 'daemon').status === 'fail',
      { what: 'the daemon reported gone' },
    );
    expect(named(gone, 'daemon')).toMatchObject({ hint: 'holdfast daemon start' });
  });

  it('a socket path over the unix limit is a failure', async () => {
    const h = home();
    const deep = join(h.dir, 'x'.repeat(60), 'y'.repeat(40));
    mkdirSync(deep, { recursive: true, mode: 0o700 });
    chmodSync(join(h.dir, 'x'.repeat(60)), 0o700);
    const { report } = await doctor(h, [], { HOLDFAST_HOME: deep });
    expect(named(report, 'socket path')).toMatchObject({
      status: 'fail',
      hint: 'set HOLDFAST_HOME to a shorter directory',
    });
  });

  it('startup installed as a systemd user unit is reported with its path', async () => {
    const h = home();
    const config = join(h.dir, 'xdg');
    mkdirSync(join(config, 'systemd', 'user'), { recursive: true, mode: 0o700 });
    const unit = join(config, 'systemd', 'user', 'holdfast.service');
    writeFileSync(unit, `# holdfast startup HOLDFAST_HOME=${h.dir}\n[Unit]\n`, { mode: 0o600 });
    const { report } = await doctor(h, [], { XDG_CONFIG_HOME: config });
    expect(named(report, 'startup')).toMatchObject({ status: 'ok', detail: `systemd unit ${unit}` });
  });

  it('the config file: a bad value is a failure naming its line and key; its sinks are dry-run', async () => {
    const h = home();
    const file = join(h.dir, 'config.yaml');
    writeFileSync(
      file,
      [
        'run:',
        '  stall-timeout: soon',
        'notify:',
        '  - { type: command, argv: [/nonexistent/page-me] }',
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const bad = await doctor(h);
    expect(bad.code).toBe(1);
    expect(named(bad.report, 'config')).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(new RegExp(`^${file}:2: run\\.stall-timeout: `)),
    });
    expect(named(bad.report, 'notify command:/nonexistent/page-me').status).toBe('fail');

    writeFileSync(
      file,
      ['notify:', '  - { type: command, argv: [/bin/true], name: ok-sink }', ''].join('\n'),
    );
    const good = await doctor(h);
    expect(named(good.report, 'config')).toMatchObject({ status: 'ok', detail: file });
    expect(named(good.report, 'notify ok-sink').status).toBe('ok');
  });
});
