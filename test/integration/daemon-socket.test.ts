import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { askDaemon } from '../../src/cli/ask-daemon.js';
import { VERSION } from '../../src/version.js';
import type { TaskView } from '../../src/views/task.js';
import { currentDaemonPid, waitForDaemon } from '../helpers/daemon.js';
import { type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

/** What a listing says of each task that does not move with the clock. */
const settled = (views: TaskView[]) => views.map((v) => ({ name: v.name, state: v.state, pid: v.pid }));

async function twoTasks(h: Home): Promise<void> {
  await h.json(['run', '--name', 'one', '--', 'sleep', '600']);
  await h.json(['run', '--name', 'two', '--', 'sleep', '600']);
  await waitForDaemon(h);
  await waitFor(
    () => askDaemon('ls', VERSION, h.env),
    (answer) => answer !== null && (JSON.parse(answer) as TaskView[]).every((v) => v.pid !== null),
    { what: 'the daemon answering with both tasks running', timeoutMs: 10_000 },
  );
}

describe("the daemon's socket", () => {
  const home = useHome({ daemon: true });
  const servers: Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  it("answers ls with the listing the store gives, and says nothing to another version's CLI", async () => {
    const h = home();
    await twoTasks(h);
    const answer = await askDaemon('ls', VERSION, h.env);
    // The CLI's own reading of the store, with no daemon asked.
    const direct = await h.cli(['ls', '--json'], { env: { HOLDFAST_NO_DAEMON: '1' } });
    expect(direct.code, direct.stderr).toBe(0);
    expect(settled(JSON.parse(answer!) as TaskView[])).toEqual(
      settled(JSON.parse(direct.stdout) as TaskView[]),
    );
    expect(settled(JSON.parse(answer!) as TaskView[]).map((v) => v.name)).toEqual(['one', 'two']);
    expect(await askDaemon('ls', '0.0.0-other', h.env)).toBeNull();
  });

  it('`ls --json` prints what the socket answers, and reads the store when the socket says nothing', async () => {
    const h = home();
    await h.json(['run', '--name', 'real', '--', 'sleep', '600']);
    await waitForDaemon(h);
    // The daemon's socket swapped for one that answers this version with a listing no store holds.
    const path = join(h.dir, 'daemon.sock');
    await h.cli(['daemon', 'stop']);
    let version = VERSION;
    const server = createServer((socket) => {
      socket.once('data', (line) =>
        socket.end(String(line) === `ls ${version}\n` ? '[\n  "from the socket"\n]\n' : ''),
      );
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(path, resolve));
    const asked = await h.cli(['ls', '--json']);
    expect(asked.code, asked.stderr).toBe(0);
    expect(JSON.parse(asked.stdout)).toEqual(['from the socket']);
    version = 'another';
    const fallback = await h.cli(['ls', '--json']);
    expect(fallback.code, fallback.stderr).toBe(0);
    expect(fallback.stdout).not.toContain('from the socket');
    expect(settled(JSON.parse(fallback.stdout) as TaskView[]).map((v) => v.name)).toEqual(['real']);
  });

  it('a stopped daemon (SIGSTOP) does not hold `ls --json` up: after the answer timeout the CLI reads the store', async () => {
    const h = home();
    await twoTasks(h);
    const pid = currentDaemonPid(h)!;
    process.kill(pid, 'SIGSTOP');
    try {
      const started = Date.now();
      const r = await h.cli(['ls', '--json']);
      const tookMs = Date.now() - started;
      expect(r.code, r.stderr).toBe(0);
      expect(settled(JSON.parse(r.stdout) as TaskView[]).map((v) => v.name)).toEqual(['one', 'two']);
      expect(tookMs, `ls took ${tookMs} ms`).toBeGreaterThanOrEqual(1000);
      expect(tookMs, `ls took ${tookMs} ms`).toBeLessThan(8000);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });

  it('goes with its daemon: removed at a stop, replaced by the next daemon after a kill -9', async () => {
    const h = home();
    await twoTasks(h);
    const path = join(h.dir, 'daemon.sock');
    const first = currentDaemonPid(h)!;
    process.kill(first, 'SIGKILL');
    const second = await waitForDaemon(h, first);
    await waitFor(
      () => askDaemon('ls', VERSION, h.env),
      (answer) => answer !== null,
      { what: `daemon ${second} answering on the socket the killed one left`, timeoutMs: 10_000 },
    );
    expect((await h.cli(['daemon', 'stop'])).code).toBe(0);
    expect(existsSync(path)).toBe(false);
  });

  it('something other than a socket at its path is left alone, and the CLI reads the store', async () => {
    const h = home();
    writeFileSync(join(h.dir, 'daemon.sock'), 'not a socket\n');
    await h.json(['run', '--name', 'only', '--', 'sleep', '600']);
    await waitForDaemon(h);
    const log = await waitFor(
      () => readFileSync(join(h.dir, 'daemon.log'), 'utf8'),
      (text) => text.includes('not answering CLIs'),
      { what: 'the daemon saying it does not answer CLIs', timeoutMs: 10_000 },
    );
    expect(log).toContain('something other than a socket is there');
    expect(readFileSync(join(h.dir, 'daemon.sock'), 'utf8')).toBe('not a socket\n');
    const r = await h.cli(['ls', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(settled(JSON.parse(r.stdout) as TaskView[]).map((v) => v.name)).toEqual(['only']);
  });
});
