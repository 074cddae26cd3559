import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkNotifySend, checkSinks } from './doctor-sinks.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the notification checks of doctor', () => {
  it('with no sinks configured, the sink check is skipped and notify-send is not mentioned', async () => {
    expect(await checkSinks([])).toEqual([{ name: 'notify', status: 'skip', detail: 'no sinks configured' }]);
    expect(checkNotifySend([], { PATH: '' })).toEqual([]);
  });

  it('a desktop sink without notify-send on PATH is one warning, however many desktop sinks', () => {
    const sinks = [{ type: 'desktop' }, { type: 'desktop', name: 'second' }, { type: 'webhook' }];
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
});
