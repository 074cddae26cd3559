/**
 * The tmux status line of each task's session, on the home's private server with a real daemon:
 * it follows the task's state within a second, marks another task that waits for input, and shows
 * hostile text (an agent's tool input) as it is, running nothing. What a person sees is read from
 * a real client attached to the session (a viewer in a second private tmux server), as well as
 * from `display-message` of the status format.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { statusLiteral } from '../../src/tmux/argv.js';
import { TmuxClient } from '../../src/tmux/client.js';
import { renderTmuxConfig, STATUS_OPTIONS } from '../../src/tmux/config.js';
import { waitForDaemon } from '../helpers/daemon.js';
import { claudeScratches } from '../helpers/fake-tui.js';
import { type Home, useHome } from '../helpers/home.js';
import { prng, testSeed } from '../helpers/random.js';
import { waitFor } from '../helpers/wait.js';

const { scratch } = claudeScratches('hf-stl-');
const home = useHome({ daemon: true });
const NBSP = '\u00a0';

const right = (h: Home, name: string) =>
  h.tmux(['display-message', '-p', '-t', `=${name}:`, '#{T:status-right}']).trim();

/** Viewers: a second private tmux server whose panes attach read-only clients to holdfast's sessions. */
const viewers: string[] = [];
afterEach(() => {
  for (const dir of viewers.splice(0)) {
    try {
      execFileSync('tmux', ['-S', join(dir, 'v.sock'), 'kill-server'], { stdio: 'ignore' });
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Attaches a client to `session` and returns a function reading the status line it draws. */
function attachViewer(h: Pick<Home, 'env' | 'socket'>, session: string): () => string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'hf-view-')));
  viewers.push(dir);
  const socket = join(dir, 'v.sock');
  const env = { ...h.env };
  delete env.TMUX;
  execFileSync(
    'tmux',
    [
      '-S',
      socket,
      '-f',
      '/dev/null',
      'new-session',
      '-d',
      '-s',
      'v',
      '-x',
      '250',
      '-y',
      '10',
      'env',
      '-u',
      'TMUX',
      'tmux',
      '-S',
      h.socket,
      'attach-session',
      '-r',
      '-t',
      `=${session}`,
    ],
    { env },
  );
  return () => {
    const lines = execFileSync('tmux', ['-S', socket, 'capture-pane', '-p', '-t', 'v'], {
      encoding: 'utf8',
      env,
    }).split('\n');
    // The client's last row is holdfast's status line (capture ends with an empty line).
    return lines.filter((l) => l.length > 0).at(-1) ?? '';
  };
}

function taskPid(h: Home, name: string): Promise<number> {
  return waitFor(
    async () => (await h.status(name)).pid,
    (pid) =>
      typeof pid === 'number' &&
      h.tmux(['list-panes', '-t', `=${name}:`, '-F', '#{pane_dead}']).trim() === '0',
    { what: `${name}'s pid` },
  ) as Promise<number>;
}

