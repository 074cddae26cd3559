import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/views/task.js';
import { waitForDaemon } from '../helpers/daemon.js';
import { type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome({ daemon: true });

function environOf(pid: number): string[] {
  return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
}

function cmdlineOf(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
}

/** The pid of a task's running program, once the launcher has exec'd it (argv[0] is `program`). */
async function programPid(h: Home, name: string, run: number, program: string): Promise<number> {
  const view = await waitFor(
    () => h.status(name),
    (v) =>
      v.runs.length === run && v.state === 'running' && v.pid !== null && cmdlineOf(v.pid)[0] === program,
    { what: `run ${run} of ${name} running ${program}` },
  );
  return view.pid!;
}

describe('environments', () => {
  it("a secret in the first holdfast run's environment stays out of the tmux server, the watchdog and the daemon, and reaches only its own task", async () => {
    const h = home();
    const secret = 'hf-secret-value-8f3a';
    const first = await h.json<TaskView>(
      ['run', '--name', 'a', '--restart', 'always', '--backoff', '100ms..1s', '--', 'sleep', '600'],
      {
        env: { SECRET_X: secret },
      },
    );
    expect(first.name).toBe('a');
    const other = await h.json<TaskView>(['run', '--name', 'b', '--', 'sleep', '600'], {
      env: { OTHER_Y: 'only-b' },
    });
    expect(other.name).toBe('b');

    const server = Number(h.tmux(['display-message', '-p', '#{pid}']).trim());
    const watchdog = await waitFor(
      () => Number(h.tmux(['display-message', '-p', '-t', '=_holdfast-watchdog:', '#{pane_pid}']).trim()),
      (pid) => cmdlineOf(pid).some((arg) => arg.endsWith('watchdog.sh')),
      { what: 'the watchdog script in its pane' },
    );
    const daemon = await waitForDaemon(h);
    for (const [what, pid] of [
      ['tmux server', server],
      ['watchdog', watchdog],
      ['daemon', daemon],
    ] as const) {
      const environ = environOf(pid);
      expect(
        environ.filter((entry) => entry.includes(secret) || entry.startsWith('SECRET_X=')),
        what,
      ).toEqual([]);
      expect(
        environ.filter((entry) => entry.startsWith('OTHER_Y=')),
        what,
      ).toEqual([]);
      expect(
        environ.some((entry) => entry.startsWith('PATH=')),
        `${what} has a PATH`,
      ).toBe(true);
    }

    const a = await programPid(h, 'a', 1, 'sleep');
    const b = await programPid(h, 'b', 1, 'sleep');
    expect(environOf(a)).toContain(`SECRET_X=${secret}`);
    expect(environOf(a).filter((entry) => entry.startsWith('OTHER_Y='))).toEqual([]);
    expect(environOf(b)).toContain('OTHER_Y=only-b');
    expect(environOf(b).filter((entry) => entry.startsWith('SECRET_X='))).toEqual([]);

    // A later run (started by the daemon, whose environment is the minimal one) still gets the task's own.
    process.kill(a, 'SIGKILL');
    const again = await programPid(h, 'a', 2, 'sleep');
    expect(again).not.toBe(a);
    expect(environOf(again)).toContain(`SECRET_X=${secret}`);
    expect((await h.status('a')).runs[1]!.cause).not.toBe('start');
  });
});
