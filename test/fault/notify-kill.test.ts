import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NotificationView } from '../../src/cli/commands/events.js';
import { waitForDaemon } from '../helpers/daemon.js';
import { BIN, type Home, isAlive, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';
import { type Hook, startHook } from '../helpers/webhook.js';

// No daemon of its own: this test starts each daemon itself, so it knows which pid to kill.
const home = useHome();
let hook: Hook | null = null;
afterEach(async () => {
  await hook?.close();
  hook = null;
});

function startDaemon(h: Home): ChildProcess {
  const { HOLDFAST_NO_DAEMON: _off, ...env } = h.env;
  return spawn(process.execPath, [BIN, 'daemon', 'run', '--no-watchdog'], { env, stdio: 'ignore' });
}

const outbox = (h: Home) => h.json<NotificationView[]>(['events', '--notifications']);

describe('fault: the daemon is killed between the state change and the send', () => {
  it('kill -9 while a webhook holds the request: after restart that one notification is sent again with the same key, and one enqueued meanwhile exactly once', async () => {
    const h = home();
    // The first request is held open (the daemon dies mid-send); every later one is answered 200.
    hook = await startHook((n) => (n === 0 ? 'hold' : 200));
    const config = join(h.dir, 'config.yaml');
    writeFileSync(config, `notify:\n  - { type: webhook, url: '${hook.url}', secret: k }\n`);
    h.env.HOLDFAST_CONFIG = config;

    // The state change, committed with its notification, while no daemon runs: nothing is sent.
    expect((await h.cli(['run', '--name', 'first', '--', 'sh', '-c', 'exit 5'])).code).toBe(0);
    await waitFor(
      () => h.status('first'),
      (v) => v.state === 'failed',
    );
    const [queued] = await outbox(h);
    expect([queued!.state, queued!.attempts, hook.received.length]).toEqual(['pending', 0, 0]);

    const d1 = startDaemon(h);
    await waitFor(
      () => hook!.received.length,
      (n) => n === 1,
      { what: 'the first send under way' },
    );
    expect((await outbox(h))[0]).toMatchObject({ state: 'sending', attempts: 1 });
    process.kill(d1.pid!, 'SIGKILL');
    await waitFor(
      () => isAlive(d1.pid!),
      (alive) => !alive,
      { what: 'the daemon dead' },
    );

    // With no daemon, another task fails: its notification waits in the outbox.
    expect((await h.cli(['run', '--name', 'second', '--', 'sh', '-c', 'exit 6'])).code).toBe(0);
    await waitFor(
      () => h.status('second'),
      (v) => v.state === 'failed',
    );

    const d2 = startDaemon(h);
    expect(await waitForDaemon(h)).toBe(d2.pid);
    const rows = await waitFor(
      () => outbox(h),
      (r) => r.length === 2 && r.every((x) => x.state === 'sent'),
      { what: 'both notifications sent', timeoutMs: 15_000 },
    );
    const [first, second] = rows;
    expect([first!.task, first!.attempts, second!.task, second!.attempts]).toEqual(['first', 2, 'second', 1]);
    // What the receiver saw: the first key twice (the held attempt never answered, then one 200),
    // the second key once. A receiver that drops a key it has seen gets each exactly once.
    expect(hook.received.map((r) => [r.headers['x-holdfast-delivery'], r.answered])).toEqual([
      [first!.key, null],
      [first!.key, 200],
      [second!.key, 200],
    ]);
    expect(hook.received[0]!.body).toBe(hook.received[1]!.body);
    expect(hook.received.filter((r) => r.answered === 200)).toHaveLength(2);
    process.kill(d2.pid!, 'SIGKILL');
  });
});
