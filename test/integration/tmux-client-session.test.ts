import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TmuxClient } from '../../src/tmux/client.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('tmux clients', () => {
  it("run in a session of their own with no controlling terminal, so a hangup of the daemon's terminal cannot kill one mid-launch", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-client-'));
    dirs.push(dir);
    // Stands in for tmux: says its version, then prints its pid, session id and terminal (from
    // /proc/<pid>/stat: fields 6 and 7 are the session and the tty, 0 for none).
    const bin = join(dir, 'tmux');
    writeFileSync(
      bin,
      `#!/bin/sh\nif [ "$1" = -V ]; then echo 'tmux 3.3a'; exit 0; fi\nread -r pid comm state ppid pgrp session tty rest </proc/$$/stat\necho "$pid $session $tty"\n`,
    );
    chmodSync(bin, 0o755);
    const client = new TmuxClient({
      socket: join(dir, 'sock'),
      configFile: join(dir, 'conf'),
      eventsFile: join(dir, 'events'),
      serverEnv: { PATH: process.env.PATH ?? '' },
      tmuxBin: bin,
    });

    const [pid, session, tty] = (await client.exec(['list-panes'])).trim().split(' ').map(Number);

    expect(session).toBe(pid);
    expect(tty).toBe(0);
  });
});
