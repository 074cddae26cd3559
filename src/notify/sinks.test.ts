import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { NotificationBody } from '../core/notifications.js';
import { sendToSink } from './sinks.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const BODY: NotificationBody = {
  key: 'task/1/run/1/failed',
  event: 'failed',
  task: 'job',
  state: 'failed',
  run: 1,
  at: '2026-12-01T00:00:00.000Z',
  text: 'job failed',
  data: {},
};

function script(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'hf-sink-'));
  dirs.push(dir);
  const path = join(dir, 'sink.sh');
  writeFileSync(path, `#!/bin/sh\n${text}\n`);
  chmodSync(path, 0o700);
  return path;
}

describe('the command sink', () => {
  it('is judged by its exit: a background child it leaves holding stderr is no hang', async () => {
    // The child outlives the sink by a second and ends by itself.
    const path = script('cat >/dev/null; sleep 1 & exit 0');
    const started = Date.now();
    const result = await sendToSink({ type: 'command', argv: [path] }, BODY, {
      env: {},
      commandTimeoutMs: 5000,
    });
    expect(result).toMatchObject({ ok: true, detail: 'exit 0' });
    expect(Date.now() - started).toBeLessThan(900);
  });

  it('a failing exit says its status and the last line of stderr', async () => {
    const path = script('cat >/dev/null; echo "first" >&2; echo "no route to pager" >&2; exit 3');
    const result = await sendToSink({ type: 'command', argv: [path] }, BODY, {
      env: {},
      commandTimeoutMs: 5000,
    });
    expect(result).toMatchObject({ ok: false, detail: 'exit 3: no route to pager' });
  });
});
