import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { daemonLive } from '../../src/hook/daemon-live.js';
import { waitForDaemon } from '../helpers/daemon.js';
import { useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome({ daemon: true });

describe('what the hook knows of the daemon', () => {
  it("the daemon's heartbeat keeps its pid file fresh, and a stopped daemon is not live", async () => {
    const h = home();
    const pidFile = join(h.dir, 'daemon.pid');
    expect((await h.cli(['daemon', 'start'])).code).toBe(0);
    await waitForDaemon(h);
    const first = statSync(pidFile).mtimeMs;
    await waitFor(
      () => statSync(pidFile).mtimeMs,
      (m) => m > first,
      { what: 'a beat of the pid file', timeoutMs: 6000 },
    );
    expect(daemonLive(pidFile, Date.now())).toBe(true);
    expect((await h.cli(['daemon', 'stop'])).code).toBe(0);
    await waitFor(
      () => daemonLive(pidFile, Date.now()),
      (live) => !live,
      { what: 'the daemon gone' },
    );
  });
});
