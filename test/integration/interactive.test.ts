/**
 * `holdfast run --agent claude|codex --interactive` on the fake TUIs (test/fixtures/fake-tui) in
 * the home's real tmux server: the TUI reaches its prompt box with no key pressed, pointed at
 * holdfast's per-task files, and its hooks append to the task's signals.jsonl.
 */
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSignalLine, type SignalLine } from '../../src/agents/signals.js';
import { SCREEN_SETTLE_MS } from '../../src/agents/tui-state.js';
import { LIMIT_MIN_LEAD_MS } from '../../src/core/lifecycle.js';
import type { TaskView } from '../../src/views/task.js';
import { FIXTURES, type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const scratches: string[] = [];
// Registered before the homes', so it runs after them (hooks run as a stack): the fakes are ended
// with the homes' tmux servers before their records' folder goes.
afterEach(() => {
  for (const d of scratches.splice(0)) rmSync(d, { recursive: true, force: true });
});
const home = useHome();
const daemonHome = useHome({ daemon: true });
const TUI_BIN = join(FIXTURES, 'fake-tui', 'bin');
const NBSP = '\u00a0';

interface Scratch {
  dir: string;
  user: string;
  work: string;
  state: string;
  env: NodeJS.ProcessEnv;
}

/** A user HOME where claude's onboarding is done (INTERACTIVE.md §1), a work dir, the fakes' records. */
function scratch(): Scratch {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'hf-tui-')));
  scratches.push(dir);
  const user = join(dir, 'user');
  const work = join(dir, 'work');
  const state = join(dir, 'state');
  for (const d of [user, work, state]) mkdirSync(d, { recursive: true });
  writeFileSync(join(user, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true, theme: 'dark' }));
  return {
    dir,
    user,
    work,
    state,
    env: { PATH: `${TUI_BIN}:${process.env.PATH}`, HOME: user, FAKE_TUI_STATE: state },
  };
}

