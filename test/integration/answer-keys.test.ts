/**
 * Questions answered by keys on the agent's screen (docs/INTERACTIVE.md §1, §4), on the fake TUIs
 * (test/fixtures/fake-tui) in the home's real tmux server with a real daemon: the trust dialog, an
 * approval whose hook gave no answer because no daemon ran (the screen path catches it on return),
 * codex's "always" (its `p`), and claude's interrupted prompt put back in the composer (§2), which
 * holdfast clears instead of merging the next input with it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSignalLine, type SignalLine } from '../../src/agents/signals.js';
import type { JournalEvent } from '../../src/store/events.js';
import type { TaskView } from '../../src/views/task.js';
import { FIXTURES, type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

// Registered before the home's: after-hooks run last-registered first, so the home's tmux server
// (and the fakes in it) is gone before the fakes' scratch directories are removed.
const scratches: string[] = [];
afterEach(() => {
  for (const d of scratches.splice(0)) rmSync(d, { recursive: true, force: true });
});
const home = useHome({ daemon: true });
const TUI_BIN = join(FIXTURES, 'fake-tui', 'bin');
const NBSP = '\u00a0';

interface Scratch {
  work: string;
  state: string;
  env: NodeJS.ProcessEnv;
}
/** A user HOME where claude's onboarding is done (INTERACTIVE.md §1), a work dir, the fakes' records. */
function scratch(): Scratch {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'hf-keys-')));
  scratches.push(dir);
  const user = join(dir, 'user');
  const work = join(dir, 'work');
  const state = join(dir, 'state');
  for (const d of [user, work, state]) mkdirSync(d, { recursive: true });
  writeFileSync(join(user, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true }));
  return { work, state, env: { PATH: `${TUI_BIN}:${process.env.PATH}`, HOME: user, FAKE_TUI_STATE: state } };
}

