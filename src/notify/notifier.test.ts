import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EMPTY_CONFIG } from '../config/schema.js';
import type { NotificationDraft } from '../core/notifications.js';
import type { SinkSpec } from '../core/notify.js';
import { openStore, type Store } from '../store/db.js';
import { Notifier, type NotifierOptions } from './notifier.js';
import { nextAttemptAt, RETRY_FIRST_MS, RETRY_FOR_MS, RETRY_MAX_MS } from './retry.js';
import type { SinkResult } from './sinks.js';

const T0 = 1_800_000_000_000;
let dir: string;
let store: Store;
let now: number;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hf-notifier-'));
  store = openStore(join(dir, 'holdfast.db'));
  now = T0;
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const ME = { pid: process.pid, start: 'me' };

function draft(key: string, event: NotificationDraft['event'] = 'failed'): NotificationDraft {
  return {
    key,
    event,
    taskId: 1,
    runId: 1,
    body: {
      key,
      event,
      task: 'job',
      state: 'failed',
      run: 1,
      at: new Date(T0).toISOString(),
      text: 'job failed',
      data: {},
    },
  };
}

function notifier(
  send: (sink: SinkSpec) => Promise<SinkResult>,
  over: Partial<NotifierOptions> = {},
): Notifier {
  return new Notifier(store, {
    env: {},
    now: () => now,
    me: ME,
    running: () => false,
    config: () => EMPTY_CONFIG,
    send: (sink) => send(sink),
    ...over,
  });
}

const hook: SinkSpec = { type: 'webhook', url: 'http://x/', format: 'raw' };

describe('retry schedule', () => {
  it('doubles from 10 s to at most an hour, ends with an attempt at 24 h, then none', () => {
    expect(nextAttemptAt(1, T0, T0)).toBe(T0 + RETRY_FIRST_MS);
    expect(nextAttemptAt(2, T0, T0 + 1000)).toBe(T0 + 1000 + 2 * RETRY_FIRST_MS);
    expect(nextAttemptAt(30, T0, T0 + 1000)).toBe(T0 + 1000 + RETRY_MAX_MS);
    expect(nextAttemptAt(40, T0, T0 + RETRY_FOR_MS - 1000)).toBe(T0 + RETRY_FOR_MS);
    expect(nextAttemptAt(41, T0, T0 + RETRY_FOR_MS)).toBeNull();
  });
});

