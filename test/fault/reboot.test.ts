import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MissionView } from '../../src/cli/commands/mission/view.js';
import type { JournalEvent } from '../../src/store/events.js';
import { waitForDaemon } from '../helpers/daemon.js';
import { makeRepo } from '../helpers/git.js';
import { BIN, FIXTURES, type Home, isAlive, processesOfHome, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome({ daemon: true });
const FAKE_BIN = join(FIXTURES, 'fake-agent', 'bin');

interface Invocation {
  kind: string;
  sessionId: string | null;
  requestedSessionId: string | null;
  resumed: boolean;
}

function invocations(state: string): Invocation[] {
  const file = join(state, 'invocations.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Invocation)
    .filter((x) => x.kind === 'run');
}

/** What a power cut leaves: no daemon, no watchdog, no tmux server, no task process (SIGKILL by pid). */
/** SIGKILL a pid this home's processes had; one that ended since it was listed is no error. */
function killGone(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function powerCut(h: Home): Promise<void> {
  const watchdog = Number(
    h.tmux(['display-message', '-p', '-t', '=_holdfast-watchdog:', '#{pane_pid}']).trim(),
  );
  const server = Number(h.tmux(['display-message', '-p', '#{pid}']).trim());
  const daemon = Number(readFileSync(join(h.dir, 'daemon.pid'), 'utf8').trim());
  for (const pid of [watchdog, daemon, server]) process.kill(pid, 'SIGKILL');
  // Every process of this home (the tasks, their launchers, what a gate forked), as a reboot would.
  // Killed in rounds until none is left: one forked while a round listed shows up in the next, and
  // SIGKILL takes a moment to end a process.
  await waitFor(
    () => {
      const alive = processesOfHome(h.dir).filter(isAlive);
      for (const pid of alive) killGone(pid);
      return alive;
    },
    (alive) => alive.length === 0,
    { what: 'every process of the home to be gone' },
  );
  expect(() => execFileSync('tmux', ['-S', h.socket, 'list-sessions'], { stdio: 'ignore' })).toThrow();
}

/** `holdfast daemon run --no-watchdog` with the environment the boot unit gives it, and nothing else. */
function bootUnit(h: Home, extra: string[] = [], env: NodeJS.ProcessEnv = {}): void {
  const child = spawn(process.execPath, [BIN, 'daemon', 'run', '--no-watchdog', ...extra], {
    env: { HOLDFAST_HOME: h.dir, PATH: process.env.PATH!, HOME: process.env.HOME!, ...env },
    detached: true,
    stdio: 'ignore',
  });
  child.unref();
}

const hangs = (say: string) => ({ steps: [{ say }, { hang: true }] });

describe('a simulated reboot (daemon, watchdog, tmux server and tasks killed; only the boot unit started)', () => {
  it('brings back every task that should run, agents on their own sessions, a mission where it was, staggered', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    const agentEnv = (name: string, scenario: object) => ({
      PATH: `${FAKE_BIN}:${process.env.PATH}`,
      FAKE_AGENT_STATE: join(h.dir, `fake-${name}`),
      FAKE_AGENT_SCENARIO: JSON.stringify(scenario),
    });
    const cmd = (name: string, flags: string[]) =>
      h.json(['run', '--name', name, ...flags, '--', 'bash', '-c', 'echo up; exec sleep 600']);
    await cmd('always', ['--restart', 'always']);
    await cmd('resumes', ['--restart', 'no', '--on-boot', 'resume']);
    await cmd('fails', ['--restart', 'no']);
    for (const kind of ['claude', 'codex'])
      await h.json(['run', '--name', kind, '--agent', kind, '--prompt', 'work for a long time'], {
        env: agentEnv(kind, { default: hangs('working') }),
        cwd: repo,
      });

    // A mission in its second milestone: Alpha's gate has passed, Beta's session is at work.
    const gates = join(h.dir, 'gate-runs');
    writeFileSync(
      join(h.dir, 'mission.md'),
      [
        '# Two files',
        '',
        '## Alpha',
        'Create a.txt.',
        `gate: echo alpha >> ${gates}; test -f a.txt`,
        '',
        '## Beta',
        'Create b.txt.',
        `gate: echo beta >> ${gates}; test -f b.txt`,
        '',
      ].join('\n'),
    );
    const missionEnv = agentEnv('mission', {
      invocations: [
        { steps: [{ write: { path: 'a.txt', content: 'a\n' } }, { succeed: true }] },
        hangs('on b'),
        { steps: [{ write: { path: 'b.txt', content: 'b\n' } }, { succeed: true }] },
      ],
    });
    const init = await h.cli(
      ['mission', 'init', 'two', '--agent', 'claude', '--cwd', repo, '--file', join(h.dir, 'mission.md')],
      { env: missionEnv },
    );
    expect(init.code, init.stderr).toBe(0);
    expect((await h.cli(['mission', 'start', 'two'], { env: missionEnv })).code).toBe(0);

    const recovering = ['always', 'resumes', 'claude', 'codex', 'two'];
    await waitFor(
      async () => Promise.all([...recovering, 'fails'].map(async (n) => (await h.status(n)).state)),
      (states) => states.every((s) => s === 'running'),
      { what: 'every task running', timeoutMs: 20_000 },
    );
    await waitFor(
      () => invocations(join(h.dir, 'fake-mission')).length,
      (n) => n === 2,
      {
        what: "Beta's session",
        timeoutMs: 20_000,
      },
    );
    await waitFor(
      async () => Promise.all(['claude', 'codex', 'two'].map(async (n) => (await h.status(n)).sessionId)),
      (ids) => ids.every((id) => id !== null),
      { what: 'the agents’ session ids', timeoutMs: 10_000 },
    );
    const sessions = Object.fromEntries(
      await Promise.all(
        ['claude', 'codex', 'two'].map(async (n) => [n, (await h.status(n)).sessionId] as const),
      ),
    );
    expect(readFileSync(gates, 'utf8')).toBe('alpha\n');
    await waitForDaemon(h);

    await powerCut(h);
    bootUnit(h);

    await waitFor(
      async () =>
        Promise.all(
          recovering.map(async (n) => {
            const v = await h.status(n);
            return { name: n, state: v.state, reason: v.reason, runs: v.runs.length, pid: v.pid };
          }),
        ),
      // The mission's agent may be done already: its resumed session has only b.txt to write.
      (views) =>
        views.every((v) =>
          v.name === 'two' ? v.runs === 3 : v.state === 'running' && v.runs === 2 && v.pid !== null,
        ),
      { what: 'every task running again', timeoutMs: 30_000 },
    );
    const back = await Promise.all(recovering.map((n) => h.status(n)));
    const failed = await h.status('fails');
    expect([failed.state, failed.reason]).toEqual([
      'failed',
      'server-lost: the machine restarted (--on-boot fail)',
    ]);
    expect(failed.runs).toHaveLength(1);
    for (const v of back) {
      expect(v.runs.at(-1)!.cause, v.name).toBe('server-restarted');
      expect(v.restarts, v.name).toBe(0);
    }

    // The journal: each one boot-recovered (by its restart policy, or by --on-boot), started at its slot.
    const journal = new Map<string, JournalEvent[]>();
    for (const n of recovering) journal.set(n, await h.events(n));
    const recovered = recovering.map((n) => {
      const e = journal.get(n)!.filter((x) => x.type === 'boot-recovered');
      expect(e, n).toHaveLength(1);
      const restarted = journal
        .get(n)!
        .filter((x) => x.type === 'restarted')
        .at(-1)!;
      return { name: n, by: e[0]!.data.by, slot: e[0]!.data.nextStartAt as number, startedAt: restarted.at };
    });
    expect(Object.fromEntries(recovered.map((r) => [r.name, r.by]))).toEqual({
      always: 'restart-policy',
      resumes: 'on-boot',
      claude: 'restart-policy',
      codex: 'restart-policy',
      two: 'restart-policy',
    });
    const slots = recovered.map((r) => r.slot).sort((a, b) => a - b);
    expect(slots.slice(1).map((s, i) => s - slots[i]!)).toEqual([500, 500, 500, 500]);
    for (const r of recovered) expect(r.startedAt, r.name).toBeGreaterThanOrEqual(r.slot);

    // The agents resumed their own conversations.
    for (const n of ['claude', 'codex']) {
      const calls = invocations(join(h.dir, `fake-${n}`));
      expect(calls, n).toHaveLength(2);
      expect([calls[1]!.requestedSessionId, calls[1]!.resumed], n).toEqual([sessions[n], true]);
      expect((await h.status(n)).sessionId, n).toBe(sessions[n]);
    }

    // The mission goes on from Beta: its session resumed, its gate run once, Alpha's never again.
    const mission = await waitFor(
      () => h.json<MissionView>(['mission', 'status', 'two']),
      (v) => v.state === 'done',
      { what: 'the mission to finish', timeoutMs: 30_000 },
    );
    const calls = invocations(join(h.dir, 'fake-mission'));
    expect(calls).toHaveLength(3);
    expect([calls[2]!.requestedSessionId, calls[2]!.resumed]).toEqual([sessions.two, true]);
    expect(mission.sessions.map((s) => [s.milestone, s.endedHow])).toEqual([
      ['Alpha', 'the gate passed'],
      ['Beta', 'the gate passed'],
    ]);
    expect(readFileSync(gates, 'utf8')).toBe('alpha\nbeta\n');
  }, 120_000);

  it.each([
    {
      flags: [],
      gap: 1000,
      case: "the config file's daemon.boot-stagger (read once the daemon holds its lease)",
    },
    { flags: ['--boot-stagger', '200ms'], gap: 200, case: '--boot-stagger, over the config file' },
  ])(
    'spaces the boot starts by $case',
    async ({ flags, gap }) => {
      const h = home();
      const names = ['a', 'b', 'c'];
      for (const name of names)
        await h.json(['run', '--name', name, '--restart', 'always', '--', 'bash', '-c', 'exec sleep 600']);
      writeFileSync(join(h.dir, 'config.yaml'), 'daemon:\n  boot-stagger: 1s\n');
      await waitForDaemon(h);
      await powerCut(h);
      bootUnit(h, flags, { HOLDFAST_CONFIG: join(h.dir, 'config.yaml') });
      const slots = await waitFor(
        async () =>
          Promise.all(
            names.map(
              async (n) => (await h.events(n)).find((e) => e.type === 'boot-recovered')?.data.nextStartAt,
            ),
          ),
        (found) => found.every((x) => typeof x === 'number'),
        { what: 'a boot-recovered entry for every task', timeoutMs: 20_000 },
      );
      const sorted = (slots as number[]).sort((x, y) => x - y);
      expect(sorted.slice(1).map((s, k) => s - sorted[k]!)).toEqual([gap, gap]);
    },
    60_000,
  );

  it('a reboot during a mission gate runs that gate again, once, with no new agent session', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    const gates = join(h.dir, 'gate-runs');
    const go = join(h.dir, 'go');
    // The gate waits for `go`, which is only there after the power cut: the first run is cut short.
    writeFileSync(
      join(h.dir, 'mission.md'),
      [
        '# One file',
        '',
        '## Alpha',
        'Create a.txt.',
        `gate: echo gate >> ${gates}; while [ ! -f ${go} ]; do sleep 0.1; done; test -f a.txt`,
        '',
      ].join('\n'),
    );
    const env = {
      PATH: `${FAKE_BIN}:${process.env.PATH}`,
      FAKE_AGENT_STATE: join(h.dir, 'fake-mission'),
      FAKE_AGENT_SCENARIO: JSON.stringify({
        invocations: [
          { steps: [{ write: { path: 'a.txt', content: 'a\n' } }, { succeed: true }] },
          { steps: [{ succeed: true }] },
        ],
      }),
    };
    const init = await h.cli(
      ['mission', 'init', 'one', '--agent', 'claude', '--cwd', repo, '--file', join(h.dir, 'mission.md')],
      { env },
    );
    expect(init.code, init.stderr).toBe(0);
    expect((await h.cli(['mission', 'start', 'one'], { env })).code).toBe(0);
    await waitFor(
      () => (existsSync(gates) ? readFileSync(gates, 'utf8') : ''),
      (text) => text === 'gate\n',
      { what: 'the gate running', timeoutMs: 20_000 },
    );
    await waitForDaemon(h);

    await powerCut(h);
    writeFileSync(go, '');
    bootUnit(h);

    const mission = await waitFor(
      () => h.json<MissionView>(['mission', 'status', 'one']),
      (v) => v.state === 'done',
      { what: 'the mission to finish', timeoutMs: 30_000 },
    );
    expect(mission.sessions.map((s) => [s.milestone, s.endedHow])).toEqual([['Alpha', 'the gate passed']]);
    expect(invocations(join(h.dir, 'fake-mission'))).toHaveLength(1);
    expect(readFileSync(gates, 'utf8')).toBe('gate\ngate\n');
    const journal = (await h.events('one')).filter((e) => e.type.startsWith('gate-'));
    expect(journal.map((e) => [e.type, e.data.run])).toEqual([
      ['gate-interrupted', 1],
      ['gate-passed', 2],
    ]);
  }, 90_000);
});
