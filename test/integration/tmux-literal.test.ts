import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { escapeFormat, escapeTmuxArg } from '../../src/tmux/argv.js';
import type { TaskView } from '../../src/views/task.js';
import type { DaemonStatusJson } from '../helpers/daemon.js';
import { BIN, cleanupHome, type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome();

/** Pieces tmux gives a meaning to in a format or a command list, and a little plain text. */
function tokens(canary: string): string[] {
  return [
    `#(touch ${canary})`,
    '#(',
    ')',
    '#{session_name}',
    '#{pane_id}',
    '#{',
    '}',
    '#[fg=red]',
    '#[',
    ']',
    '##',
    '#',
    ';',
    '\\;',
    '\\',
    '\n',
    ' ',
    "'",
    '"',
    '$HOME',
    ',',
    'a',
  ];
}

/** The names a reviewer would try first; the property below tries more. */
function fixedNames(canary: string): string[] {
  return [
    `x#(touch ${canary})`,
    '#{session_name}',
    'p#{pane_id}',
    '#[fg=red]styled',
    'two##hashes',
    'ends-with;',
    'ends-with\\;',
    'semi;colon',
    'new\nline',
    '#',
    `#{?#{pane_id},#(touch ${canary}),}`,
  ];
}

/** Runs `pwd` in `dir` as a task, then again after a restart (respawn-pane): both must be `dir`. */
async function expectRunsIn(h: Home, root: string, name: string, what: string): Promise<void> {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  const run = await h.cli(['run', '--json', '--cwd', dir, '--', 'sh', '-c', 'pwd -P >> .hf-pwd']);
  expect(run.code, `${what}: holdfast run failed: ${run.stderr}`).toBe(0);
  const task = (JSON.parse(run.stdout) as TaskView).name;
  await waitFor(
    () => h.status(task),
    (v) => v.state === 'succeeded',
    { what: `${what}: the first run to succeed` },
  );
  const restart = await h.cli(['restart', task]);
  expect(restart.code, `${what}: holdfast restart failed: ${restart.stderr}`).toBe(0);
  await waitFor(
    () => h.status(task),
    (v) => v.state === 'succeeded' && v.runs.length === 2,
    { what: `${what}: the second run to succeed` },
  );
  const marker = join(dir, '.hf-pwd');
  expect(existsSync(marker), `${what}: no marker in ${JSON.stringify(dir)}`).toBe(true);
  expect(readFileSync(marker, 'utf8'), what).toBe(`${dir}\n${dir}\n`);
  const status = await h.status(task);
  expect(status.cwd, what).toBe(dir);
  // tmux itself got the directory literally too, so a window opened in the session starts there.
  expect(h.tmux(['display-message', '-p', '-t', `=${task}:`, '#{session_path}']), what).toBe(`${dir}\n`);
}

describe('values reach tmux literally where tmux expands formats', () => {
  it('escapeFormat round-trips through the format expansion of the real tmux (property)', () => {
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'hf-')));
    const socket = join(root, 'sock');
    const canary = join(root, 'canary');
    const tmux = (args: string[]) =>
      execFileSync('tmux', ['-S', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
    try {
      tmux(['new-session', '-d', '-s', 'k', '--', 'sleep', '600']);
      const seed = Date.now() % 1_000_000;
      const value = fc
        .array(fc.constantFrom(...tokens(canary), '#D', '#S', '#h', '#,', '#}', '[', '{'), { maxLength: 8 })
        .map((parts) => parts.join(''));
      fc.assert(
        fc.property(value, (v) => {
          const shown = tmux(['display-message', '-p', '-t', '=k:', '--', escapeTmuxArg(escapeFormat(v))]);
          expect(shown, `seed ${seed}`).toBe(`${v}\n`);
        }),
        { seed, numRuns: 300 },
      );
      expect(existsSync(canary)).toBe(false);
    } finally {
      execFileSync('tmux', ['-S', socket, 'kill-server']);
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('a working directory full of #( ), #{ }, #[ ], ##, ;, \\; and newlines is the one the task runs in, and nothing in it runs', async () => {
    const h = home();
    const root = join(h.dir, 'cwds');
    const canary = join(h.dir, 'canary');
    const names = fixedNames(canary);
    for (const [i, name] of names.entries()) {
      await expectRunsIn(h, join(root, `f${i}`), name, `fixed name ${JSON.stringify(name)}`);
    }
    const seed = Date.now() % 1_000_000;
    const name = fc
      .array(fc.constantFrom(...tokens(canary)), { minLength: 1, maxLength: 6 })
      .map((parts) => parts.join(''));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(name, async (generated) => {
        n += 1;
        await expectRunsIn(
          h,
          join(root, `g${n}`),
          generated,
          `seed ${seed}, name ${JSON.stringify(generated)}`,
        );
      }),
      { seed, numRuns: 10, endOnFailure: true },
    );
    expect(existsSync(canary), `a #( ) ran (seed ${seed})`).toBe(false);
  }, 180_000);

  it('a run whose working directory has gone fails with the reason instead of running elsewhere', async () => {
    const h = home();
    const dir = join(h.dir, 'gone');
    mkdirSync(dir);
    const run = await h.json<TaskView>(['run', '--cwd', dir, '--', 'sh', '-c', 'pwd -P']);
    await waitFor(
      () => h.status(run.name),
      (v) => v.state === 'succeeded',
      { what: 'the first run' },
    );
    rmSync(dir, { recursive: true });
    expect((await h.cli(['restart', run.name])).code).toBe(0);
    const failed = await waitFor(
      () => h.status(run.name),
      (v) => v.runs.length === 2 && v.state === 'failed',
      { what: 'the second run to fail' },
    );
    expect(failed.exitCode).toBe(1);
    // The pipe's writer may still be writing the run's last bytes when its exit is recorded.
    const log = await waitFor(
      () => h.cli(['log', run.name, '--run', '2']),
      (r) => r.stdout !== '',
      { what: "the second run's output in its log" },
    );
    expect(log.stdout).toBe(`holdfast: cannot enter the working directory ${dir}\n`);
  });

  it('a HOLDFAST_HOME with #( ), #{ }, #[ ], ##, a newline and a trailing ; runs the watchdog and daemon, and nothing in it runs', async () => {
    const root = realpathSync(mkdtempSync(join(tmpdir(), 'hf-')));
    const canary = join(root, 'canary');
    // Kept short: the socket path inside must stay under the 107-byte unix limit.
    const dir = join(root, `h#(touch ${canary})#{pane_id}#[bold]##\n;`);
    mkdirSync(dir, { recursive: true });
    const socket = join(dir, 'tmux.sock');
    const env: NodeJS.ProcessEnv = { ...process.env, HOLDFAST_HOME: dir };
    delete env.HOLDFAST_NO_DAEMON;
    delete env.TMUX;
    delete env.TMUX_PANE;
    const cli = (args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [BIN, ...args], { env, cwd: root });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => {
          stdout += d;
        });
        child.stderr.on('data', (d) => {
          stderr += d;
        });
        child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });
    try {
      const run = await cli(['run', '--name', 'w', '--', 'sh', '-c', 'echo logged; sleep 600']);
      expect(run.code, run.stderr).toBe(0);
      const status = await waitFor(
        async () => JSON.parse((await cli(['daemon', 'status', '--json'])).stdout) as DaemonStatusJson,
        (s) => s.running && s.tasksSupervised === 1,
        { what: 'the daemon started by the watchdog of that home' },
      );
      expect(status.running).toBe(true);
      // The log the pane writes goes through pipe-pane, which tmux expands too.
      const task = JSON.parse((await cli(['status', 'w', '--json'])).stdout) as TaskView;
      expect(task.runs[0]!.log.startsWith(dir)).toBe(true);
      await waitFor(
        () => readFileSync(task.runs[0]!.log, 'utf8'),
        (text) => text === 'logged\r\n',
        { what: 'the line in the run log' },
      );
      expect(existsSync(canary)).toBe(false);
    } finally {
      cleanupHome(dir, socket);
      rmSync(root, { recursive: true, force: true });
    }
  });
});
