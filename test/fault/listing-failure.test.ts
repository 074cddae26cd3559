import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitForDaemon } from '../helpers/daemon.js';
import { useHome } from '../helpers/home.js';
import { installTmuxFaults } from '../helpers/tmux-faults.js';
import { waitFor } from '../helpers/wait.js';

// A tmux client can fail a listing with `server exited unexpectedly` while the server runs on (a
// client killed or starved under load): that is no lost server, and no task may be restarted for it.
const home = useHome({ daemon: true });

describe('a listing that fails while the tmux server lives', () => {
  it('ends no run and restarts nothing: the daemon looks again and the task keeps its first run', async () => {
    const h = home();
    const faults = installTmuxFaults(h);
    expect((await h.cli(['run', '--name', 't', '--restart', 'always', '--', 'sleep', '600'])).code).toBe(0);
    await waitForDaemon(h);
    const before = await h.status('t');
    faults.arm('daemon', 'list-panes', 'fail');
    await waitFor(
      () => faults.taken('daemon', 'list-panes', 'fail'),
      (taken) => taken,
      { what: "the daemon's failed listing", timeoutMs: 15_000 },
    );
    // What the daemon made of it, in its own words: a server it takes as gone, or one it looks at again.
    await waitFor(
      () => readFileSync(join(h.dir, 'daemon.log'), 'utf8'),
      (log) => /tmux server is gone|tmux did not answer a listing/.test(log),
      { what: 'the daemon to act on the failed listing', timeoutMs: 5_000 },
    );
    const after = await waitFor(
      () => h.status('t'),
      (s) => s.state === 'running',
      { what: 't running' },
    );
    const journal = await h.events('t');
    expect(after.runs.map((r) => r.n)).toEqual([1]);
    expect(after.pid).toBe(before.pid);
    expect(journal.map((e) => e.type)).not.toContain('exited');
  });
});