describe('the tmux status line of a task session', () => {
  it("shows the task's state, restarts and next start, and follows a death", async () => {
    const h = home();
    const r = await h.cli([
      'run',
      '-n',
      'st',
      '--restart',
      'always',
      '--backoff',
      '1h',
      '--',
      'sleep',
      '600',
    ]);
    expect(r.code, r.stderr).toBe(0);
    await waitForDaemon(h);
    await waitFor(
      () => right(h, 'st'),
      (v) => v.startsWith('running · 0 restarts | '),
      { what: 'the running line', timeoutMs: 5000 },
    );
    const view = attachViewer(h, 'st');
    await waitFor(view, (v) => v.includes('[hf st]') && v.includes('running · 0 restarts'), {
      what: "the client's status line",
    });
    const pid = await taskPid(h, 'st');
    process.kill(pid, 'SIGKILL');
    // How fast is measured by the bench, not asserted here: a loaded machine may take seconds.
    const seen = await waitFor(
      () => right(h, 'st'),
      // A start on another day shows its date (near midnight, an hour's backoff is tomorrow).
      (v) => /^backoff, restarts (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d · 0 restarts \| /.test(v),
      { what: 'the backoff line', timeoutMs: 15_000 },
    );
    const task = await h.status('st');
    expect(task.state).toBe('backoff');
    const at = new Date(task.nextStartAt!);
    const two = (n: number) => String(n).padStart(2, '0');
    const today = new Date();
    const sameDay = at.toDateString() === today.toDateString();
    const time = `${sameDay ? '' : `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} `}${[at.getHours(), at.getMinutes(), at.getSeconds()].map(two).join(':')}`;
    expect(seen).toContain(`restarts ${time}`);
    await waitFor(view, (v) => v.includes(`backoff, restarts ${time}`), {
      what: 'the drawn backoff line',
      timeoutMs: 10_000,
    });
    // Another task restarts at once: its line counts the restart.
    expect(
      (await h.cli(['run', '-n', 'quick', '--restart', 'always', '--backoff', '0s', '--', 'sleep', '600']))
        .code,
    ).toBe(0);
    const quick = await taskPid(h, 'quick');
    process.kill(quick, 'SIGKILL');
    await waitFor(
      () => right(h, 'quick'),
      (v) => v.startsWith('running · 1 restart | '),
      { what: 'the line after a restart', timeoutMs: 2000 },
    );
  });

  it('marks another task that waits for input on every other session, and shows its question literally', async () => {
    const h = home();
    const s = scratch();
    const marker = join(s.dir, 'pwned');
    const other = await h.cli(['run', '-n', 'other', '--', 'sleep', '600']);
    expect(other.code, other.stderr).toBe(0);
    const c = await h.cli(
      [
        'run',
        '--agent',
        'claude',
        '--interactive',
        '--trust',
        '-n',
        'c',
        '-C',
        s.work,
        '--allow',
        'Bash(npm test*)',
      ],
      {
        env: s.env,
      },
    );
    expect(c.code, c.stderr).toBe(0);
    await waitForDaemon(h);
    await waitFor(
      () => h.tmux(['capture-pane', '-p', '-t', '=c:']),
      (v) => v.includes(`❯${NBSP}`),
      { what: "claude's empty composer" },
    );
    await waitFor(
      () => right(h, 'other'),
      (v) => v.startsWith('running · 0 restarts | detach'),
      { what: "other's line, no marker" },
    );
    const viewOther = attachViewer(h, 'other');
    const viewC = attachViewer(h, 'c');
    // A tool input an agent chose: tmux would run `#(…)` and substitute `#{…}` (no `]`: the fake's
    // directive ends at one; a style `#[…]` is left to the unit test of statusLiteral).
    const hostile = `#(touch ${marker}) ##{pid} #{session_name}`;
    const buffer = `t-${process.pid}-${Date.now()}`;
    execFileSync('tmux', ['-S', h.socket, 'load-buffer', '-b', buffer, '-'], {
      input: `go [[tool Bash ${hostile}]]`,
      env: h.env,
    });
    h.tmux(['paste-buffer', '-p', '-d', '-b', buffer, '-t', '=c:']);
    await new Promise((r) => setTimeout(r, 300)); // INTERACTIVE.md §2's paste-then-Enter delay, not a wait for state
    h.tmux(['send-keys', '-t', '=c:', 'Enter']);
    await waitFor(
      async () => (await h.status('c')).state,
      (v) => v === 'waiting-input',
      { what: 'c waiting for input' },
    );
    const waitingAt = Date.now();
    await waitFor(
      () => right(h, 'other'),
      (v) => v.includes('input wanted: c '),
      { what: 'the marker on other', timeoutMs: 1000 },
    );
    expect(Date.now() - waitingAt).toBeLessThan(1000);
    await waitFor(viewOther, (v) => v.includes('input wanted: c'), {
      what: 'the drawn marker',
      timeoutMs: 1000,
    });
    // Not on the session of the task that waits: its own line says what it asks.
    const own = await waitFor(viewC, (v) => v.includes('waiting-input, asks Bash: '), {
      what: "c's own drawn line",
      timeoutMs: 1000,
    });
    expect(own).not.toContain('input wanted');
    expect(own).toContain(`asks Bash: ${hostile}: holdfast answer`);
    expect(existsSync(marker)).toBe(false);
    const question = (await h.status('c')).question!;
    const answered = await h.cli(['answer', 'c', 'no']);
    expect(answered.code, answered.stderr).toBe(0);
    expect(question.input).toBe(hostile);
    await waitFor(
      () => right(h, 'other'),
      (v) => !v.includes('input wanted'),
      { what: 'the marker gone', timeoutMs: 5000 },
    );
    await waitFor(viewOther, (v) => !v.includes('input wanted'), { what: 'the drawn marker gone' });
    expect(existsSync(marker)).toBe(false);
  });
});

describe('text in the status line', () => {
  it('is drawn as it is: no command runs, no format is expanded, no style applies', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'hf-stx-')));
    viewers.push(dir);
    const socket = join(dir, 's.sock');
    const conf = join(dir, 'tmux.conf');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(conf, renderTmuxConfig());
    const env = { ...process.env };
    delete env.TMUX;
    const tmux = new TmuxClient({
      socket,
      configFile: conf,
      eventsFile: join(dir, 'events'),
      serverEnv: env,
    });
    try {
      await tmux.exec(['new-session', '-d', '-s', 't', '-x', '200', '-y', '10', 'sleep', '600']);
      const view = attachViewer({ env, socket }, 't');
      const canary = join(dir, 'ran');
      const pieces = [
        `#(touch ${canary})`,
        '#{session_name}',
        '#[fg=red]',
        '##',
        '#',
        ';',
        ',',
        '}',
        '{',
        '?',
        '|',
        "'",
        '"',
        'a',
        ' ',
        '\n',
      ];
      const seed = testSeed();
      const random = prng(seed);
      const texts = ['#(touch X) #[fg=red]x ##y #{pid}'.replace('X', canary), 'ends in ;', ',}', ''];
      for (let i = 0; i < 12; i++)
        texts.push(
          Array.from(
            { length: 1 + Math.floor(random() * 6) },
            () => pieces[Math.floor(random() * pieces.length)],
          ).join(''),
        );
      for (const text of texts) {
        await tmux.setUserOptions([
          { session: 't', options: { [STATUS_OPTIONS.status]: statusLiteral(text) } },
        ]);
        // statusLiteral makes a run of newlines one space, as here.
        const shown = text.replace(/\n+/g, ' ').trim();
        const want = shown === '' ? ' detach: C-] d' : `${shown} | detach: C-] d`;
        await waitFor(view, (v) => v.endsWith(want), {
          what: `${JSON.stringify(text)} drawn (seed ${seed})`,
          timeoutMs: 2000,
        });
      }
      expect(existsSync(canary), `seed ${seed}`).toBe(false);
    } finally {
      await tmux.exec(['kill-server']).catch(() => undefined);
    }
  });
});