function screen(h: Home, name: string): string {
  return h.tmux(['capture-pane', '-p', '-t', `=${name}:`]);
}
function signals(h: Home, name: string): SignalLine[] {
  let text = '';
  try {
    text = readFileSync(join(h.dir, 'tasks', name, 'signals.jsonl'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => parseSignalLine(l))
    .filter((l): l is SignalLine => l !== null);
}
function fakeEvents(s: Scratch): Record<string, unknown>[] {
  try {
    return readFileSync(join(s.state, 'events.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}
function invocations(s: Scratch): { agent: string; argv: string[]; env: Record<string, string | null> }[] {
  try {
    return readFileSync(join(s.state, 'invocations.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
}
/** INTERACTIVE.md §2's delivery, by hand until `send` exists: a bracketed paste, ≥ 300 ms, Enter. */
/**
 * The claude task idle in the store and its prompt box taking keys: SessionStart (idle) can reach
 * the store before the box is drawn (§1: ready 0.35 s after launch), and keys typed sooner are
 * lost; holdfast's own delivery looks for the empty composer too.
 */
async function claudeIdle(h: Home, name: string): Promise<void> {
  await waitStatus(h, name, (v) => v.activity === 'idle', 'idle');
  await waitFor(
    () => screen(h, name),
    (v) => v.includes(`❯${NBSP}`),
    { what: "claude's empty composer" },
  );
}

async function typeInto(h: Home, name: string, text: string): Promise<void> {
  const buffer = `t-${process.pid}-${Date.now()}`;
  execTmuxWithInput(h, ['load-buffer', '-b', buffer, '-'], text);
  h.tmux(['paste-buffer', '-p', '-d', '-b', buffer, '-t', `=${name}:`]);
  await new Promise((r) => setTimeout(r, 300)); // a protocol delay (§2), not a wait for state
  h.tmux(['send-keys', '-t', `=${name}:`, 'Enter']);
}
function execTmuxWithInput(h: Home, args: string[], input: string): void {
  execFileSync('tmux', ['-S', h.socket, ...args], { input, env: h.env });
}

describe('run --interactive', () => {
  it('claude: the TUI reaches its prompt box on --session-id with the task settings file, --trust sets the folder trust in ~/.claude.json and journals it, and SessionStart reaches signals.jsonl', async () => {
    const h = home();
    const s = scratch();
    const task = await h.json<TaskView>(
      ['run', '--agent', 'claude', '--interactive', '--trust', '-n', 'c', '-C', s.work],
      { env: s.env },
    );
    expect(task.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    await waitFor(
      () => screen(h, 'c'),
      (v) => v.includes(`❯${NBSP}`),
      { what: "claude's empty composer" },
    );
    const [inv] = invocations(s);
    expect(inv?.argv).toEqual([
      '--session-id',
      task.sessionId,
      '--settings',
      join(h.dir, 'tasks', 'c', 'agent', 'settings.json'),
    ]);
    const start = await waitFor(
      () => signals(h, 'c').filter((l) => l.event === 'SessionStart'),
      (v) => v.length === 1,
      { what: 'the SessionStart hook line' },
    );
    expect(start[0]).toMatchObject({
      agent: 'claude',
      source: 'hook',
      payload: { session_id: task.sessionId },
    });
    const config = JSON.parse(readFileSync(join(s.user, '.claude.json'), 'utf8'));
    expect(config).toEqual({
      hasCompletedOnboarding: true,
      theme: 'dark',
      projects: { [s.work]: { hasTrustDialogAccepted: true } },
    });
    const trust = (await h.events('c')).filter((e) => e.type === 'trust-granted');
    expect(trust.map((e) => e.data)).toEqual([
      {
        file: join(s.user, '.claude.json'),
        key: `projects[${JSON.stringify(s.work)}].hasTrustDialogAccepted`,
        changed: true,
      },
    ]);
  });

  it('codex: the TUI runs with --no-daemon and its own CODEX_HOME, reaches its prompt box, and a typed prompt brings its UserPromptSubmit hook and notify into signals.jsonl', async () => {
    const h = home();
    const s = scratch();
    await h.json<TaskView>(['run', '--agent', 'codex', '--interactive', '-n', 'x', '-C', s.work], {
      env: s.env,
    });
    await waitFor(
      () => screen(h, 'x'),
      (v) => v.includes('› Ask Codex to do anything') && v.includes('? for shortcuts'),
      { what: "codex's idle composer" },
    );
    const [inv] = invocations(s);
    expect(inv?.argv).toEqual(['--no-daemon', '--dangerously-bypass-hook-trust']);
    expect(inv?.env.CODEX_HOME).toBe(join(h.dir, 'tasks', 'x', 'agent', 'codex-home'));
    await typeInto(h, 'x', 'hello [[say hi there]]');
    const lines = await waitFor(
      () => signals(h, 'x'),
      // Each hook is a process of its own: the notify may land before UserPromptSubmit's line.
      (v) =>
        v.some((l) => l.event === 'UserPromptSubmit') &&
        v.some(
          (l) => l.event === 'agent-turn-complete' && l.payload['last-assistant-message'] === 'hi there',
        ),
      { what: 'the turn notify line' },
    );
    expect(lines.find((l) => l.event === 'UserPromptSubmit')).toMatchObject({
      agent: 'codex',
      source: 'hook',
      payload: { prompt: 'hello [[say hi there]]' },
    });
  });

  it("codex: the task's CODEX_HOME links the creating environment's auth.json ($CODEX_HOME over ~/.codex) and carries its config.toml settings (the model) under holdfast's keys; the user's files are unchanged", async () => {
    const h = home();
    const s = scratch();
    const mine = join(s.dir, 'my-codex');
    const dotCodex = join(s.user, '.codex');
    for (const d of [mine, dotCodex]) mkdirSync(d, { recursive: true });
    const config =
      'model = "user-model-x"\nnotify = ["mine"]\n\n[projects."/elsewhere"]\ntrust_level = "trusted"\n';
    writeFileSync(join(mine, 'config.toml'), config);
    writeFileSync(join(mine, 'auth.json'), '{"OPENAI_API_KEY":"sk-mine"}');
    writeFileSync(join(dotCodex, 'config.toml'), 'model = "not-this-one"\n');
    writeFileSync(join(dotCodex, 'auth.json'), '{}');
    await h.json(['run', '--agent', 'codex', '--interactive', '-n', 'x', '-C', s.work], {
      env: { ...s.env, CODEX_HOME: mine },
    });
    const ready = await waitFor(
      () => fakeEvents(s).filter((e) => e.event === 'ready'),
      (v) => v.length === 1,
      { what: 'codex ready' },
    );
    expect(ready[0]!.model).toBe('user-model-x');
    const codexHome = join(h.dir, 'tasks', 'x', 'agent', 'codex-home');
    expect(invocations(s)[0]?.env.CODEX_HOME).toBe(codexHome);
    expect(lstatSync(join(codexHome, 'auth.json')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(codexHome, 'auth.json'))).toBe(join(mine, 'auth.json'));
    const merged = readFileSync(join(codexHome, 'config.toml'), 'utf8');
    expect(merged).toMatch(/^model = "user-model-x"\nnotify = \[".*hook\/main\.js"/);
    expect(merged).not.toContain('"mine"');
    expect(merged).toContain('[projects."/elsewhere"]');
    expect(readFileSync(join(mine, 'config.toml'), 'utf8')).toBe(config);
    expect(lstatSync(join(mine, 'config.toml')).isFile()).toBe(true);
  });

  it('refuses --interactive for an agent whose TUI gives no signals, and --trust without --interactive', async () => {
    const h = home();
    const s = scratch();
    const gemini = await h.cli(['run', '--agent', 'gemini', '--interactive', '--prompt', 'x'], {
      env: s.env,
    });
    expect(gemini.code).toBe(2);
    expect(gemini.stderr).toMatch(/^holdfast: --interactive: gemini's TUI gives no signals/);
    const trust = await h.cli(['run', '--agent', 'claude', '--trust', '--prompt', 'x'], { env: s.env });
    expect(trust.code).toBe(2);
    expect(trust.stderr).toMatch(/^holdfast: --trust is for interactive agents/);
    expect((await h.json<TaskView[]>(['ls'])).length).toBe(0);
  });
});

async function status(h: Home, name: string): Promise<TaskView> {
  return h.json<TaskView>(['status', name]);
}
function waitStatus(h: Home, name: string, ok: (v: TaskView) => boolean, what: string, timeoutMs = 10_000) {
  return waitFor(() => status(h, name), ok, { what, timeoutMs });
}
/** Waits ≥ `ms` after a dialog was seen drawn: the dialog ignores keys for 125 ms (§4). */
async function pause(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms)); // a protocol delay (§4), not a wait for state
}

describe('interactive state from signals and the screen', () => {
  it('claude: activity follows the hooks (idle → working → idle), each change reaches the store soon after its signal (p99 reported), and never flaps', async () => {
    const h = daemonHome();
    const s = scratch();
    await h.json(['run', '--agent', 'claude', '--interactive', '--trust', '-n', 'c', '-C', s.work], {
      env: s.env,
    });
    await waitStatus(
      h,
      'c',
      (v) => v.activity === 'idle' && v.state === 'running',
      'idle after SessionStart',
    );
    const TURNS = 8;
    for (let i = 0; i < TURNS; i++) {
      await waitFor(
        () => screen(h, 'c'),
        (v) => v.includes(`❯${NBSP}`) && !v.includes('esc to interrupt'),
        { what: 'the empty composer' },
      );
      await typeInto(h, 'c', `turn ${i} [[sleep 300]] [[say done ${i}]]`);
      await waitFor(
        () => signals(h, 'c').filter((l) => l.event === 'Stop'),
        (v) => v.length === i + 1,
        { what: `Stop of turn ${i}` },
      );
    }
    const v = await waitStatus(h, 'c', (t) => t.activity === 'idle', 'idle at the end');
    expect(v.question).toBeNull();
    const events = (await h.events('c')).filter((e) => e.type === 'activity');
    const lines = signals(h, 'c');
    // Each UserPromptSubmit and Stop is one change, in order, from the hook or, read before it,
    // claude's registry (written first, §3).
    const changes = events.map((e) => `${e.data.activity}/${e.data.via}`);
    expect(changes).toEqual([
      'idle/hook',
      ...Array.from({ length: TURNS }, () => [
        expect.stringMatching(/^working\/(hook|registry)$/),
        expect.stringMatching(/^idle\/(hook|registry)$/),
      ]).flat(),
    ]);
    const latencies: number[] = [];
    const submits = lines.filter((l) => l.event === 'UserPromptSubmit');
    const stops = lines.filter((l) => l.event === 'Stop');
    const working = events.filter((e) => e.data.activity === 'working');
    const idle = events.filter((e) => e.data.activity === 'idle').slice(1);
    for (let i = 0; i < TURNS; i++) {
      if (working[i]!.data.via === 'hook') latencies.push(working[i]!.at - submits[i]!.at);
      if (idle[i]!.data.via === 'hook') latencies.push(idle[i]!.at - stops[i]!.at);
    }
    latencies.sort((a, b) => a - b);
    const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.ceil(q * latencies.length) - 1)]!;
    console.log(
      `signal → store latency over ${latencies.length} changes: p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${latencies.at(-1)} ms`,
    );
    // Each change is paired with its own signal: mispaired, one would be off by a turn (≥ 300 ms).
    // A change is journaled at the time its pass began, and the pass may read a line appended
    // after that, so it can precede its signal by up to one pass (a few ms; under 100 loaded).
    expect(latencies[0]).toBeGreaterThanOrEqual(-100);
    // The goal is 150 ms (issue 10); a loaded 2-core machine is allowed some slack in a test.
    expect(p(0.5)).toBeLessThanOrEqual(150);
  });

  it('claude: an approval dialog (no rule answered the hook) is a permission question, waiting-input, until the dialog is answered on screen', async () => {
    const h = daemonHome();
    const s = scratch();
    await h.json(['run', '--agent', 'claude', '--interactive', '--trust', '-n', 'c', '-C', s.work], {
      env: s.env,
    });
    await claudeIdle(h, 'c');
    await typeInto(h, 'c', 'go [[tool Bash touch made.txt]] [[say made]]');
    const asked = await waitStatus(h, 'c', (v) => v.state === 'waiting-input', 'waiting-input');
    expect(asked.activity).toBe('waiting-input');
    expect(asked.question).toMatchObject({ kind: 'permission', tool: 'Bash', input: 'touch made.txt' });
    const human = (await h.cli(['status', 'c'])).stdout;
    expect(human).toMatch(/^activity +waiting-input \d+m?s$/m);
    expect(human).toMatch(/^question +permission: Bash — touch made\.txt \(asked \d+m?s ago\)$/m);
    expect(human).toMatch(/^options +1\. Yes · 2\. /m);
    await waitFor(
      () => screen(h, 'c'),
      (v) => v.includes('Do you want to proceed?'),
      { what: 'the dialog' },
    );
    await pause(300);
    h.tmux(['send-keys', '-t', '=c:', '1']);
    const done = await waitStatus(
      h,
      'c',
      (v) => v.state === 'running' && v.activity === 'idle',
      'running, idle',
    );
    expect(done.question).toBeNull();
    const kinds = (await h.events('c')).map((e) => e.type);
    expect(kinds.filter((k) => k === 'question-asked')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'question-closed')).toHaveLength(1);
  });

  it('claude: a hook line that says working after the turn ended (the screen stays idle, nothing else comes) is taken back by the screen: idle again', async () => {
    const h = daemonHome();
    const s = scratch();
    await h.json(['run', '--agent', 'claude', '--interactive', '--trust', '-n', 'c', '-C', s.work], {
      env: s.env,
    });
    await claudeIdle(h, 'c');
    // Until the screen has been seen idle the loop keeps looking anyway (wantsScreen).
    await waitFor(
      () => storedTui(h, 'c')?.screen?.state,
      (v) => v === 'idle',
      { what: 'the idle screen stored' },
    );
    // What claude's PostToolUse hook runs, late: the task's own hook command with its payload.
    const settings = JSON.parse(readFileSync(join(h.dir, 'tasks', 'c', 'agent', 'settings.json'), 'utf8'));
    const command: string = settings.hooks.PostToolUse[0].hooks[0].command;
    const sessionId = signals(h, 'c')[0]!.payload.session_id;
    const payload = { session_id: sessionId, cwd: s.work, hook_event_name: 'PostToolUse', tool_name: 'Read' };
    execFileSync('sh', ['-c', command], { input: JSON.stringify(payload), env: h.env });
    // The working spell is short (the screen is believed 500 ms after the line): read from the journal.
    const events = await waitFor(
      async () => (await h.events('c')).filter((e) => e.type === 'activity'),
      (v) => v.length >= 3,
      { what: 'working from the late line, then idle again from the screen' },
    );
    expect(events.map((e) => `${e.data.activity}/${e.data.via}`)).toEqual([
      'idle/hook',
      'working/hook',
      'idle/screen',
    ]);
  });

  it('claude without --trust: the trust dialog is a question of kind trust (seen on the screen), and ~/.claude.json is not touched', async () => {
    const h = daemonHome();
    const s = scratch();
    const before = readFileSync(join(s.user, '.claude.json'), 'utf8');
    await h.json(['run', '--agent', 'claude', '--interactive', '-n', 'c', '-C', s.work], { env: s.env });
    const asked = await waitStatus(h, 'c', (v) => v.state === 'waiting-input', 'the trust question');
    expect(asked.question).toMatchObject({
      kind: 'trust',
      tool: null,
      options: ['Yes, proceed', 'No, exit'],
    });
    expect(readFileSync(join(s.user, '.claude.json'), 'utf8')).toBe(before);
    await pause(300);
    h.tmux(['send-keys', '-t', '=c:', '1']);
    const after = await waitStatus(h, 'c', (v) => v.state === 'running' && v.question === null, 'trusted');
    expect(after.activity).toBe('idle');
  });

  it("claude: an Esc interrupt (no hook fires) is seen through claude's session registry (§3): working → idle via registry, sooner than the screen could tell it", async () => {
    const h = daemonHome();
    const s = scratch();
    await h.json(['run', '--agent', 'claude', '--interactive', '--trust', '-n', 'c', '-C', s.work], {
      env: s.env,
    });
    await claudeIdle(h, 'c');
    await typeInto(h, 'c', 'forever [[hang]]');
    await waitStatus(h, 'c', (v) => v.activity === 'working', 'working');
    await waitFor(
      () => screen(h, 'c'),
      (v) => v.includes('esc to interrupt'),
      { what: 'the working footer' },
    );
    h.tmux(['send-keys', '-t', '=c:', 'Escape']);
    await waitStatus(h, 'c', (v) => v.activity === 'idle', 'idle after the interrupt');
    const events = (await h.events('c')).filter((e) => e.type === 'activity');
    expect(events.map((e) => `${e.data.activity}/${e.data.via}`)).toEqual([
      'idle/hook',
      'working/hook',
      'idle/registry',
    ]);
    const [interrupted] = fakeEvents(s).filter((e) => e.event === 'interrupted') as { at: number }[];
    // The screen believes idle only once two looks SCREEN_SETTLE_MS apart have shown it.
    const latency = events[2]!.at - interrupted!.at;
    console.log(`Esc interrupt → store via the registry: ${latency} ms`);
    expect(latency).toBeLessThan(SCREEN_SETTLE_MS);
  });

  it('codex: an Esc interrupt (no hook, no notify, no registry) is seen on the screen: working → idle, once, not within 500 ms of the last change', async () => {
    const h = daemonHome();
    const s = scratch();
    await h.json(['run', '--agent', 'codex', '--interactive', '-n', 'x', '-C', s.work], { env: s.env });
    await waitFor(
      () => screen(h, 'x'),
      (v) => v.includes('› Ask Codex to do anything'),
      { what: "codex's idle composer" },
    );
    await typeInto(h, 'x', 'forever [[hang]]');
    await waitStatus(h, 'x', (v) => v.activity === 'working', 'working');
    await waitFor(
      () => screen(h, 'x'),
      (v) => v.includes('esc to interrupt'),
      { what: 'the working footer' },
    );
    h.tmux(['send-keys', '-t', '=x:', 'Escape']);
    await waitStatus(h, 'x', (v) => v.activity === 'idle', 'idle after the interrupt');
    const events = (await h.events('x')).filter((e) => e.type === 'activity');
    // Working is told by the hook or, when its process starts late, by the screen before it.
    expect(events.slice(-2).map((e) => `${e.data.activity}/${e.data.via}`)).toEqual([
      expect.stringMatching(/^working\/(hook|screen)$/),
      'idle/screen',
    ]);
    expect(events.at(-1)!.at - events.at(-2)!.at).toBeGreaterThanOrEqual(500);
  });
});

/** The task's interactive state as the daemon last wrote it (the screen it last believed included). */
function storedTui(h: Home, task: string): { screen: { state: string } | null } | null {
  const db = new Database(join(h.dir, 'holdfast.db'), { readonly: true });
  try {
    const row = db.prepare('SELECT tui FROM tasks WHERE name = ?').get(task) as
      | { tui: string | null }
      | undefined;
    return row?.tui ? JSON.parse(row.tui) : null;
  } finally {
    db.close();
  }
}

/** The prompt holdfast recorded for each run of a task (what delivery types in first). */
function runPrompts(h: Home, task: string): (string | null)[] {
  const db = new Database(join(h.dir, 'holdfast.db'), { readonly: true });
  try {
    return db
      .prepare('SELECT r.prompt FROM runs r JOIN tasks t ON t.id = r.task_id WHERE t.name = ? ORDER BY r.n')
      .all(task)
      .map((r) => (r as { prompt: string | null }).prompt);
  } finally {
    db.close();
  }
}

describe('interactive crash and resume', () => {
  it('claude: a crash mid-turn comes back in the same pane on --resume <its session>, with "continue" as the next run\'s first input; ls shows the ACTIVITY column', async () => {
    const h = daemonHome();
    const s = scratch();
    const task = await h.json<TaskView>(
      ['run', '--agent', 'claude', '--interactive', '--trust', '-n', 'c', '-C', s.work],
      { env: s.env },
    );
    await claudeIdle(h, 'c');
    const ls = await h.cli(['ls']);
    expect(ls.stdout).toMatch(/NAME\s+STATE\s+ACTIVITY\s+PID/);
    expect(ls.stdout).toMatch(/\bc\s+running\s+idle\b/);
    await typeInto(h, 'c', 'work [[sleep 700]] [[crash 3]]');
    await waitFor(
      () => invocations(s),
      (v) => v.length === 2,
      { what: 'the second start', timeoutMs: 15_000 },
    );
    expect(invocations(s)[1]!.argv).toEqual([
      '--resume',
      task.sessionId,
      '--settings',
      join(h.dir, 'tasks', 'c', 'agent', 'settings.json'),
    ]);
    const resumed = await waitStatus(
      h,
      'c',
      (v) => v.runs.length === 2 && v.activity === 'idle',
      'run 2 idle',
    );
    expect(resumed.sessionId).toBe(task.sessionId);
    expect(resumed.runs[1]).toMatchObject({ cause: 'resume' });
    expect(runPrompts(h, 'c')).toEqual([null, 'continue']);
  });

  it('codex: the thread id is captured from its hooks, and a crash resumes it with `codex resume <thread-id> --no-daemon`', async () => {
    const h = daemonHome();
    const s = scratch();
    await h.json(
      ['run', '--agent', 'codex', '--interactive', '-n', 'x', '-C', s.work, '--resume-prompt', 'go on'],
      {
        env: s.env,
      },
    );
    await waitFor(
      () => screen(h, 'x'),
      (v) => v.includes('? for shortcuts'),
      { what: 'idle codex' },
    );
    await typeInto(h, 'x', 'first [[say ok]]');
    // The turn's end: SessionStart (at the first prompt, §3) already carries the thread id.
    const lines = await waitFor(
      () => signals(h, 'x'),
      (v) => v.some((l) => l.event === 'Stop'),
      { what: 'the first turn to end' },
    );
    const thread = lines.find((l) => l.event === 'UserPromptSubmit')?.payload.session_id;
    expect(thread).toMatch(/^[0-9a-f-]{36}$/);
    await waitStatus(h, 'x', (v) => v.sessionId === thread && v.activity === 'idle', 'thread id');
    await typeInto(h, 'x', 'second [[sleep 500]] [[crash 2]]');
    await waitFor(
      () => invocations(s),
      (v) => v.length === 2,
      { what: 'the second start', timeoutMs: 15_000 },
    );
    expect(invocations(s)[1]!.argv).toEqual([
      'resume',
      thread,
      '--no-daemon',
      '--dangerously-bypass-hook-trust',
    ]);
    await waitStatus(h, 'x', (v) => v.runs.length === 2 && v.state === 'running', 'run 2 running');
    expect(runPrompts(h, 'x')).toEqual([null, 'go on']);
  });
});

describe('interactive usage limits', () => {
  it('claude: a limit in the live TUI is rate-limited with the screen’s reset time; its own continue after the reset makes it running again, and holdfast types nothing', async () => {
    const h = daemonHome();
    const s = scratch();
    s.env.FAKE_TUI_CLAUDE_AUTO_RESUME_MS = '500';
    await h.json(['run', '--agent', 'claude', '--interactive', '--trust', '-n', 'c', '-C', s.work], {
      env: s.env,
    });
    await claudeIdle(h, 'c');
    const typedAt = Date.now();
    await typeInto(h, 'c', 'go [[limit 2]]');
    const limited = await waitStatus(
      h,
      'c',
      (v) => v.state === 'rate-limited' && v.limitResetsAt !== null,
      'rate-limited with a reset time',
    );
    // The screen says the minute (`limit resets 7:18am`): sure only at its end.
    const resetsAt = Date.parse(limited.limitResetsAt!);
    expect(resetsAt).toBeGreaterThan(typedAt);
    expect(resetsAt).toBeLessThanOrEqual(typedAt + 2000 + 60_000);
    expect(new Date(resetsAt).getSeconds()).toBe(0);
    const back = await waitStatus(h, 'c', (v) => v.state === 'running', 'running after its own continue');
    expect(back.limitResetsAt).toBeNull();
    const events = await h.events('c');
    // The hook has no reset time (§5), the screen gives it: which is folded first depends on the
    // hook's speed (the order is src/core/decide-tui.test.ts's), the reset time above is the screen's.
    expect(events.find((e) => e.type === 'rate-limited')?.data).toMatchObject({ continues: 'agent' });
    expect(events.find((e) => e.type === 'limit-lifted')?.data).toEqual({ continuedBy: 'agent' });
    expect(events.filter((e) => e.type === 'limit-continue')).toEqual([]);
    const prompts = signals(h, 'c')
      .filter((l) => l.event === 'UserPromptSubmit')
      .map((l) => l.payload.prompt);
    expect(prompts).toEqual(['go [[limit 2]]', 'Your claude.ai usage limit has reset. Continue the task…']);
  });

  it('codex: a limit in the live TUI is rate-limited; at the reset (the minute’s end) holdfast queues its continue once; the prompt going in makes it running again', async () => {
    const h = daemonHome();
    const s = scratch();
    await h.json(
      ['run', '--agent', 'codex', '--interactive', '-n', 'x', '-C', s.work, '--resume-prompt', 'go on'],
      { env: s.env },
    );
    await waitFor(
      () => screen(h, 'x'),
      (v) => v.includes('? for shortcuts'),
      { what: 'idle codex' },
    );
    await typeInto(h, 'x', 'go [[limit 1]]');
    const limited = await waitStatus(h, 'x', (v) => v.state === 'rate-limited', 'rate-limited');
    const resetsAt = Date.parse(limited.limitResetsAt!);
    expect(new Date(resetsAt).getSeconds()).toBe(0);
    const [cont] = await waitFor(
      async () => (await h.events('x')).filter((e) => e.type === 'limit-continue'),
      (v) => v.length > 0,
      { what: 'the continue after the reset', timeoutMs: 75_000 },
    );
    // Due at the reset, or LIMIT_MIN_LEAD_MS after the limit was seen when the reset is sooner.
    const due = (cont!.data as { dueAt: number }).dueAt;
    expect(cont!.data).toEqual({ text: 'go on', dueAt: due });
    expect(due).toBeGreaterThanOrEqual(resetsAt);
    expect(due - resetsAt).toBeLessThanOrEqual(LIMIT_MIN_LEAD_MS);
    expect(cont!.at).toBeGreaterThanOrEqual(due);
    // The continue is an input: typed by delivery into the TUI, once.
    await waitStatus(h, 'x', (v) => v.state === 'running', 'running again');
    const model = await waitFor(
      () =>
        readFileSync(join(s.state, 'inputs.jsonl'), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => (JSON.parse(l) as { prompt: string }).prompt),
      (v) => v.includes('go on'),
      { what: 'the continue in the fake model' },
    );
    expect(model.filter((p) => p === 'go on')).toHaveLength(1);
    const events = await h.events('x');
    expect(events.find((e) => e.type === 'rate-limited')?.data).toMatchObject({ continues: 'holdfast' });
    expect(events.find((e) => e.type === 'limit-lifted')?.data).toEqual({ continuedBy: 'holdfast' });
    expect(events.filter((e) => e.type === 'limit-continue')).toHaveLength(1);
  }, 120_000);
});

describe('interactive stall', () => {
  it('claude: a turn silent for --stall-timeout is sent Escape (journaled); the TUI interrupts it and the task runs on, not restarted', async () => {
    const h = daemonHome();
    const s = scratch();
    await h.json(
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
        '--stall-timeout',
        '2s',
      ],
      { env: s.env },
    );
    await claudeIdle(h, 'c');
    await typeInto(h, 'c', 'forever [[hang]]');
    await waitStatus(h, 'c', (v) => v.activity === 'working', 'working');
    const kinds = await waitFor(
      async () => (await h.events('c')).map((e) => e.type),
      (v) => v.includes('output-resumed'),
      { what: 'the stall and its end', timeoutMs: 15_000 },
    );
    const events = await h.events('c');
    expect(events.find((e) => e.type === 'stalled')?.data).toMatchObject({ action: 'escape' });
    expect(kinds.filter((k) => k === 'stalled')).toHaveLength(1);
    const interrupted = readFileSync(join(s.state, 'events.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .filter((e) => e.event === 'interrupted');
    expect(interrupted).toHaveLength(1);
    const v = await waitStatus(
      h,
      'c',
      (t) => t.state === 'running' && t.activity === 'idle',
      'running, idle',
    );
    expect(v.runs).toHaveLength(1);
    expect(invocations(s)).toHaveLength(1);
  });

  it('claude: a TUI that takes no keys (SIGSTOPped) stays silent after the Escape: killed and resumed on its session with "continue"', async () => {
    const h = daemonHome();
    const s = scratch();
    const task = await h.json<TaskView>(
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
        '--stall-timeout',
        '2s',
      ],
      { env: s.env },
    );
    await claudeIdle(h, 'c');
    await typeInto(h, 'c', 'forever [[hang]]');
    await waitStatus(h, 'c', (v) => v.activity === 'working', 'working');
    // Stopped once its transcript has the prompt (§3: before that, the session cannot be resumed).
    const transcript = join(
      s.user,
      '.claude',
      'projects',
      s.work.replaceAll('/', '-'),
      `${task.sessionId}.jsonl`,
    );
    await waitFor(
      () => (existsSync(transcript) ? readFileSync(transcript, 'utf8') : ''),
      (v) => v.includes('"type":"user"'),
      { what: 'the transcript’s user line' },
    );
    const { pid } = invocations(s)[0] as unknown as { pid: number };
    process.kill(pid, 'SIGSTOP');
    try {
      await waitFor(
        () => invocations(s),
        (v) => v.length === 2,
        { what: 'the resumed start', timeoutMs: 25_000 },
      );
    } finally {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already ended by holdfast's SIGKILL
      }
    }
    expect(invocations(s)[1]!.argv.slice(0, 2)).toEqual(['--resume', task.sessionId]);
    const stalls = (await h.events('c')).filter((e) => e.type === 'stalled').map((e) => e.data.action);
    expect(stalls).toEqual(['escape', 'restart']);
    const v = await waitStatus(h, 'c', (t) => t.runs.length === 2, 'run 2');
    expect(v.runs[1]).toMatchObject({ cause: 'stall' });
    expect(runPrompts(h, 'c')).toEqual([null, 'continue']);
  }, 40_000);
});