function records(s: Scratch, file: string): Record<string, unknown>[] {
  try {
    return readFileSync(join(s.state, file), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  } catch {
    return [];
  }
}
const fakeEvents = (s: Scratch, name: string) => records(s, 'events.jsonl').filter((e) => e.event === name);
/** What the fake's "model" got, in order (fake-tui README, Records). */
const received = (s: Scratch) => records(s, 'inputs.jsonl').map((r) => r.prompt as string);
function signals(h: Home, name: string): SignalLine[] {
  try {
    return readFileSync(join(h.dir, 'tasks', name, 'signals.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => parseSignalLine(l))
      .filter((l): l is SignalLine => l !== null);
  } catch {
    return [];
  }
}
const screen = (h: Home, name: string) => h.tmux(['capture-pane', '-p', '-t', `=${name}:`]);
const ofKind = (events: JournalEvent[], type: string) => events.filter((e) => e.type === type);
type WithQuestion = TaskView & { question: Record<string, unknown> | null; activity: string | null };
const status = (h: Home, name: string) => h.json<WithQuestion>(['status', name]);
function waitStatus(h: Home, name: string, ok: (v: WithQuestion) => boolean, what: string) {
  return waitFor(() => status(h, name), ok, { what, timeoutMs: 15_000 });
}

/** INTERACTIVE.md §2's delivery by hand (no daemon to deliver a send): a bracketed paste, ≥ 300 ms, Enter. */
async function typeInto(h: Home, name: string, text: string): Promise<void> {
  const buffer = `t-${process.pid}-${Date.now()}`;
  execFileSync('tmux', ['-S', h.socket, 'load-buffer', '-b', buffer, '-'], { input: text, env: h.env });
  h.tmux(['paste-buffer', '-p', '-d', '-b', buffer, '-t', `=${name}:`]);
  await new Promise((r) => setTimeout(r, 300)); // a protocol delay (§2), not a wait for state
  h.tmux(['send-keys', '-t', `=${name}:`, 'Enter']);
}

async function start(h: Home, s: Scratch, agent: 'claude' | 'codex', name: string): Promise<void> {
  await h.json(['run', '--agent', agent, '--interactive', '--trust', '-n', name, '-C', s.work], {
    env: s.env,
  });
  await waitFor(
    () => screen(h, name),
    (v) => (agent === 'claude' ? v.includes(`❯${NBSP}`) : v.includes('› Ask Codex to do anything')),
    { what: `${agent}'s empty composer` },
  );
}

/** Stops the daemon (and its watchdog) so a hook that fires now finds none and gives no answer. */
async function stopDaemon(h: Home): Promise<void> {
  const r = await h.cli(['daemon', 'stop']);
  expect(r.code, r.stderr).toBe(0);
}
async function startDaemon(h: Home): Promise<void> {
  const r = await h.cli(['daemon', 'start']);
  expect(r.code, r.stderr).toBe(0);
}

/** A tool call asked for while no daemon runs: the hook gives no answer and the dialog is drawn. */
async function askWithDaemonDown(h: Home, name: string, prompt: string, dialog: string): Promise<void> {
  await stopDaemon(h);
  await typeInto(h, name, prompt);
  await waitFor(
    () => screen(h, name),
    (v) => v.includes(dialog),
    { what: 'the dialog, drawn with no answer from the hook' },
  );
  const asked = await waitFor(
    () => signals(h, name).filter((l) => l.event === 'PermissionRequest'),
    (v) => v.length > 0,
    { what: "the hook's line" },
  );
  expect(asked).toHaveLength(1);
  expect(asked[0]!.questionId).toBeUndefined();
  expect(asked[0]!.decision).toBeUndefined();
  await startDaemon(h);
}

describe('answers by keys on the screen', () => {
  it('claude without --trust: answer yes to the trust dialog presses 1 (never Enter: its default is "No, exit"), the agent reaches its prompt box and its first prompt is delivered', async () => {
    const h = home();
    const s = scratch();
    await h.json(
      ['run', '--agent', 'claude', '--interactive', '-n', 'c', '-C', s.work, '--prompt', 'hello [[say hi]]'],
      {
        env: s.env,
      },
    );
    const asked = await waitStatus(h, 'c', (v) => v.question?.kind === 'trust', 'the trust question');
    expect(asked.question).toMatchObject({ kind: 'trust', via: 'screen' });
    const r = await h.cli(['answer', 'c', 'yes', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ via: 'screen', behavior: 'allow', state: 'confirmed' });
    await waitFor(
      () => received(s),
      (v) => v.length === 1,
      { what: 'the first prompt delivered' },
    );
    expect(received(s)).toEqual(['hello [[say hi]]']);
    expect(fakeEvents(s, 'gate-answered')).toEqual([expect.objectContaining({ gate: 'trust', option: 1 })]);
    const events = await h.events('c');
    expect(ofKind(events, 'approval-decided').map((e) => e.data)).toEqual([
      {
        questionId: asked.question!.id,
        kind: 'trust',
        tool: null,
        input: null,
        behavior: 'allow',
        by: 'user',
        via: 'screen',
      },
    ]);
    const no = await h.cli(['answer', 'c', 'yes']);
    expect(no.code).toBe(2);
  });

  it('claude: an approval asked while the daemon was down is a screen question once it is back; answer yes presses 1 once and the tool runs once', async () => {
    const h = home();
    const s = scratch();
    await start(h, s, 'claude', 'c');
    await askWithDaemonDown(
      h,
      'c',
      'go [[tool Bash touch made.txt]] [[say made]]',
      'Do you want to proceed?',
    );
    const asked = await waitStatus(
      h,
      'c',
      (v) => v.state === 'waiting-input',
      'the question, from the screen path',
    );
    expect(asked.question).toMatchObject({
      kind: 'permission',
      tool: 'Bash',
      input: 'touch made.txt',
      via: 'screen',
    });
    const r = await h.cli(['answer', 'c', 'yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    await waitFor(
      () => signals(h, 'c'),
      (v) => v.some((l) => l.event === 'Stop'),
      { what: 'the turn to end' },
    );
    expect(fakeEvents(s, 'dialog-answered')).toEqual([
      expect.objectContaining({ tool: 'Bash', behavior: 'allow', by: 'user', option: 1 }),
    ]);
    expect(signals(h, 'c').filter((l) => l.event === 'PostToolUse')).toHaveLength(1);
    const events = await h.events('c');
    expect(ofKind(events, 'approval-decided').map((e) => e.data)).toEqual([
      {
        questionId: asked.question!.id,
        tool: 'Bash',
        input: 'touch made.txt',
        behavior: 'allow',
        by: 'user',
        via: 'screen',
      },
    ]);
    await waitStatus(h, 'c', (v) => v.state === 'running' && v.question === null, 'running again');
  });

  it('claude: answer no --message on a screen question presses Esc (the turn ends, no hook), then the message is the next input, once', async () => {
    const h = home();
    const s = scratch();
    await start(h, s, 'claude', 'c');
    await askWithDaemonDown(h, 'c', 'go [[tool Bash npm install left-pad]]', 'Do you want to proceed?');
    await waitStatus(h, 'c', (v) => v.state === 'waiting-input', 'the question');
    const r = await h.cli(['answer', 'c', 'no', '--message', 'use pnpm, not npm [[say ok pnpm]]']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    await waitFor(
      () => received(s),
      (v) => v.length === 2,
      { what: 'the message delivered' },
    );
    expect(received(s)).toEqual([
      'go [[tool Bash npm install left-pad]]',
      'use pnpm, not npm [[say ok pnpm]]',
    ]);
    expect(fakeEvents(s, 'dialog-answered')).toEqual([
      expect.objectContaining({ behavior: 'cancel', by: 'user' }),
    ]);
    expect(signals(h, 'c').filter((l) => l.event === 'PostToolUse')).toEqual([]);
    const events = await h.events('c');
    expect(ofKind(events, 'approval-decided').map((e) => e.data)).toEqual([
      expect.objectContaining({
        input: 'npm install left-pad',
        behavior: 'deny',
        by: 'user',
        message: 'use pnpm, not npm [[say ok pnpm]]',
        via: 'screen',
      }),
    ]);
    expect(ofKind(events, 'input-queued').map((e) => e.data.source)).toEqual(['answer', 'answer']);
  });

  it("codex: answer always on a screen question presses p, which writes the command's prefix rule in the task's CODEX_HOME", async () => {
    const h = home();
    const s = scratch();
    await start(h, s, 'codex', 'x');
    await askWithDaemonDown(
      h,
      'x',
      'go [[tool Bash touch made.txt]] [[say made]]',
      'Would you like to run the following command?',
    );
    await waitStatus(h, 'x', (v) => v.state === 'waiting-input', 'the question');
    const r = await h.cli(['answer', 'x', 'always']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    await waitFor(
      () => signals(h, 'x'),
      (v) => v.some((l) => l.event === 'Stop'),
      { what: 'the turn to end' },
    );
    expect(fakeEvents(s, 'dialog-answered')).toEqual([
      expect.objectContaining({ behavior: 'allow', by: 'user', option: 2 }),
    ]);
    const rules = readFileSync(
      join(h.dir, 'tasks', 'x', 'agent', 'codex-home', 'rules', 'default.rules'),
      'utf8',
    );
    expect(rules).toBe('prefix_rule(pattern=["touch", "made.txt"], decision="allow")\n');
    expect(ofKind(await h.events('x'), 'approval-decided').map((e) => e.data)).toEqual([
      expect.objectContaining({ tool: 'Bash', behavior: 'allow', by: 'user', via: 'screen' }),
    ]);
  });
});

describe('a restored prompt', () => {
  it("claude: after an Esc interrupt puts holdfast's own prompt back in the composer, send clears it (Escape, 0.5 s, Escape) and is delivered once, not merged with it", async () => {
    const h = home();
    const s = scratch();
    await start(h, s, 'claude', 'c');
    expect((await h.cli(['send', 'c', 'forever [[hang]]'])).code).toBe(0);
    await waitFor(
      () => screen(h, 'c'),
      (v) => v.includes('esc to interrupt'),
      { what: 'the working footer' },
    );
    h.tmux(['send-keys', '-t', '=c:', 'Escape']);
    await waitFor(
      () => screen(h, 'c'),
      (v) => v.includes('❯ forever [[hang]]') && !v.includes('esc to interrupt'),
      { what: 'the interrupted prompt back in the composer' },
    );
    expect((await h.cli(['send', 'c', 'next one [[say done]]'])).code).toBe(0);
    await waitFor(
      () => received(s),
      (v) => v.length === 2,
      { what: 'the second input delivered' },
    );
    expect(received(s)).toEqual(['forever [[hang]]', 'next one [[say done]]']);
    expect(fakeEvents(s, 'interrupted')).toHaveLength(1);
    const events = await waitFor(
      () => h.events('c'),
      (v) => ofKind(v, 'input-confirmed').length === 2,
      { what: 'both inputs confirmed' },
    );
    expect(ofKind(events, 'input-failed')).toEqual([]);
  });

  it("claude: a draft that is not exactly holdfast's last input is a human's and is never cleared", async () => {
    const h = home();
    const s = scratch();
    await start(h, s, 'claude', 'c');
    expect((await h.cli(['send', 'c', 'first [[say one]]'])).code).toBe(0);
    await waitFor(
      () => received(s),
      (v) => v.length === 1,
      { what: 'the first input' },
    );
    await waitFor(
      () => screen(h, 'c'),
      (v) => v.includes(`❯${NBSP}`) && !v.includes('esc to interrupt'),
      { what: 'the composer empty again' },
    );
    h.tmux(['send-keys', '-t', '=c:', '-l', 'first [[say one]] and more']);
    await waitFor(
      () => screen(h, 'c'),
      (v) => v.includes('❯ first [[say one]] and more'),
      { what: "the human's draft" },
    );
    expect((await h.cli(['send', 'c', 'from holdfast'])).code).toBe(0);
    await waitFor(
      () => h.events('c'),
      (v) => ofKind(v, 'input-deferred').some((e) => e.data.why === 'draft'),
      { what: 'input-deferred (draft)' },
    );
    expect(screen(h, 'c')).toContain('❯ first [[say one]] and more');
    expect(received(s)).toEqual(['first [[say one]]']);
  });
});

/**
 * A daemon killed after it recorded an answer as `sent`, before or after its key: the row as that
 * daemon left it (its owner a dead process), written while no daemon runs; the next daemon takes
 * it over. Before the key: the same dialog is up and nothing happened, so it presses, once. After
 * the key (pressed here by hand): the dialog is gone and the signals moved on, so nothing is pressed.
 */
describe('an answer by keys across a daemon kill -9', () => {
  function recordSent(h: Home, name: string): void {
    const asked = signals(h, name).find((l) => l.event === 'PermissionRequest')!;
    const db = new Database(join(h.dir, 'holdfast.db'));
    try {
      const task = db.prepare('SELECT id, current_run_id FROM tasks WHERE name = ?').get(name) as {
        id: number;
        current_run_id: number;
      };
      const answer = {
        questionId: `q-${asked.at}`,
        kind: 'permission',
        tool: 'Bash',
        input: 'touch made.txt',
        askedAt: asked.at,
        behavior: 'allow',
        always: false,
        message: null,
        by: 'user',
        key: '1',
      };
      const at = Date.now();
      db.prepare(
        `INSERT INTO inputs (task_id, text, source, mode, state, created_at, updated_at, run_id,
           signals_offset, sent_at, enters, owner_pid, owner_start)
         VALUES (?, ?, 'answer', 'keys', 'sent', ?, ?, ?, ?, ?, 1, ?, 'gone')`,
      ).run(
        task.id,
        JSON.stringify(answer),
        at,
        at,
        task.current_run_id,
        statSync(join(h.dir, 'tasks', name, 'signals.jsonl')).size,
        at,
        deadPid(),
      );
    } finally {
      db.close();
    }
  }

  it('killed before the key: the next daemon finds the same dialog, nothing after it, and presses once', async () => {
    const h = home();
    const s = scratch();
    await start(h, s, 'claude', 'c');
    await stopDaemon(h);
    await typeInto(h, 'c', 'go [[tool Bash touch made.txt]] [[say made]]');
    await waitFor(
      () => screen(h, 'c'),
      (v) => v.includes('Do you want to proceed?'),
      { what: 'the dialog' },
    );
    await waitFor(
      () => signals(h, 'c'),
      (v) => v.some((l) => l.event === 'PermissionRequest'),
      { what: "the hook's line" },
    );
    recordSent(h, 'c');
    await startDaemon(h);
    await waitFor(
      () => signals(h, 'c'),
      (v) => v.some((l) => l.event === 'Stop'),
      { what: 'the turn to end' },
    );
    expect(fakeEvents(s, 'dialog-answered')).toEqual([
      expect.objectContaining({ behavior: 'allow', by: 'user', option: 1 }),
    ]);
    const events = await waitFor(
      () => h.events('c'),
      (v) => ofKind(v, 'approval-decided').length > 0,
      { what: 'the decision journaled' },
    );
    expect(ofKind(events, 'approval-decided').map((e) => e.data)).toEqual([
      expect.objectContaining({ behavior: 'allow', by: 'user', via: 'screen' }),
    ]);
    expect(ofKind(events, 'input-confirmed')).toHaveLength(1);
  });

  it('killed after the key: the next daemon sees the dialog was left and presses nothing', async () => {
    const h = home();
    const s = scratch();
    await start(h, s, 'claude', 'c');
    await stopDaemon(h);
    await typeInto(h, 'c', 'go [[tool Bash touch made.txt]] [[say made]]');
    await waitFor(
      () => screen(h, 'c'),
      (v) => v.includes('Do you want to proceed?'),
      { what: 'the dialog' },
    );
    await waitFor(
      () => signals(h, 'c'),
      (v) => v.some((l) => l.event === 'PermissionRequest'),
      { what: "the hook's line" },
    );
    recordSent(h, 'c');
    await new Promise((r) => setTimeout(r, 300)); // §4: the dialog ignores keys for ~125 ms after drawing
    h.tmux(['send-keys', '-t', '=c:', '1']);
    await waitFor(
      () => signals(h, 'c'),
      (v) => v.some((l) => l.event === 'Stop'),
      { what: 'the turn to end' },
    );
    await startDaemon(h);
    const events = await waitFor(
      () => h.events('c'),
      (v) => ofKind(v, 'input-confirmed').length > 0,
      { what: 'the answer confirmed' },
    );
    expect(ofKind(events, 'input-failed')).toEqual([]);
    expect(fakeEvents(s, 'dialog-answered')).toHaveLength(1);
    // No second key anywhere: the composer is empty.
    expect(screen(h, 'c')).toContain(`❯${NBSP}`);
    expect(received(s)).toEqual(['go [[tool Bash touch made.txt]] [[say made]]']);
  });
});

/** A pid that no process has now: a child that has exited. */
function deadPid(): number {
  const child = spawnSync('true');
  return child.pid ?? 999_999;
}
