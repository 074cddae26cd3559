import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import type { TaskView } from '../../src/views/task.js';
import { type CliResult, FIXTURES, type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome();
const FAKE_BIN = join(FIXTURES, 'fake-agent', 'bin');

/** A usage error as the README gives it: exit 2, `holdfast: …`, at most a `hint:` line more. */
function expectUsageError(r: CliResult, message: string | RegExp, hint?: string | RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines.length, r.stderr).toBeLessThanOrEqual(2);
  expect(lines[0]).toMatch(/^holdfast: /);
  if (typeof message === 'string') expect(lines[0]).toContain(message);
  else expect(lines[0]).toMatch(message);
  if (hint !== undefined) {
    expect(lines[1]).toMatch(/^hint: /);
    if (typeof hint === 'string') expect(lines[1]).toContain(hint);
    else expect(lines[1]).toMatch(hint);
  }
}

async function expectNothingCreated(h: Home): Promise<void> {
  expect(await h.json<TaskView[]>(['ls'])).toEqual([]);
  const tasksDir = join(h.dir, 'tasks');
  expect(existsSync(tasksDir) ? readdirSync(tasksDir) : []).toEqual([]);
}

function pathOf(command: Command): string[] {
  const names: string[] = [];
  for (let c: Command | null = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names;
}

/** The program and every command under it, depth first. */
function walk(command: Command): Command[] {
  return [command, ...command.commands.flatMap(walk)];
}

const ALL = walk(await buildProgram()).map(pathOf);

describe('usage errors exit 2 with one holdfast: line', () => {
  it('the sweep reaches every command and subcommand', () => {
    // The program itself, its commands, and the subcommands of mission and daemon.
    expect(ALL).toContainEqual([]);
    expect(ALL).toContainEqual(['run']);
    expect(ALL).toContainEqual(['mission', 'init']);
    expect(ALL).toContainEqual(['daemon', 'status']);
    expect(ALL.length).toBeGreaterThanOrEqual(30);
  });

  it.each(ALL.map((p) => [p.join(' ') || '(holdfast)', p] as const))(
    'an unknown option to %s',
    async (_label, path) => {
      const r = await home().cli([...path, '--no-such-option']);
      expectUsageError(r, "unknown option '--no-such-option'", `holdfast ${path.join(' ')}`.trim());
      expect(r.stdout).toBe('');
    },
  );

  it('a misspelled option: commander\'s "did you mean" is the hint', async () => {
    const h = home();
    expectUsageError(await h.cli(['run', '--nmae', 'x']), "unknown option '--nmae'", 'did you mean --name?');
    await expectNothingCreated(h);
  });

  it('a missing argument', async () => {
    expectUsageError(
      await home().cli(['status']),
      "missing required argument 'task'",
      'holdfast status --help',
    );
  });

  it('an option without its value', async () => {
    expectUsageError(await home().cli(['run', '--restart']), "option '--restart <policy>' argument missing");
  });

  it('an unknown command', async () => {
    expectUsageError(await home().cli(['frobnicate']), "unknown command 'frobnicate'");
    expectUsageError(await home().cli(['stauts', 'x']), "unknown command 'stauts'", 'did you mean status?');
  });

  it('a bad duration', async () => {
    const h = home();
    expectUsageError(
      await h.cli(['run', '--max-runtime', '5 minutes', '--', 'true']),
      '--max-runtime: expected a duration like 500ms, 10s, 5m or 1h30m, got "5 minutes"',
    );
    expectUsageError(
      await h.cli(['killall', '--yes', '--timeout', 'soon']),
      /--timeout: expected a duration/,
    );
    await expectNothingCreated(h);
  });

  it('an unknown agent, with the nearest one as the hint', async () => {
    const h = home();
    expectUsageError(
      await h.cli(['run', '--agent', 'claud', '--prompt', 'hi']),
      '--agent: expected one of claude, codex, opencode, gemini, pi, amp, got "claud"',
      'did you mean claude?',
    );
    await expectNothingCreated(h);
  });

  it('a value outside a choice list', async () => {
    const h = home();
    expectUsageError(
      await h.cli(['run', '--on-stall', 'panic', '--', 'true']),
      '--on-stall: expected one of restart, notify, got "panic"',
    );
    expectUsageError(
      await h.cli(['run', '--on-limit', 'wiat', '--agent', 'claude', '--prompt', 'hi']),
      '--on-limit: expected one of wait, fail, got "wiat"',
      'did you mean wait?',
    );
    await expectNothingCreated(h);
  });

  it('killall without --yes', async () => {
    expectUsageError(await home().cli(['killall']), 'killall stops every task: pass --yes to confirm');
  });

  it('restore without --branch or --worktree, or with both', async () => {
    const h = home();
    expect((await h.cli(['run', '--name', 'r', '--', 'true'])).code).toBe(0);
    expectUsageError(
      await h.cli(['restore', 'r', 'latest']),
      'restore needs exactly one of --branch NAME or --worktree DIR',
    );
    expectUsageError(
      await h.cli(['restore', 'r', 'latest', '--branch', 'b', '--worktree', join(h.dir, 'wt')]),
      'restore needs exactly one of --branch NAME or --worktree DIR',
    );
  });

  it('an invalid task name', async () => {
    const h = home();
    expectUsageError(await h.cli(['run', '--name', 'Bad_Name', '--', 'true']), /invalid task name/);
    await expectNothingCreated(h);
  });

  it('with --json, a usage error is also a JSON error document on stdout', async () => {
    const r = await home().cli(['status', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout)).toEqual({
      error: {
        code: 'EUSAGE',
        message: "missing required argument 'task'",
        hint: 'holdfast status --help shows the usage',
      },
    });
  });

  it('a bare holdfast prints the usage on stderr and exits 2; --help exits 0', async () => {
    const bare = await home().cli([]);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('Usage: holdfast');
    const help = await home().cli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: holdfast');
  });
});

describe('agent-only flags on a command task', () => {
  it.each([['--prompt', 'do it'], ['--prompt-file', 'prompt.md'], ['--model', 'opus'], ['--unattended']])(
    'run %s without --agent is refused',
    async (...flag) => {
      const h = home();
      writeFileSync(join(h.dir, 'prompt.md'), 'do it');
      expectUsageError(
        await h.cli(['run', '--name', 'cmd', ...flag, '--', 'true']),
        `${flag[0]} is for agent tasks: it needs --agent`,
        'add --agent <kind>',
      );
      await expectNothingCreated(h);
    },
  );
});

describe('task names', () => {
  it('a mistyped name gets a "did you mean"', async () => {
    const h = home();
    expect((await h.cli(['run', '--name', 'builder', '--', 'sleep', '60'])).code).toBe(0);
    const r = await h.cli(['status', 'biulder']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('holdfast: no task named "biulder"\nhint: did you mean builder?\n');
    const far = await h.cli(['status', 'zzzzzzzz']);
    expect(far.stderr).toBe('holdfast: no task named "zzzzzzzz"\nhint: holdfast ls lists the tasks\n');
  });

  it('rm acts on each name it can and reports each it cannot', async () => {
    const h = home();
    expect((await h.cli(['run', '--name', 'one', '--', 'true'])).code).toBe(0);
    expect((await h.cli(['run', '--name', 'two', '--', 'true'])).code).toBe(0);
    expect((await h.cli(['run', '--name', 'busy', '--', 'sleep', '600'])).code).toBe(0);
    await waitFor(
      () => h.json<TaskView[]>(['ls']),
      (ts) => ts.filter((t) => t.state === 'succeeded').length === 2,
      { what: 'one and two to finish' },
    );
    const r = await h.cli(['rm', 'one', 'nope', 'busy', 'two']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('removed one\nremoved two\n');
    expect(r.stderr).toBe(
      [
        'holdfast: no task named "nope"',
        'hint: did you mean one?',
        'holdfast: busy is still live',
        'hint: stop it first (holdfast stop busy) or pass --force',
        '',
      ].join('\n'),
    );
    expect((await h.json<TaskView[]>(['ls'])).map((t) => t.name)).toEqual(['busy']);
    expect(existsSync(join(h.dir, 'tasks', 'one'))).toBe(false);

    const json = await h.cli(['rm', 'busy', 'gone', '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toEqual({
      removed: [],
      checkpoints: [],
      failed: [
        {
          name: 'busy',
          code: 'ELIVE',
          message: 'busy is still live',
          hint: 'stop it first (holdfast stop busy) or pass --force',
        },
        {
          name: 'gone',
          code: 'ENOTASK',
          message: 'no task named "gone"',
          hint: 'holdfast ls lists the tasks',
        },
      ],
    });
  });
});

describe('human output', () => {
  it('log starts each run header on a new line, even after output without one', async () => {
    const h = home();
    expect(
      (await h.cli(['run', '--name', 'nl', '--', 'bash', '-c', 'printf "run $HOLDFAST_RUN"; sleep 600']))
        .code,
    ).toBe(0);
    await waitFor(
      () => h.cli(['log', 'nl']),
      (r) => r.stdout === 'run 1',
      { what: 'run 1 output' },
    );
    expect((await h.cli(['restart', 'nl', '--timeout', '2s'])).code).toBe(0);
    const r = await waitFor(
      () => h.cli(['log', 'nl']),
      (l) => l.stdout.endsWith('run 2'),
      { what: 'run 2 output' },
    );
    const lines = r.stdout.split('\n');
    expect(lines).toHaveLength(4);
    // Local clock time; a date before it only if the run started on another day than today.
    expect(lines[0]).toMatch(/^── run 1 \(start, started (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d\) ──$/);
    expect(lines[1]).toBe('run 1');
    expect(lines[2]).toMatch(/^── run 2 \(restart, started (\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d\) ──$/);
    expect(lines[3]).toBe('run 2');
  });

  it('events show times in the local time zone, with how far they are from now; JSON keeps epoch ms', async () => {
    const h = home();
    const env = { TZ: 'Asia/Kolkata' };
    await h.cli(['run', '--name', 'bo', '--restart', 'always', '--backoff', '1h', '--', 'true'], { env });
    const events = await waitFor(
      () => h.events('bo'),
      (es) => es.some((e) => e.type === 'backoff'),
      { what: 'a backoff event' },
    );
    const backoff = events.find((e) => e.type === 'backoff')!;
    const nextStartAt = backoff.data.nextStartAt as number;
    expect(typeof nextStartAt).toBe('number');
    const local = (ms: number) =>
      new Intl.DateTimeFormat('en-GB', {
        timeZone: 'Asia/Kolkata',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
        hourCycle: 'h23',
      }).format(ms);
    const human = (await h.cli(['events', 'bo'], { env })).stdout;
    const line = human.split('\n').find((l) => l.includes('backoff'))!;
    expect(line).toMatch(
      // The delay has jitter on top; an hour on may be tomorrow there, and then its date comes first.
      new RegExp(
        `^${local(backoff.at)}  backoff .*delayMs=1h\\S* nextStartAt=(\\d{4}-\\d\\d-\\d\\d )?${local(nextStartAt)} \\(in (59m|1h)`,
      ),
    );
    expect(human).not.toContain(String(nextStartAt));
  });
});

describe('agent tasks in human output', () => {
  const agentHome = useHome({ daemon: true });
  const PROMPT = `Fix the flaky test.\n\n${'Explain every step. '.repeat(20)}END-OF-PROMPT`;
  const LAST = `All tests pass now. ${'The parser handles every edge case we found in the logs. '.repeat(4)}`;

  async function finishedAgent(h: Home): Promise<TaskView> {
    const cwd = join(h.dir, 'work');
    mkdirSync(cwd, { recursive: true });
    const scenario = {
      default: { costUsd: 0.00014000000000000001, steps: [{ say: LAST }, { succeed: true }] },
    };
    const r = await h.cli(['run', '--name', 'ag', '--agent', 'claude', '--cwd', cwd, '--prompt', PROMPT], {
      env: {
        PATH: `${FAKE_BIN}:${process.env.PATH}`,
        FAKE_AGENT_STATE: join(h.dir, 'fake-state'),
        FAKE_AGENT_SCENARIO: JSON.stringify(scenario),
      },
    });
    expect(r.code, r.stderr).toBe(0);
    return waitFor(
      () => h.status('ag'),
      (v) => v.state === 'succeeded' && v.info.costUsd !== undefined,
      { what: 'the agent to succeed', timeoutMs: 20_000 },
    );
  }

  it('status: words for labels, cost rounded to 4 decimals, the first 200 characters of the prompt', async () => {
    const h = agentHome();
    const view = await finishedAgent(h);
    expect(view.prompt).toBe(PROMPT);
    expect(view.info.costUsd).toBe(0.00014000000000000001);
    const out = (await h.cli(['status', 'ag'])).stdout;
    expect(out).toMatch(/^cost +\$0\.0001$/m);
    expect(out).toMatch(/^last message +All tests pass now\. /m);
    expect(out).toMatch(/^turns +\d+$/m);
    expect(out).not.toMatch(/costUsd|lastMessage|0\.00014/);
    const shown = PROMPT.replace(/\s+/g, ' ').slice(0, 200);
    const promptLine = out.split('\n').find((l) => l.startsWith('prompt '))!;
    expect(promptLine.replace(/^prompt +/, '')).toBe(`${shown}…`);
    expect(out).not.toContain('END-OF-PROMPT');
  });

  it('log --prompt prints the whole prompt', async () => {
    const h = agentHome();
    await finishedAgent(h);
    const r = await h.cli(['log', 'ag', '--prompt']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${PROMPT}\n`);
    expect((await h.cli(['run', '--name', 'plain', '--', 'true'])).code).toBe(0);
    expectUsageError(
      await h.cli(['log', 'plain', '--prompt']),
      'plain is not an agent task: it has no prompt',
    );
  });

  it('ls shows the last message, cut at the terminal width', async () => {
    const h = agentHome();
    await finishedAgent(h);
    const out = (await h.cli(['ls'], { env: { COLUMNS: '100' } })).stdout;
    // Colour codes, if any, take no columns.
    const row = out
      .split('\n')
      .find((l) => l.startsWith('ag '))!
      .replace(/\x1b\[[0-9;]*m/g, '');
    expect(row).toContain('[claude] All tests pass now.');
    expect(row.length).toBe(100);
    expect(row.endsWith('…')).toBe(true);
    const wide = (await h.cli(['ls'], { env: { COLUMNS: '400' } })).stdout;
    expect(wide).toContain(`[claude] ${LAST.trim()}`);
  });
});
