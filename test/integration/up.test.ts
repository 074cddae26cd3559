import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FleetStep } from '../../src/core/fleet-plan.js';
import type { TaskView } from '../../src/views/task.js';
import { makeRepo } from '../helpers/git.js';
import { FIXTURES, ROOT, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome();

interface UpResult {
  file: string;
  dryRun: boolean;
  steps: FleetStep[];
}

/** A file of `count` tasks, each `sleep 1000` unless `edit` says otherwise for a name. */
function fleet(count: number, edit: Record<string, string> = {}): string {
  const lines = ['defaults:', '  restart: on-failure', '  backoff: 100ms..1s', 'tasks:'];
  for (let i = 0; i < count; i++) {
    const name = `t${String(i).padStart(2, '0')}`;
    lines.push(`  ${name}:`, edit[name] ?? '    command: [sleep, "1000"]');
  }
  return `${lines.join('\n')}\n`;
}

async function pids(h: ReturnType<typeof home>): Promise<Map<string, number | null>> {
  const tasks = await h.json<TaskView[]>(['ls']);
  return new Map(tasks.map((t) => [t.name, t.pid]));
}

const byAction = (steps: readonly FleetStep[], action: FleetStep['action']) =>
  steps
    .filter((s) => s.action === action)
    .map((s) => s.name)
    .sort();

describe('holdfast up: a holdfast.yaml applied in one call', () => {
  it('creates 20 tasks; re-applied after two edits, exactly those two restart, each saying which field changed', async () => {
    const h = home();
    const file = join(h.dir, 'holdfast.yaml');
    writeFileSync(file, fleet(20));
    const first = await h.json<UpResult>(['up']);
    expect(byAction(first.steps, 'create')).toHaveLength(20);
    const before = await pids(h);
    expect([...before.values()].every((pid) => typeof pid === 'number')).toBe(true);
    expect((await h.status('t07')).state).toBe('running');

    // t03's command changes; t11 keeps its command, and only its stall timeout changes.
    writeFileSync(
      file,
      fleet(20, {
        t03: '    command: [sleep, "1001"]',
        t11: '    command: [sleep, "1000"]\n    stall-timeout: 5m',
      }),
    );
    const plan = await h.json<UpResult>(['up', '--dry-run']);
    expect(plan.dryRun).toBe(true);
    expect(plan.steps.filter((s) => s.action === 'update')).toEqual([
      { name: 't03', action: 'update', changed: ['command'], why: null },
      { name: 't11', action: 'update', changed: ['stall-timeout'], why: null },
    ]);
    expect(await pids(h)).toEqual(before);

    const applied = await h.json<UpResult>(['up']);
    expect(byAction(applied.steps, 'update')).toEqual(['t03', 't11']);
    expect(byAction(applied.steps, 'unchanged')).toHaveLength(18);
    const after = await pids(h);
    for (const [name, pid] of before) {
      if (name === 't03' || name === 't11') expect(after.get(name), name).not.toBe(pid);
      else expect(after.get(name), name).toBe(pid);
    }
    const t03 = await h.status('t03');
    expect(t03.command).toEqual(['sleep', '1001']);
    expect(t03.runs).toHaveLength(2);
    expect(t03.restarts).toBe(0);
    const explained = await h.json<{ tasks: Record<string, Record<string, unknown>> }>([
      'up',
      '--explain',
      '--only',
      't11',
    ]);
    expect(explained.tasks.t11!['stall-timeout']).toBe('5m');
    expect((await h.status('t11')).runs).toHaveLength(2);

    // Nothing changed: nothing happens.
    const again = await h.json<UpResult>(['up']);
    expect(byAction(again.steps, 'unchanged')).toHaveLength(20);
    expect(await pids(h)).toEqual(after);
  });

  it('--prune removes only the tasks this file declared before; without it they are kept and said so', async () => {
    const h = home();
    const file = join(h.dir, 'holdfast.yaml');
    writeFileSync(file, fleet(3));
    await h.json(['up']);
    const own = await h.cli(['run', '--name', 'mine', '--', 'sleep', '1000']);
    expect(own.code).toBe(0);
    writeFileSync(file, fleet(2));
    const kept = await h.json<UpResult>(['up']);
    expect(kept.steps.find((s) => s.name === 't02')).toEqual({
      name: 't02',
      action: 'kept',
      changed: [],
      why: 'not in the file any more; --prune removes it',
    });
    expect((await h.status('t02')).state).toBe('running');
    const pruned = await h.json<UpResult>(['up', '--prune']);
    expect(byAction(pruned.steps, 'remove')).toEqual(['t02']);
    const names = (await h.json<TaskView[]>(['ls'])).map((t) => t.name).sort();
    expect(names).toEqual(['mine', 't00', 't01']);
  });

  it('--dry-run of a new file changes nothing', async () => {
    const h = home();
    writeFileSync(join(h.dir, 'holdfast.yaml'), fleet(5));
    const plan = await h.json<UpResult>(['up', '--dry-run']);
    expect(byAction(plan.steps, 'create')).toHaveLength(5);
    expect(await h.json<TaskView[]>(['ls'])).toEqual([]);
  });

  it('an invalid entry applies nothing and names the file, the line and the key', async () => {
    const h = home();
    const file = join(h.dir, 'holdfast.yaml');
    writeFileSync(
      file,
      [
        'tasks:',
        '  good:',
        '    command: sleep 1000',
        '  bad:',
        '    command: sleep 1000',
        '    restart: sometimes',
        '',
      ].join('\n'),
    );
    const result = await h.cli(['up']);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      `holdfast: ${file}:6: tasks.bad.restart: expected one of no, on-failure, always, got "sometimes"\n` +
        'hint: fix the file, then check it with: holdfast up --dry-run\n',
    );
    expect(await h.json<TaskView[]>(['ls'])).toEqual([]);

    writeFileSync(file, ['tasks:', '  web:', `    command: sleep \${HF_TEST_UNSET_PORT}`, ''].join('\n'));
    const unset = await h.cli(['up']);
    expect(unset.stderr.split('\n')[0]).toBe(
      `holdfast: ${file}:3: tasks.web.command: \${HF_TEST_UNSET_PORT} is not set; set it, or give a default: \${HF_TEST_UNSET_PORT:-value}`,
    );
    writeFileSync(
      file,
      ['tasks:', '  web:', '    command: sleep 1000', '    restrat: always', ''].join('\n'),
    );
    const typo = await h.cli(['up']);
    expect(typo.stderr.split('\n')[0]).toBe(
      `holdfast: ${file}:4: tasks.web.restrat: not an option of holdfast run; did you mean restart?`,
    );
    expect(await h.json<TaskView[]>(['ls'])).toEqual([]);
  });

  it('finds holdfast.yaml upward, resolves cwd and variables against the file and the environment', async () => {
    const h = home();
    const project = join(h.dir, 'project');
    mkdirSync(join(project, 'sub', 'deeper'), { recursive: true });
    writeFileSync(
      join(project, 'holdfast.yaml'),
      [
        'tasks:',
        '  echo:',
        '    cwd: sub',
        `    command: [sh, -c, "echo \${GREETING:-hello} from $PWD; sleep 1000"]`,
        '',
      ].join('\n'),
    );
    const up = await h.cli(['up', '--json'], {
      cwd: join(project, 'sub', 'deeper'),
      env: { GREETING: 'ahoy' },
    });
    expect(up.code).toBe(0);
    expect((JSON.parse(up.stdout) as UpResult).file).toBe(join(project, 'holdfast.yaml'));
    const view = await h.status('echo');
    expect(view.cwd).toBe(join(project, 'sub'));
    await waitFor(
      () => h.cli(['log', 'echo']),
      (r) => r.stdout.includes(`ahoy from ${join(project, 'sub')}`),
      { what: 'the interpolated greeting in the log' },
    );
  });

  it('starts a declared task that was stopped, and leaves a finished one alone', async () => {
    const h = home();
    writeFileSync(
      join(h.dir, 'holdfast.yaml'),
      ['tasks:', '  long:', '    command: sleep 1000', '  once:', '    command: "true"', ''].join('\n'),
    );
    await h.json(['up']);
    await waitFor(
      () => h.status('once'),
      (s) => s.state === 'succeeded',
      { what: 'once finished' },
    );
    expect((await h.cli(['stop', 'long'])).code).toBe(0);
    const up = await h.json<UpResult>(['up']);
    expect(up.steps).toEqual([
      { name: 'long', action: 'start', changed: [], why: 'it was stopped' },
      { name: 'once', action: 'unchanged', changed: [], why: 'it has finished' },
    ]);
    expect((await h.status('long')).state).toBe('running');
    expect((await h.status('once')).runs).toHaveLength(1);
  });

  it('export writes a file that up applies as no change, and down stops (--rm removes) what it declares', async () => {
    const h = home();
    const declared = join(h.dir, 'holdfast.yaml');
    writeFileSync(
      declared,
      [
        'tasks:',
        '  api:',
        '    command: [sleep, "1000"]',
        '    restart: always',
        '    backoff: 250ms..1m30s',
        '    crash-loop: 3/1h',
        '    log-max: 4MB',
        '    keep-finished: 2d12h',
        '    max-restarts: 7',
        '',
      ].join('\n'),
    );
    await h.json(['up']);
    const exported = join(h.dir, 'exported.yaml');
    expect((await h.cli(['export', '-f', exported])).code).toBe(0);
    const text = readFileSync(exported, 'utf8');
    expect(text).toContain('backoff: 250ms..1m30s');
    expect(text).toContain('keep-finished: 2d12h');
    const plan = await h.json<UpResult>(['up', '-f', exported, '--dry-run']);
    expect(plan.steps).toEqual([{ name: 'api', action: 'unchanged', changed: [], why: null }]);
    const again = await h.cli(['export', '-f', exported]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('exists');

    const down = await h.cli(['down']);
    expect(down.code).toBe(0);
    expect((await h.status('api')).state).toBe('stopped');
    expect((await h.cli(['down', '--rm'])).code).toBe(0);
    expect(await h.json<TaskView[]>(['ls'])).toEqual([]);
  });

  it('--explain prints every key after defaults; --only limits up to the named tasks', async () => {
    const h = home();
    writeFileSync(join(h.dir, 'holdfast.yaml'), fleet(3));
    const explained = await h.json<{ tasks: Record<string, Record<string, unknown>> }>(['up', '--explain']);
    expect(explained.tasks.t01).toMatchObject({
      command: ['sleep', '1000'],
      restart: 'on-failure',
      backoff: '100ms..1s',
      'crash-loop': '5/10m',
    });
    expect(await h.json<TaskView[]>(['ls'])).toEqual([]);
    const only = await h.json<UpResult>(['up', '--only', 't01']);
    expect(only.steps.map((s) => [s.name, s.action])).toEqual([['t01', 'create']]);
    expect((await h.json<TaskView[]>(['ls'])).map((t) => t.name)).toEqual(['t01']);
    const wrong = await h.cli(['up', '--only', 't9']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr.split('\n')[0]).toBe(
      `holdfast: --only: ${join(h.dir, 'holdfast.yaml')} declares no task "t9"`,
    );
  });

  it('with no holdfast.yaml here or above, says so and exits 2', async () => {
    const h = home();
    const result = await h.cli(['up'], { cwd: '/' });
    expect(result.code).toBe(2);
    expect(result.stderr.split('\n')[0]).toBe('holdfast: no holdfast.yaml in / or any directory above it');
  });
});

describe('holdfast up: agents and missions in the file', () => {
  const FAKE_BIN = join(FIXTURES, 'fake-agent', 'bin');

  it('creates an agent task with its prompt file and a mission from its markdown, started; a second up changes neither', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    const env = {
      PATH: `${FAKE_BIN}:${process.env.PATH}`,
      FAKE_AGENT_STATE: join(h.dir, 'fake'),
      FAKE_AGENT_SCENARIO: JSON.stringify({ steps: [{ sleep: 30 }, { succeed: true }] }),
    };
    writeFileSync(join(h.dir, 'fix.md'), 'Fix the flaky test.\n');
    writeFileSync(
      join(h.dir, 'ship.md'),
      '# Ship\n\nShip it.\n\n## Alpha\nCreate a.txt.\ngate: test -f a.txt\n',
    );
    writeFileSync(
      join(h.dir, 'holdfast.yaml'),
      [
        'tasks:',
        '  fixer:',
        '    agent: claude',
        '    prompt-file: fix.md',
        '    model: sonnet',
        '    cwd: repo',
        'missions:',
        '  ship:',
        '    file: ship.md',
        '    cwd: repo',
        '    max-sessions: 3',
        '',
      ].join('\n'),
    );
    const up = await h.json<UpResult & { missions: { name: string; action: string }[] }>(['up'], { env });
    expect(up.steps.map((s) => [s.name, s.action])).toEqual([['fixer', 'create']]);
    expect(up.missions).toEqual([{ name: 'ship', action: 'create' }]);
    const fixer = await h.status('fixer');
    expect(fixer.agent).toBe('claude');
    expect(fixer.prompt).toBe('Fix the flaky test.\n');
    expect(fixer.cwd).toBe(repo);
    const mission = await h.json<{ name: string; state: string; milestones: unknown[] }>([
      'mission',
      'status',
      'ship',
    ]);
    expect(mission.state).not.toBe('pending');
    expect(mission.milestones).toHaveLength(1);

    const again = await h.json<UpResult & { missions: { name: string; action: string }[] }>(
      ['up', '--dry-run'],
      {
        env,
      },
    );
    expect(again.steps.map((s) => [s.name, s.action])).toEqual([['fixer', 'unchanged']]);
    expect(again.missions).toEqual([{ name: 'ship', action: 'unchanged' }]);
  });
});

