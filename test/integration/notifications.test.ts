import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NotificationView } from '../../src/cli/commands/events.js';
import { EMPTY_CONFIG } from '../../src/config/schema.js';
import { dryRunSink } from '../../src/notify/dry-run.js';
import { Notifier } from '../../src/notify/index.js';
import { openStore } from '../../src/store/db.js';
import { paneOf } from '../helpers/daemon.js';
import { FIXTURES, type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';
import { type Hook, startHook } from '../helpers/webhook.js';

const SINK = join(FIXTURES, 'notify-sink.sh');
const home = useHome({ daemon: true });
const hooks: Hook[] = [];
afterEach(async () => {
  for (const hook of hooks.splice(0)) await hook.close();
});

async function hook(answer: (n: number) => number | 'hold'): Promise<Hook> {
  const h = await startHook(answer);
  hooks.push(h);
  return h;
}

/** A config file for this home; the daemon (which keeps HOLDFAST_* of its starter) reads it when sending. */
function configure(h: Home, yaml: string): void {
  const path = join(h.dir, 'config.yaml');
  writeFileSync(path, yaml);
  h.env.HOLDFAST_CONFIG = path;
}

function recorder(h: Home, name: string): string {
  const dir = join(h.dir, name);
  mkdirSync(dir);
  return dir;
}

/** What the fixture sink recorded: each call's stdin (parsed) and HOLDFAST_* environment. */
function recorded(dir: string): { body: Record<string, unknown>; env: Record<string, string> }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json') && !f.startsWith('.'))
    .sort()
    .map((f) => ({
      body: JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, unknown>,
      env: Object.fromEntries(
        readFileSync(join(dir, f.replace(/\.json$/, '.env')), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
      ),
    }));
}

async function outbox(h: Home, task?: string): Promise<NotificationView[]> {
  return h.json<NotificationView[]>(['events', ...(task ? [task] : []), '--notifications']);
}

describe('notifications: command sinks through the daemon', () => {
  it('a failed task: the sink gets the event as JSON on stdin and HOLDFAST_EVENT/TASK/STATE; a sink filtered to other events gets nothing', async () => {
    const h = home();
    const all = recorder(h, 'all');
    const other = recorder(h, 'other');
    configure(
      h,
      [
        'notify:',
        `  - { name: all, type: command, argv: [${SINK}, ${all}] }`,
        `  - { name: other, type: command, argv: [${SINK}, ${other}], events: [succeeded, needs-input] }`,
        '',
      ].join('\n'),
    );
    expect((await h.cli(['run', '--name', 'broken', '--', 'sh', '-c', 'exit 4'])).code).toBe(0);
    const [call] = await waitFor(
      () => recorded(all),
      (r) => r.length > 0,
      { what: 'the command sink called' },
    );
    expect(call!.body).toMatchObject({
      event: 'failed',
      task: 'broken',
      state: 'failed',
      run: 1,
      text: 'broken failed (run 1): exit 4',
      data: { exitCode: 4, signal: null },
    });
    expect(call!.env).toMatchObject({
      HOLDFAST_EVENT: 'failed',
      HOLDFAST_TASK: 'broken',
      HOLDFAST_STATE: 'failed',
      HOLDFAST_DELIVERY: call!.body.key,
    });
    const [row] = await waitFor(
      () => outbox(h, 'broken'),
      (rows) => rows[0]?.state === 'sent',
      { what: 'the outbox row sent' },
    );
    expect(row!.deliveries.all).toMatchObject({ state: 'sent', attempts: 1 });
    expect(row!.deliveries.other).toMatchObject({ state: 'skipped' });
    expect(recorded(other)).toEqual([]);
    expect(recorded(all)).toHaveLength(1);
  });

  it("run --notify: exactly the sinks given (not the config file's); --notify none: nothing at all", async () => {
    const h = home();
    const global = recorder(h, 'global');
    const own = recorder(h, 'own');
    configure(h, `notify:\n  - { type: command, argv: [${SINK}, ${global}] }\n`);
    expect(
      (await h.cli(['run', '--name', 'mine', '--notify', `command:${SINK} ${own}`, '--', 'true'])).code,
    ).toBe(0);
    expect(
      (await h.cli(['run', '--name', 'mute', '--notify', 'none', '--', 'sh', '-c', 'exit 1'])).code,
    ).toBe(0);
    const [call] = await waitFor(
      () => recorded(own),
      (r) => r.length > 0,
      { what: 'the task sink called' },
    );
    expect(call!.body).toMatchObject({ event: 'succeeded', task: 'mine' });
    await waitFor(
      () => h.status('mute'),
      (v) => v.state === 'failed',
    );
    const rows = await waitFor(
      () => outbox(h),
      (r) => r.every((x) => x.state === 'sent'),
    );
    expect(rows.map((r) => [r.task, r.event, r.sinks])).toEqual([
      ['mine', 'succeeded', [`command:${SINK} ${own}`]],
    ]);
    expect(recorded(global)).toEqual([]);
    const usage = await h.cli(['run', '--notify', 'none', '--notify', 'desktop', '--', 'true']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--notify none: cannot be combined with other sinks');
  });

  it('a hanging webhook and a hanging command sink do not delay the restart of another task', async () => {
    const h = home();
    const hung = recorder(h, 'hung');
    const held = await hook(() => 'hold');
    configure(
      h,
      `notify:\n  - { type: webhook, url: '${held.url}' }\n  - { type: command, argv: [${SINK}, ${hung}, hang] }\n`,
    );
    expect(
      (
        await h.cli([
          'run',
          '--name',
          'svc',
          '--restart',
          'always',
          '--backoff',
          '50ms..100ms',
          '--',
          'sleep',
          '600',
        ])
      ).code,
    ).toBe(0);
    expect((await h.cli(['run', '--name', 'boom', '--', 'sh', '-c', 'exit 9'])).code).toBe(0);
    // Both sinks have the notification and neither answers.
    await waitFor(() => held.received.length === 1 && recorded(hung).length === 1, Boolean, {
      what: 'both sinks hanging',
    });
    const first = await waitFor(
      () => paneOf(h, 'svc'),
      (p) => p !== null && !p.dead,
    );
    const killedAt = Date.now();
    process.kill(first!.pid, 'SIGKILL');
    await waitFor(
      () => paneOf(h, 'svc'),
      (p) => p !== null && !p.dead && p.pid !== first!.pid,
      { what: 'svc restarted', timeoutMs: 10_000, intervalMs: 10 },
    );
    const restartMs = Date.now() - killedAt;
    // A 30 s command timeout and a 10 s webhook timeout are both far beyond this.
    expect(restartMs).toBeLessThan(3000);
    const rows = await outbox(h, 'boom');
    expect(rows.map((r) => r.state)).toEqual(['sending']);
    console.log(`death → restart while two sinks hang: ${restartMs} ms`);
  });
});

describe('notifications: webhooks on a real HTTP server', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('notify test: raw with X-Holdfast-Signature (HMAC-SHA256 of the body), slack {text}, discord {content}; exit 0', async () => {
    const h = home();
    const server = await hook(() => 200);
    configure(
      h,
      [
        'notify:',
        `  - { name: raw, type: webhook, url: '${server.url}?raw', secret: s3cret }`,
        `  - { name: slack, type: webhook, url: '${server.url}?slack', format: slack, secret-env: HOLDFAST_TEST_HOOK_SECRET }`,
        `  - { name: discord, type: webhook, url: '${server.url}?discord', format: discord }`,
        '',
      ].join('\n'),
    );
    const result = await h.cli(['notify', 'test', '--json'], {
      env: { HOLDFAST_TEST_HOOK_SECRET: 'env-secret' },
    });
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual([
      { sink: 'raw', ok: true, detail: 'HTTP 200' },
      { sink: 'slack', ok: true, detail: 'HTTP 200' },
      { sink: 'discord', ok: true, detail: 'HTTP 200' },
    ]);
    const byName = (q: string) => server.received.find((r) => r.url.endsWith(`?${q}`));
    const raw = byName('raw')!;
    const sign = (secret: string, body: string) =>
      `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    expect(raw.headers['x-holdfast-signature']).toBe(sign('s3cret', raw.body));
    expect(JSON.parse(raw.body)).toMatchObject({ event: 'failed', task: 'holdfast-test' });
    expect(raw.headers['x-holdfast-delivery']).toBe(JSON.parse(raw.body).key);
    const slack = byName('slack')!;
    expect(Object.keys(JSON.parse(slack.body))).toEqual(['text']);
    expect(slack.headers['x-holdfast-signature']).toBe(sign('env-secret', slack.body));
    const discord = byName('discord')!;
    expect(JSON.parse(discord.body).content).toContain('holdfast-test failed');
    expect(discord.headers['x-holdfast-signature']).toBeUndefined();
  });

  it('notify test <sink>: a sink in text form that fails prints FAIL and exits 1', async () => {
    const h = home();
    const server = await hook(() => 500);
    const result = await h.cli(['notify', 'test', `webhook:${server.url}`]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`FAIL  webhook:${server.url}  HTTP 500`);
    expect(server.received).toHaveLength(1);
  });

  it('the notifier retries a webhook answering 500 until it answers 200, with the same key (fake clock)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-retry-'));
    dirs.push(dir);
    const store = openStore(join(dir, 'holdfast.db'));
    const server = await hook((n) => (n < 3 ? 500 : 200));
    let now = 1_800_000_000_000;
    const key = 'task/1/run/1/failed';
    const body = {
      key,
      event: 'failed' as const,
      task: 'job',
      state: 'failed',
      run: 1,
      at: '',
      text: 'job failed',
      data: {},
    };
    store.tx(() =>
      store.outbox.enqueue(
        { key, event: 'failed', taskId: 1, runId: 1, body },
        'job',
        [{ type: 'webhook', url: server.url, format: 'raw', secret: 'k' }],
        now,
      ),
    );
    const n = new Notifier(store, {
      env: {},
      now: () => now,
      me: { pid: process.pid, start: 'test' },
      running: () => false,
      config: () => EMPTY_CONFIG,
    });
    for (let i = 0; i < 10; i++) {
      n.poke();
      await n.idle();
      const row = store.outbox.list()[0]!;
      if (row.state !== 'pending') break;
      now = row.nextAttemptAt;
    }
    const row = store.outbox.list()[0]!;
    expect([row.state, row.attempts]).toEqual(['sent', 4]);
    expect(server.received.map((r) => [r.answered, r.headers['x-holdfast-delivery']])).toEqual([
      [500, key],
      [500, key],
      [500, key],
      [200, key],
    ]);
    await n.stop(100);
    store.close();
  });

  it('dryRunSink: a webhook whose host takes connections, a closed port, a command that is not executable, desktop', async () => {
    const server = await hook(() => 200);
    expect(await dryRunSink({ type: 'webhook', url: server.url, format: 'raw' }, {})).toMatchObject({
      ok: true,
    });
    expect(server.received).toHaveLength(0);
    const closed = await dryRunSink({ type: 'webhook', url: 'http://127.0.0.1:1/', format: 'raw' }, {});
    expect(closed).toEqual({ ok: false, detail: '127.0.0.1:1: ECONNREFUSED' });
    expect(
      await dryRunSink({ type: 'webhook', url: 'http://no-such-host.invalid/', format: 'raw' }, {}),
    ).toMatchObject({
      ok: false,
      detail: expect.stringContaining('ENOTFOUND'),
    });
    expect(await dryRunSink({ type: 'command', argv: [SINK] }, {})).toEqual({
      ok: true,
      detail: `${SINK} is executable`,
    });
    expect(await dryRunSink({ type: 'command', argv: [join(FIXTURES, 'README-none')] }, {})).toMatchObject({
      ok: false,
    });
    expect(await dryRunSink({ type: 'desktop' }, { PATH: '/nonexistent' })).toMatchObject({
      ok: false,
      detail: expect.stringContaining('notify-send is not on PATH'),
    });
  });
});
