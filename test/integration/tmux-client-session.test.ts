import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

describe('many sessions in few tmux invocations', () => {
  it('creates 60 sessions in chained calls; one whose name is taken fails alone, and those after it are still made', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hf-many-'));
    dirs.push(dir);
    const socket = join(dir, 'sock');
    writeFileSync(join(dir, 'conf'), '');
    // The real tmux, each invocation counted.
    const calls = join(dir, 'calls');
    const bin = join(dir, 'tmux');
    writeFileSync(bin, `#!/bin/sh\necho "$1" >> '${calls}'\nexec tmux "$@"\n`);
    chmodSync(bin, 0o755);
    const client = new TmuxClient({
      socket,
      configFile: join(dir, 'conf'),
      eventsFile: join(dir, 'events'),
      serverEnv: { PATH: process.env.PATH ?? '' },
      tmuxBin: bin,
    });
    try {
      await client.exec(['new-session', '-d', '-s', 's17', '--', 'sleep', '1000']);
      const launches = Array.from({ length: 60 }, (_, i) => ({
        target: `s${i}`,
        cwd: dir,
        argv: ['sleep', '1000'],
        options: { '@hf_run': String(i) },
        logFile: join(dir, `s${i}.log`),
      }));
      const before = readFileSync(calls, 'utf8').split('\n').length;
      const results = await client.newSessions(launches);
      const invocations = readFileSync(calls, 'utf8').split('\n').length - before;
      // 60 sessions with their options and pipes, a few KB of argv each call; the failure costs one more.
      expect(invocations).toBeLessThanOrEqual(8);
      expect(results).toHaveLength(60);
      const failed = results.flatMap((r, i) => (r instanceof Error ? [i] : []));
      expect(failed).toEqual([17]);
      expect(String(results[17])).toContain('duplicate session');
      const panes = (await client.listPanes()) ?? [];
      const pidOf = new Map(panes.map((p) => [p.session, p.pid]));
      for (const [i, r] of results.entries()) if (i !== 17) expect(pidOf.get(`s${i}`), `s${i}`).toBe(r);
      expect(pidOf.size).toBe(60);
    } finally {
      await client.exec(['kill-server']).catch(() => undefined);
    }
  });
});