describe('holdfast up: worktrees, and the README example', () => {
  it('gives each worktree: entry its own worktree; an unrelated edit restarts it in the same one, a changed worktree: is refused', async () => {
    const h = home();
    const repo = makeRepo(join(h.dir, 'repo'));
    const file = join(h.dir, 'holdfast.yaml');
    const entries = (extra = '') =>
      [
        'defaults:',
        '  cwd: repo',
        'tasks:',
        '  alpha:',
        '    command: [sh, -c, "echo alpha > same.txt; sleep 1000"]',
        '    worktree: true',
        `  beta:${extra}`,
        '    command: [sh, -c, "echo beta > same.txt; sleep 1000"]',
        '    worktree: work/beta',
        '',
      ].join('\n');
    writeFileSync(file, entries());
    await h.json(['up']);
    const alpha = await h.status('alpha');
    const beta = await h.status('beta');
    expect(alpha.worktree?.branch).toBe('holdfast/alpha');
    expect(beta.worktree?.branch).toBe('work/beta');
    expect(alpha.cwd).not.toBe(repo);
    for (const [view, text] of [
      [alpha, 'alpha'],
      [beta, 'beta'],
    ] as const) {
      await waitFor(
        () => readFileSync(join(view.cwd, 'same.txt'), 'utf8'),
        (t) => t === `${text}\n`,
        { what: `${view.name} wrote its own same.txt` },
      );
    }
    expect((await h.json<UpResult>(['up', '--dry-run'])).steps.map((s) => s.action)).toEqual([
      'unchanged',
      'unchanged',
    ]);

    writeFileSync(file, entries('\n    stall-timeout: 5m'));
    const edited = await h.json<UpResult>(['up']);
    expect(edited.steps.find((s) => s.name === 'beta')).toEqual({
      name: 'beta',
      action: 'update',
      changed: ['stall-timeout'],
      why: null,
    });
    const restarted = await h.status('beta');
    expect(restarted.runs).toHaveLength(2);
    expect(restarted.cwd).toBe(beta.cwd);
    expect(restarted.worktree).toEqual(beta.worktree);

    writeFileSync(file, entries().replace('worktree: work/beta', 'worktree: work/other'));
    const moved = await h.cli(['up']);
    expect(moved.code).toBe(1);
    expect(moved.stderr.split('\n')[0]).toBe(
      `holdfast: ${file}:9: tasks.beta.worktree: changed for an existing task: a task's worktree is made with the task, where its cwd is`,
    );
    expect((await h.status('beta')).runs).toHaveLength(2);
  });

  it("the README's holdfast.yaml is valid: --explain applies every entry of it", async () => {
    const h = home();
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Many tasks in one file'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)![1]!;
    const dir = join(h.dir, 'project');
    makeRepo(dir);
    mkdirSync(join(dir, 'app'));
    mkdirSync(join(dir, 'prompts'));
    mkdirSync(join(dir, 'missions'));
    writeFileSync(join(dir, 'prompts', 'fix-flaky.md'), 'Fix the flaky test.\n');
    writeFileSync(join(dir, 'missions', 'release.md'), '# Release\n\n## Ship\nShip it.\ngate: true\n');
    writeFileSync(join(dir, 'holdfast.yaml'), yaml);
    const env = { PATH: `${join(FIXTURES, 'fake-agent', 'bin')}:${process.env.PATH}` };
    const explained = await h.json<{ tasks: Record<string, Record<string, unknown>> }>(['up', '--explain'], {
      cwd: dir,
      env,
    });
    expect(Object.keys(explained.tasks)).toEqual(['web', 'tests', 'api', 'fixer', 'reviewer']);
    expect(explained.tasks.api!.command).toEqual(['node', 'server.js', '--port', '8080']);
    expect(explained.tasks.fixer).toMatchObject({ agent: 'claude', worktree: true, interactive: true });
    const plan = await h.json<UpResult & { missions: unknown[] }>(['up', '--dry-run'], { cwd: dir, env });
    expect(plan.steps.map((s) => s.action)).toEqual(['create', 'create', 'create', 'create', 'create']);
    expect(plan.missions).toEqual([{ name: 'release', action: 'create' }]);
  });
});

