import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { minimalEnvironment } from '../../src/core/minimal-env.js';
import type { JournalEvent } from '../../src/store/events.js';
import { TmuxClient } from '../../src/tmux/client.js';
import { renderTmuxConfig } from '../../src/tmux/config.js';
import type { TaskView } from '../../src/views/task.js';
import { cleanupHome, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome();

/** Folders outside the home that a test points links at; removed (with any server in them) after it. */
const outside: string[] = [];
afterEach(() => {
  for (const dir of outside.splice(0)) cleanupHome(dir, join(dir, 'tmux.sock'));
});

/** A folder outside the home holding one file, with an ordinary 0755 mode holdfast must not change. */
function victimDir(): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'hf-victim-')));
  outside.push(dir);
  writeFileSync(join(dir, 'keep.txt'), 'mine\n');
  chmodSync(dir, 0o755);
  return dir;
}

function expectUntouched(dir: string): void {
  expect((statSync(dir).mode & 0o777).toString(8)).toBe('755');
  expect(readdirSync(dir)).toEqual(['keep.txt']);
  expect(readFileSync(join(dir, 'keep.txt'), 'utf8')).toBe('mine\n');
}

function expectRefusal(result: { code: number; stderr: string }, path: string, why: string): void {
  expect(result.code).not.toBe(0);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines[0]).toBe(`holdfast: refusing ${path}: ${why}`);
  // One line, and the hint.
  expect(lines).toHaveLength(2);
  expect(lines[1]).toMatch(/^hint: /);
}

describe('nothing under the home is written through a link', () => {
  it('a task folder planted as a link to another folder: run is refused, the folder is untouched', async () => {
    const h = home();
    expect((await h.cli(['ls'])).code).toBe(0);
    const victim = victimDir();
    const planted = join(h.dir, 'tasks', 'evil');
    symlinkSync(victim, planted);

    const result = await h.cli(['run', '--name', 'evil', '--', 'sh', '-c', 'echo output']);

    expectRefusal(result, planted, 'it is a symbolic link');
    expectUntouched(victim);
    expect(existsSync(join(victim, 'env'))).toBe(false);
    expect(JSON.parse((await h.cli(['ls', '--json'])).stdout)).toEqual([]);
    expect(realpathSync(planted)).toBe(victim);
  });

  it('a run-2.log planted as a link: the restart fails with the reason and the target gets nothing', async () => {
    const h = home();
    const first = await h.json<TaskView>(['run', '--name', 't', '--', 'sh', '-c', 'echo output-of-a-run']);
    await waitFor(
      () => h.status(first.name),
      (s) => s.state === 'succeeded',
      { what: 'run 1 to end' },
    );
    const victim = victimDir();
    const target = join(victim, 'keep.txt');
    const planted = join(h.dir, 'tasks', 't', 'run-2.log');
    symlinkSync(target, planted);

    const result = await h.cli(['restart', 't']);

    expectRefusal(result, planted, 'it is a symbolic link');
    const status = await h.status('t');
    expect(status.state).toBe('failed');
    expect(status.reason).toBe(`launch failed: refusing ${planted}: it is a symbolic link`);
    const events = await h.json<JournalEvent[]>(['events', 't']);
    expect(events.map((e) => e.type)).toContain('start-failed');
    expectUntouched(victim);
    expect(readFileSync(join(h.dir, 'tasks', 't', 'run-1.log'), 'utf8')).toContain('output-of-a-run');
  });

  it("tmux's pipe refuses a log that became a link after holdfast created it", async () => {
    // The race the O_EXCL check cannot see: the link appears between holdfast's check and the
    // moment tmux's pipe opens the log by name.
    const h = home();
    const config = join(h.dir, 'tmux.conf');
    writeFileSync(config, renderTmuxConfig());
    const tmux = new TmuxClient({
      socket: h.socket,
      configFile: config,
      eventsFile: join(h.dir, 'events'),
      serverEnv: minimalEnvironment(process.env),
    });
    const victim = victimDir();
    const planted = join(h.dir, 'run-1.log');
    symlinkSync(join(victim, 'keep.txt'), planted);

    await tmux.newSession({
      target: 'p',
      cwd: h.dir,
      argv: ['sh', '-c', 'while :; do echo output-of-a-run; sleep 0.05; done'],
      options: {},
      logFile: planted,
    });

    // The output is on the screen, and the pipe has ended: dd refused to open the link, and tmux
    // closes a pipe when its next write finds no reader.
    await waitFor(
      async () => (await tmux.exec(['display-message', '-p', '-t', '=p:', '#{pane_pipe}'])).trim(),
      (pipe) => pipe === '0',
      { what: 'the pipe to end' },
    );
    expect(await tmux.exec(['capture-pane', '-p', '-t', '=p:'])).toContain('output-of-a-run');
    expectUntouched(victim);
  });

  it('HOLDFAST_HOME that is a symbolic link is refused, its target untouched', async () => {
    const h = home();
    const victim = victimDir();
    const link = join(h.dir, 'home-link');
    symlinkSync(victim, link);

    const result = await h.cli(['ls'], { env: { HOLDFAST_HOME: link } });

    expectRefusal(result, link, 'it is a symbolic link');
    expectUntouched(victim);
  });

  it('a home owned by another user is refused, nothing created in it', async () => {
    const h = home();
    const foreign = join(h.dir, 'foreign');
    mkdirSync(foreign, { mode: 0o700 });
    // The tests run as root (CI container); nobody is uid 65534.
    chownSync(foreign, 65534, 65534);

    const result = await h.cli(['ls'], { env: { HOLDFAST_HOME: foreign } });

    expectRefusal(result, foreign, `it is owned by uid 65534, not by you (uid ${process.geteuid!()})`);
    expect(readdirSync(foreign)).toEqual([]);
    expect(statSync(foreign).mode & 0o777).toBe(0o700);
  });

  it('a home other users can write to is refused, nothing created in it', async () => {
    const h = home();
    const open = join(h.dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);

    const result = await h.cli(['ls'], { env: { HOLDFAST_HOME: open } });

    expectRefusal(result, open, 'other users can write to it (mode 0777)');
    expect(readdirSync(open)).toEqual([]);
    expect(statSync(open).mode & 0o777).toBe(0o777);
  });
});
