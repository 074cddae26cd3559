import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SinkSpec } from '../core/notify.js';
import { checkNotifySend, checkSinks } from './doctor-sinks.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the notification checks of doctor', () => {
  it('with no sinks configured, the sink check is skipped and notify-send is not mentioned', async () => {
    expect(await checkSinks([], {})).toEqual([
      { name: 'notify', status: 'skip', detail: 'no sinks configured' },
    ]);
    expect(checkNotifySend([], { PATH: '' })).toEqual([]);
  });

  it('a desktop sink without notify-send on PATH is one warning, however many desktop sinks', () => {
    const sinks: SinkSpec[] = [
      { type: 'desktop' },
      { type: 'desktop', name: 'second' },
      { type: 'webhook', url: 'http://127.0.0.1:1/', format: 'raw' },
    ];
    const none = checkNotifySend(sinks, { PATH: '/nonexistent' });
    expect(none).toHaveLength(1);
    expect(none[0]).toMatchObject({ name: 'notify-send', status: 'warn' });
    const dir = mkdtempSync(join(tmpdir(), 'hf-ns-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'notify-send'), '#!/bin/sh\n', { mode: 0o755 });
    expect(checkNotifySend(sinks, { PATH: dir })).toEqual([
      { name: 'notify-send', status: 'ok', detail: join(dir, 'notify-send') },
    ]);
  });

  it('each command and webhook sink is dry-run: a listening webhook and an executable command ok, a closed port and a missing program fail', async () => {
    const server = createServer((socket) => socket.end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    try {
      const checks = await checkSinks(
        [
          { type: 'webhook', url: `http://127.0.0.1:${port}/hook`, format: 'raw', name: 'up' },
          { type: 'webhook', url: `http://127.0.0.1:${closedPort}/hook`, format: 'raw', name: 'down' },
          { type: 'command', argv: ['/bin/true'] },
          { type: 'command', argv: ['/nonexistent/page-me'] },
          { type: 'desktop' },
        ],
        { PATH: '/usr/bin:/bin' },
      );
      expect(checks.map((c) => [c.name, c.status])).toEqual([
        ['notify up', 'ok'],
        ['notify down', 'fail'],
        ['notify command:/bin/true', 'ok'],
        ['notify command:/nonexistent/page-me', 'fail'],
      ]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
