import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TmuxClient } from './client.js';
import { TmuxError } from './errors.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A tmux that answers `-V` and then never answers anything else (it sleeps, its pid in a file). */
function hangingTmux(): { client: (timeoutMs?: number) => TmuxClient; pid: () => number } {
  const dir = mkdtempSync(join(tmpdir(), 'hf-tmux-'));
  dirs.push(dir);
  const bin = join(dir, 'tmux');
  const pidFile = join(dir, 'hung.pid');
  writeFileSync(
    bin,
    `#!/bin/sh\ncase "$1" in -V) echo 'tmux 3.3a'; exit 0 ;; esac\necho $$ >'${pidFile}'\nexec sleep 60\n`,
  );
  chmodSync(bin, 0o755);
  return {
    client: (timeoutMs) =>
      new TmuxClient({
        socket: join(dir, 'sock'),
        configFile: join(dir, 'conf'),
        eventsFile: join(dir, 'events'),
        serverEnv: { PATH: process.env.PATH },
        tmuxBin: bin,
        ...(timeoutMs === undefined ? {} : { timeoutMs }),
      }),
    pid: () => Number(readFileSync(pidFile, 'utf8').trim()),
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

describe('a tmux call that does not answer', () => {
  it('fails at its timeout as a failed call (not a lost server), and its client is killed', async () => {
    const tmux = hangingTmux();
    const client = tmux.client(300);
    const started = Date.now();
    const error = await client.listPanes().then(
      () => null,
      (e: unknown) => e,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(error).toBeInstanceOf(TmuxError);
    expect((error as TmuxError).noServer).toBe(false);
    expect((error as TmuxError).message).toMatch(/no answer in 300 ms/);
    const pid = tmux.pid();
    const deadline = Date.now() + 2000;
    while (alive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(alive(pid)).toBe(false);
  });
});
