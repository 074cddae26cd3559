import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { daemonLive, PID_FILE_STALE_MS } from '../../src/hook/daemon-live.js';
import { STALE_AFTER_MS } from '../../src/supervisor/lease.js';

const dir = mkdtempSync(join(tmpdir(), 'hf-live-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('daemonLive', () => {
  it('calls a daemon gone when the lease would: the same staleness', () => {
    expect(PID_FILE_STALE_MS).toBe(STALE_AFTER_MS);
  });

  it('is live for a running pid in a fresh file only', () => {
    const file = join(dir, 'daemon.pid');
    const now = Date.now();
    expect(daemonLive(file, now)).toBe(false);
    writeFileSync(file, `${process.pid}\n`);
    expect(daemonLive(file, Date.now())).toBe(true);
    const old = new Date(now - PID_FILE_STALE_MS - 1000);
    utimesSync(file, old, old);
    expect(daemonLive(file, now)).toBe(false);
    writeFileSync(file, '999999999\n');
    expect(daemonLive(file, Date.now())).toBe(false);
    writeFileSync(file, 'garbage\n');
    expect(daemonLive(file, Date.now())).toBe(false);
  });
});