describe('holdfast up: what a review of it found', () => {
  it("a changed deny: rule is the hook's from the restart on (the task's policy.json is rewritten)", async () => {
    const h = home();
    const env = { PATH: `${join(FIXTURES, 'fake-tui', 'bin')}:${process.env.PATH}` };
    const file = join(h.dir, 'holdfast.yaml');
    const entry = (deny: string) =>
      [
        'tasks:',
        '  tui:',
        '    agent: claude',
        '    interactive: true',
        '    prompt: hello',
        `    deny: [${deny}]`,
        '',
      ].join('\n');
    writeFileSync(file, entry('Bash(rm*)'));
    await h.json(['up'], { env });
    const policy = () =>
      JSON.parse(readFileSync(join(h.dir, 'tasks', 'tui', 'policy.json'), 'utf8')) as { deny: string[] };
    expect(policy().deny).toEqual(['Bash(rm*)']);
    writeFileSync(file, entry('Bash(rm*), WebFetch'));
    const up = await h.json<UpResult>(['up'], { env });
    expect(up.steps).toEqual([{ name: 'tui', action: 'update', changed: ['deny'], why: null }]);
    expect(policy().deny).toEqual(['Bash(rm*)', 'WebFetch']);
  });

  it('a new mission whose name a task has is refused before anything is applied', async () => {
    const h = home();
    writeFileSync(join(h.dir, 'ship.md'), '# Ship\n\n## Alpha\nDo it.\ngate: true\n');
    writeFileSync(
      join(h.dir, 'holdfast.yaml'),
      ['tasks:', '  ship:', '    command: sleep 1000', 'missions:', '  ship:', '    file: ship.md', ''].join(
        '\n',
      ),
    );
    const result = await h.cli(['up']);
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')[0]).toBe(
      `holdfast: ${join(h.dir, 'holdfast.yaml')}:5: missions.ship: the mission needs the task name ship, which a task has`,
    );
    expect(await h.json<TaskView[]>(['ls'])).toEqual([]);
  });

  it('defaults: cannot give a command', async () => {
    const h = home();
    writeFileSync(
      join(h.dir, 'holdfast.yaml'),
      ['defaults:', '  command: sleep 1', 'tasks:', '  a: {}', ''].join('\n'),
    );
    const result = await h.cli(['up']);
    expect(result.stderr.split('\n')[0]).toBe(
      `holdfast: ${join(h.dir, 'holdfast.yaml')}:2: defaults.command: command is given per task; defaults cannot set it`,
    );
  });
});
