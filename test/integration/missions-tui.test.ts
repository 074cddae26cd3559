/**
 * Missions worked by an interactive agent: the fake claude TUI (test/fixtures/fake-tui) in the
 * home's real tmux server, with a real daemon. A session is a turn of the one live TUI: its prompt
 * is typed into the composer (an input), the session ends at the turn's Stop with nothing queued,
 * the gate runs, and the continuation goes into the same TUI. A question the agent asks keeps the
 * mission waiting for `holdfast answer`, neither paused nor stalled.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MissionView } from '../../src/cli/commands/mission/view.js';
import { claudeScratches, type Scratch } from '../helpers/fake-tui.js';
import { type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const { scratch, records } = claudeScratches('hf-mtui-');
const home = useHome({ daemon: true });

const missionStatus = (h: Home, name: string) => h.json<MissionView>(['mission', 'status', name]);

async function startMission(h: Home, s: Scratch, name: string, file: string, flags: string[] = []) {
  writeFileSync(join(s.dir, 'mission.md'), file);
  const init = await h.cli(
    [
      'mission',
      'init',
      name,
      '--agent',
      'claude',
      '--interactive',
      '--trust',
      '--cwd',
      s.work,
      '--file',
      join(s.dir, 'mission.md'),
      ...flags,
    ],
    { env: s.env },
  );
  expect(init.code, init.stderr).toBe(0);
  const start = await h.cli(['mission', 'start', name], { env: s.env });
  expect(start.code, start.stderr).toBe(0);
}

describe('missions with an interactive agent', () => {
  it('two milestones, the first gate failing once: every prompt typed once into the one TUI, on one session id, in one run', async () => {
    const h = home();
    const s = scratch();
    // Fails the first time it runs, passes after: the first milestone needs a continuation.
    const flag = join(s.dir, 'gate-ran');
    await startMission(
      h,
      s,
      'web',
      `# Web app

Build it in two steps.

## Parser
Write the parser.
gate: test -f ${flag} || { touch ${flag}; exit 1; }

## Docs
Document it.
gate: true
`,
      ['--continue', 'resume'],
    );
    const done = await waitFor(
      () => missionStatus(h, 'web'),
      (v) => v.state === 'done',
      { what: 'the mission to finish', timeoutMs: 60_000 },
    );
    expect(done.milestones.map((m) => m.status)).toEqual(['done', 'done']);
    expect(done.sessions.map((x) => [x.milestone, x.endedHow])).toEqual([
      ['Parser', 'the agent said it finished, but the gate failed (exit 1)'],
      ['Parser', 'the gate passed'],
      ['Docs', 'the gate passed'],
    ]);
    // One TUI, started once, on the session id holdfast gave it.
    const starts = records<{ argv: string[] }>(s, 'invocations.jsonl');
    expect(starts).toHaveLength(1);
    const task = await h.status('web');
    expect(starts[0]!.argv.slice(0, 2)).toEqual(['--session-id', task.sessionId]);
    expect(task.runs).toHaveLength(1);
    // Each session's prompt reached the model once, in order: the first, the continuation, the next milestone.
    const inputs = records<{ prompt: string; queued: boolean }>(s, 'inputs.jsonl');
    expect(
      inputs.map((i) =>
        i.prompt.includes('You are continuing this mission')
          ? i.prompt.match(/This is session \d+ on the milestone "\w+"/)?.[0]
          : i.prompt.match(/This session is for[^.]*/)?.[0],
      ),
    ).toEqual([
      expect.stringContaining('Parser'),
      'This is session 2 on the milestone "Parser"',
      expect.stringContaining('Docs'),
    ]);
    expect(inputs[1]!.prompt).toContain('the gate failed (exit 1)');
    expect(inputs[2]!.prompt).toContain('**Docs** (current)');
    expect(inputs.every((i) => !i.queued)).toBe(true);
    const journal = await h.events('web');
    const queued = journal.filter((e) => e.type === 'input-queued').map((e) => e.data.source);
    expect(queued).toEqual(['mission', 'mission', 'mission']);
    expect(journal.filter((e) => e.type === 'input-confirmed')).toHaveLength(3);
  });

  it('--continue fresh: each session is a new run of the TUI under a new claude session id, its prompt typed once', async () => {
    const h = home();
    const s = scratch();
    await startMission(
      h,
      s,
      'two',
      '# Two\n\nTwo steps.\n\n## One\nDo one.\ngate: true\n\n## Two\nDo two.\ngate: true\n',
      ['--continue', 'fresh'],
    );
    const done = await waitFor(
      () => missionStatus(h, 'two'),
      (v) => v.state === 'done',
      { what: 'the mission to finish', timeoutMs: 60_000 },
    );
    expect(done.sessions.map((x) => [x.milestone, x.fresh, x.endedHow])).toEqual([
      ['One', true, 'the gate passed'],
      ['Two', true, 'the gate passed'],
    ]);
    const starts = records<{ argv: string[] }>(s, 'invocations.jsonl');
    expect(starts.map((x) => x.argv[0])).toEqual(['--session-id', '--session-id']);
    expect(starts[0]!.argv[1]).not.toBe(starts[1]!.argv[1]);
    const task = await h.status('two');
    expect(task.runs).toHaveLength(2);
    const journal = await h.events('two');
    expect(journal.filter((e) => e.type === 'input-queued').map((e) => e.data.source)).toEqual([
      'mission',
      'mission',
    ]);
    expect(task.sessionId).toBe(starts[1]!.argv[1]);
    const inputs = records<{ prompt: string }>(s, 'inputs.jsonl');
    expect(
      inputs.map((i) =>
        i.prompt
          .match(/on the milestone "(\w+)"|for the milestone "(\w+)"/)
          ?.slice(1)
          .join(''),
      ),
    ).toEqual(['One', 'Two']);
  });

  it('a session whose agent asks a permission question is waiting-input (not paused, not stalled), and goes on after holdfast answer', async () => {
    const h = home();
    const s = scratch({
      FAKE_TUI_SCENARIO: JSON.stringify({
        turns: [[{ tool: 'Bash', input: { command: 'npm install left-pad' } }, { say: 'installed it' }]],
      }),
    });
    await startMission(
      h,
      s,
      'pkg',
      '# Package\n\nAdd a dependency.\n\n## Deps\nInstall left-pad.\ngate: true\n',
      ['--stall-timeout', '1s'],
    );
    const waiting = await waitFor(
      () => missionStatus(h, 'pkg'),
      (v) => v.activity === 'waiting-input',
      { what: 'the mission waiting for an answer', timeoutMs: 30_000 },
    );
    expect(waiting.state).toBe('running');
    expect(waiting.phase).toBe('session');
    expect(waiting.question).toMatchObject({
      kind: 'permission',
      tool: 'Bash',
      input: 'npm install left-pad',
    });
    expect(waiting.next).toBe(
      'session 1 waits for an answer (permission: Bash npm install left-pad): holdfast answer pkg yes|always|no',
    );
    const text = await h.cli(['mission', 'status', 'pkg']);
    expect(text.stdout.split('\n')[0]).toBe('mission pkg — Package: running, waiting-input');
    // Three stall timeouts with the question open: a stall is only ever counted while working.
    const asked = Date.now();
    await waitFor(
      () => Date.now() - asked,
      (ms) => ms > 3000,
      { what: 'three stall timeouts to pass' },
    );
    const still = await missionStatus(h, 'pkg');
    expect([still.state, still.activity]).toEqual(['running', 'waiting-input']);
    expect((await h.status('pkg')).state).toBe('waiting-input');
    const r = await h.cli(['answer', 'pkg', 'yes']);
    expect(r.code, r.stderr).toBe(0);
    const done = await waitFor(
      () => missionStatus(h, 'pkg'),
      (v) => v.state === 'done',
      { what: 'the mission to finish after the answer', timeoutMs: 30_000 },
    );
    expect(done.sessions.map((x) => x.endedHow)).toEqual(['the gate passed']);
    const journal = await h.events('pkg');
    expect(journal.filter((e) => ['stalled', 'mission-paused'].includes(e.type))).toEqual([]);
    // A second start would be a restart the journal names: both go in the message, so a failure
    // says which path started it.
    const starts = records<{ pid: number; at: number; resumed: boolean; argv: string[] }>(
      s,
      'invocations.jsonl',
    );
    const story = JSON.stringify({ starts, journal: journal.map((e) => [e.at, e.runId, e.type, e.data]) });
    expect(starts, story).toHaveLength(1);
  });
});