describe('Notifier (fake clock)', () => {
  it('a failing sink is tried again on the backoff until it answers; attempts and the next time are in the row', async () => {
    store.tx(() => store.outbox.enqueue(draft('k1'), 'job', [hook], now));
    const answers = [false, false, true];
    const n = notifier(async () => {
      const ok = answers.shift()!;
      return { ok, detail: ok ? 'HTTP 200' : 'HTTP 500' };
    });
    n.poke();
    await n.idle();
    let row = store.outbox.list()[0]!;
    expect([row.state, row.attempts, row.nextAttemptAt, row.error]).toEqual([
      'pending',
      1,
      T0 + 10_000,
      'HTTP 500',
    ]);
    now = T0 + 9_999;
    n.poke();
    await n.idle();
    expect(store.outbox.list()[0]!.attempts).toBe(1);
    now = T0 + 10_000;
    n.poke();
    await n.idle();
    row = store.outbox.list()[0]!;
    expect([row.state, row.attempts, row.nextAttemptAt]).toEqual(['pending', 2, T0 + 10_000 + 20_000]);
    now = T0 + 30_000;
    n.poke();
    await n.idle();
    row = store.outbox.list()[0]!;
    expect([row.state, row.attempts, row.sentAt]).toEqual(['sent', 3, T0 + 30_000]);
    expect(row.deliveries['webhook:http://x/']).toMatchObject({
      state: 'sent',
      attempts: 3,
      detail: 'HTTP 200',
    });
    await n.stop(100);
  });

  it('gives up 24 h after the notification was enqueued: failed, no attempt later than that', async () => {
    store.tx(() => store.outbox.enqueue(draft('k2'), 'job', [hook], now));
    const times: number[] = [];
    const n = notifier(async () => {
      times.push(now);
      return { ok: false, detail: 'ECONNREFUSED' };
    });
    for (let i = 0; i < 200; i++) {
      n.poke();
      await n.idle();
      const row = store.outbox.list()[0]!;
      if (row.state !== 'pending') break;
      now = row.nextAttemptAt;
    }
    const row = store.outbox.list()[0]!;
    expect(row.state).toBe('failed');
    expect(row.deliveries['webhook:http://x/']!.state).toBe('failed');
    expect(times.at(-1)).toBe(T0 + RETRY_FOR_MS);
    expect(times.length).toBeLessThan(40);
  });

  it("a sink's events filter: the others get it, that one is skipped", async () => {
    const pager: SinkSpec = { type: 'command', argv: ['/bin/pager'], events: ['needs-input'] };
    const all: SinkSpec = { type: 'command', argv: ['/bin/all'] };
    store.tx(() => store.outbox.enqueue(draft('k3'), 'job', [pager, all], now));
    const got: string[] = [];
    const n = notifier(async (sink) => {
      got.push(sink.type === 'command' ? sink.argv[0]! : sink.type);
      return { ok: true, detail: 'exit 0' };
    });
    n.poke();
    await n.idle();
    expect(got).toEqual(['/bin/all']);
    const row = store.outbox.list()[0]!;
    expect(row.state).toBe('sent');
    expect(row.deliveries['command:/bin/pager']!.state).toBe('skipped');
  });

  it("the config's global sinks are read when sending, not when enqueued", async () => {
    store.tx(() => store.outbox.enqueue(draft('k4'), 'job', null, now));
    let config = EMPTY_CONFIG;
    const got: string[] = [];
    const n = notifier(
      async (sink) => {
        got.push(sink.type);
        return { ok: true, detail: 'shown' };
      },
      { config: () => config },
    );
    config = { ...EMPTY_CONFIG, notify: [{ type: 'desktop' }] };
    n.poke();
    await n.idle();
    expect(got).toEqual(['desktop']);
  });

  it('a permanent failure (a 4xx, a missing program) is not tried again', async () => {
    store.tx(() => store.outbox.enqueue(draft('k5'), 'job', [hook], now));
    const n = notifier(async () => ({ ok: false, detail: 'HTTP 404', permanent: true }));
    n.poke();
    await n.idle();
    expect(store.outbox.list()[0]).toMatchObject({ state: 'failed', attempts: 1, error: 'HTTP 404' });
  });

  it('a row left `sending` by a dead owner is sent again with its key; one a live owner sends is left alone', async () => {
    store.tx(() => {
      store.outbox.enqueue(draft('dead-owner'), 'job', [hook], now);
      store.outbox.enqueue(draft('live-owner'), 'job', [hook], now);
      const [a, b] = store.outbox.list();
      store.outbox.claim(a!.id, a!, { pid: 999_999, start: 'gone' }, now);
      store.outbox.claim(b!.id, b!, { pid: 4242, start: 'alive' }, now);
    });
    const keys: string[] = [];
    const n = notifier(async () => ({ ok: true, detail: 'HTTP 200' }), {
      running: (o) => o.pid === 4242,
      send: async (_s, body) => {
        keys.push(body.key);
        return { ok: true, detail: 'HTTP 200' };
      },
    });
    n.poke();
    await n.idle();
    expect(keys).toEqual(['dead-owner']);
    expect(store.outbox.list().map((r) => [r.key, r.state, r.attempts])).toEqual([
      ['dead-owner', 'sent', 2],
      ['live-owner', 'sending', 1],
    ]);
  });

  it('a row this process left `sending` (its settle failed: the store busy) is sent again, not stuck until a restart', async () => {
    store.tx(() => {
      store.outbox.enqueue(draft('settle-failed'), 'job', [hook], now);
      const [row] = store.outbox.list();
      store.outbox.claim(row!.id, row!, ME, now);
    });
    const keys: string[] = [];
    const n = notifier(async () => ({ ok: true, detail: 'HTTP 200' }), {
      running: (o) => o.pid === ME.pid,
      send: async (_s, body) => {
        keys.push(body.key);
        return { ok: true, detail: 'HTTP 200' };
      },
    });
    n.poke();
    await n.idle();
    expect(keys).toEqual(['settle-failed']);
    expect(store.outbox.list().map((r) => [r.key, r.state])).toEqual([['settle-failed', 'sent']]);
  });

  it('at most `concurrency` sends at once; the rest wait their turn', async () => {
    store.tx(() => {
      for (let i = 0; i < 10; i++) store.outbox.enqueue(draft(`c${i}`), 'job', [hook], now);
    });
    const release: (() => void)[] = [];
    let most = 0;
    let open = 0;
    const n = notifier(
      () =>
        new Promise<SinkResult>((resolve) => {
          open++;
          most = Math.max(most, open);
          release.push(() => {
            open--;
            resolve({ ok: true, detail: 'HTTP 200' });
          });
        }),
      { concurrency: 3 },
    );
    n.poke();
    expect(n.busy).toBe(3);
    while (store.outbox.list().some((r) => r.state !== 'sent')) {
      await new Promise((r) => setImmediate(r));
      release.shift()?.();
    }
    await n.idle();
    expect(most).toBe(3);
  });
});
