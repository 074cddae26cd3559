/**
 * `holdfast send` on the fake TUIs (test/fixtures/fake-tui) in the home's real tmux server: each
 * input typed into the composer once (docs/INTERACTIVE.md §2), taken by its UserPromptSubmit hook,
 * confirmed (claude) once its transcript has it, and counted in the fake's inputs.jsonl (what the
 * "model" got); never over a human. send-kept.test.ts: a TUI that dies before keeping it.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { JournalEvent } from '../../src/store/events.js';
import type { InputView } from '../../src/views/input.js';
import type { TaskView } from '../../src/views/task.js';
import { currentDaemonPid, waitForDaemon } from '../helpers/daemon.js';
import { startClaudeTui } from '../helpers/fake-tui.js';
import { FIXTURES, type Home, useHome } from '../helpers/home.js';
import { prng, testSeed } from '../helpers/random.js';
import { waitFor } from '../helpers/wait.js';

// Registered before the homes': vitest runs after-hooks last-registered first, so the homes (their
// tmux servers and the fakes in them) are gone before the fakes' scratch directories are removed.
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});
const home = useHome();
const withDaemon = useHome({ daemon: true });
const TUI_BIN = join(FIXTURES, 'fake-tui', 'bin');
const NBSP = '\u00a0';

interface Scratch {
  user: string;
  work: string;
  state: string;
  env: NodeJS.ProcessEnv;
}

/** A user HOME where claude's onboarding is done (INTERACTIVE.md §1), a work dir, the fakes' records. */
function scratch(env: Record<string, string> = {}): Scratch {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'hf-send-')));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const user = join(dir, 'user');
  const work = join(dir, 'work');
  const state = join(dir, 'state');
  for (const d of [user, work, state]) mkdirSync(d, { recursive: true });
  writeFileSync(join(user, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true }));
  return {
    user,
    work,
    state,
    env: { PATH: `${TUI_BIN}:${process.env.PATH}`, HOME: user, FAKE_TUI_STATE: state, ...env },
  };
}

/** What the fake's "model" got, in order (test/fixtures/fake-tui/README.md, Records). */
function received(s: Scratch): string[] {
  let text = '';
  try {
    text = readFileSync(join(s.state, 'inputs.jsonl'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { prompt: string }).prompt);
}
function fakeEvents(s: Scratch, event: string): Record<string, unknown>[] {
  try {
    return readFileSync(join(s.state, 'events.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => e.event === event);
  } catch {
    return [];
  }
}
function screen(h: Home, name: string): string {
  return h.tmux(['capture-pane', '-p', '-t', `=${name}:`]);
}
const ofKind = (events: JournalEvent[], type: string) => events.filter((e) => e.type === type);

async function startAgent(h: Home, s: Scratch, agent: 'claude' | 'codex', name: string, prompt?: string) {
  await h.json<TaskView>(
    [
      'run',
      '--agent',
      agent,
      '--interactive',
      '--trust',
      '-n',
      name,
      '-C',
      s.work,
      ...(prompt ? ['--prompt', prompt] : []),
    ],
    { env: s.env },
  );
  await waitFor(
    () => screen(h, name),
    (v) => (agent === 'claude' ? v.includes(`❯${NBSP}`) : v.includes('› Ask Codex to do anything')),
    { what: `${agent}'s empty composer` },
  );
}

/** Each input confirmed exactly once: one input-confirmed per id, no input-failed, no second input-sent. */
function expectEachConfirmedOnce(events: JournalEvent[], count: number): void {
  const confirmed = ofKind(events, 'input-confirmed').map((e) => e.data.input);
  expect(new Set(confirmed).size).toBe(confirmed.length);
  expect(confirmed).toHaveLength(count);
  expect(ofKind(events, 'input-failed')).toEqual([]);
  const sent = ofKind(events, 'input-sent').map((e) => e.data.input);
  expect(new Set(sent).size).toBe(sent.length);
}

describe('send', () => {
  it('claude: the first prompt and 200 sends, each typed once and confirmed once, in order (inputs.jsonl)', async () => {
    const h = withDaemon();
    const s = scratch();
    await startAgent(h, s, 'claude', 'c', 'first [[say one]]');
    const texts = Array.from({ length: 200 }, (_, i) => `message ${i} of 200`);
    for (const text of texts) {
      const r = await h.json<InputView>(['send', 'c', text]);
      expect(r).toMatchObject({ task: 'c', source: 'send', mode: 'pane' });
    }
    await waitFor(
      () => received(s),
      (v) => v.length >= 201,
      { what: '201 prompts received', timeoutMs: 240_000, intervalMs: 200 },
    );
    const events = await h.events('c');
    await waitFor(
      async () => ofKind(await h.events('c'), 'input-confirmed').length,
      (n) => n === 201,
      { what: '201 confirmations', timeoutMs: 10_000 },
    );
    expect(received(s)).toEqual(['first [[say one]]', ...texts]);
    expectEachConfirmedOnce(await h.events('c'), 201);
    expect(ofKind(events, 'input-queued')).toHaveLength(201);
  }, 300_000);

  it('codex: 20 sends with a trailing ;, a trailing \\, a tab and several lines each arrive once, exactly (its bracketed paste; its burst detector never eats the Enter)', async () => {
    const h = home();
    const s = scratch();
    await startAgent(h, s, 'codex', 'x');
    const texts = Array.from({ length: 20 }, (_, i) =>
      i % 4 === 0
        ? `run it; ${i};`
        : i % 4 === 1
          ? `path C:\\dir ${i}\\`
          : i % 4 === 2
            ? `a\tb ${i}`
            : `line one ${i}\nline two\nline three`,
    );
    for (const text of texts) {
      const r = await h.json<InputView>(['send', 'x', text]);
      expect(r.state).toBe('confirmed');
      expect(r.enters).toBe(1);
    }
    // codex drops trailing blanks (fake-tui README); a trailing `\` got a space so it stays a character (§2).
    expect(received(s)).toEqual(texts.map((t) => t.replace(/\s+$/, '')));
    expect(fakeEvents(s, 'enter-dropped')).toEqual([]);
    expectEachConfirmedOnce(await h.events('x'), 20);
  }, 120_000);

  it('claude: a trailing \\ (§2: it would turn the Enter into a newline), a trailing ; and a multi-line paste each arrive once', async () => {
    const h = home();
    const s = scratch();
    await startAgent(h, s, 'claude', 'c');
    const texts = ['ends in a backslash \\', 'ends in a semicolon;', 'one\ntwo\nthree'];
    for (const text of texts) expect((await h.json<InputView>(['send', 'c', text])).state).toBe('confirmed');
    expect(received(s).map((t) => t.replace(/\s+$/, ''))).toEqual(texts);
    expect(fakeEvents(s, 'enter-dropped')).toEqual([]);
  });

  it('claude: an Enter lost right after the prompt box appears (§2) gets one more Enter after ~2 s, and the text arrives once', async () => {
    const h = home();
    const s = scratch({ FAKE_TUI_CLAUDE_DROP_ENTERS: '1' });
    await startAgent(h, s, 'claude', 'c');
    const r = await h.json<InputView>(['send', 'c', 'right away']);
    expect(r).toMatchObject({ state: 'confirmed', enters: 2 });
    expect(received(s)).toEqual(['right away']);
    expect(fakeEvents(s, 'enter-dropped')).toHaveLength(1);
  });

  it('claude: a paste the TUI draws late (a loaded machine; seen on the real claude) is waited for, not failed, and arrives once', async () => {
    const h = home();
    const s = scratch({ FAKE_TUI_INPUT_LAG_MS: '900' });
    await startAgent(h, s, 'claude', 'c');
    for (const text of ['drawn late one', 'drawn late two']) {
      const r = await h.json<InputView>(['send', 'c', text]);
      expect(r).toMatchObject({ state: 'confirmed', reason: null });
    }
    expect(received(s)).toEqual(['drawn late one', 'drawn late two']);
    expect(ofKind(await h.events('c'), 'input-failed')).toEqual([]);
  }, 60_000);

  it('send --wait exits 1 with the reason when the agent never takes the Enter, and the text is never typed twice', async () => {
    const h = home();
    const s = scratch({ FAKE_TUI_CLAUDE_ENTER_GRACE_MS: '600000' });
    await startAgent(h, s, 'claude', 'c');
    const r = await h.cli(['send', 'c', 'never taken', '--wait']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^holdfast: input 1 to c failed: not confirmed by the agent \d+ s after Enter \(the text is still in its composer\)/,
    );
    expect(fakeEvents(s, 'enter-dropped')).toHaveLength(2);
    expect(received(s)).toEqual([]);
    // Pasted once: the composer holds the text once.
    expect(screen(h, 'c').split('never taken').length - 1).toBe(1);
  }, 30_000);

  it('a draft in the composer that holdfast did not put there defers the input until it is gone; the two never merge', async () => {
    const h = home();
    const s = scratch();
    await startAgent(h, s, 'claude', 'c');
    h.tmux(['send-keys', '-t', '=c:', '-l', 'half a thought']);
    await waitFor(
      () => screen(h, 'c'),
      (v) => v.includes('❯ half a thought'),
      { what: 'the draft' },
    );
    const sending = h.cli(['send', 'c', 'from holdfast', '--json']);
    await waitFor(
      () => h.events('c'),
      (v) => ofKind(v, 'input-deferred').some((e) => e.data.why === 'draft'),
      { what: 'input-deferred (draft)' },
    );
    expect(received(s)).toEqual([]);
    h.tmux(['send-keys', '-t', '=c:', 'C-u']);
    const r = await sending;
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as InputView).state).toBe('confirmed');
    expect(received(s)).toEqual(['from holdfast']);
  });

  it('a human attached and typing defers the input until the keyboard has been quiet for 10 s', async () => {
    const h = home();
    const s = scratch();
    await startAgent(h, s, 'claude', 'c');
    const client = attachClient(h, 'c');
    cleanups.push(() => client.kill('SIGKILL'));
    await waitFor(
      () => h.tmux(['list-clients', '-t', '=c']),
      (v) => v.trim() !== '',
      { what: 'an attached client' },
    );
    // A key and its undo: the composer is empty again, only the keyboard was used.
    client.stdin!.write('h');
    await waitFor(
      () => screen(h, 'c'),
      (v) => v.includes('❯ h'),
      { what: "the human's key" },
    );
    client.stdin!.write('\x7f');
    await waitFor(
      () => screen(h, 'c'),
      (v) => v.includes(`❯${NBSP}`),
      { what: 'the composer empty again' },
    );
    const typedAt = Date.now();
    const r = await h.cli(['send', 'c', 'after the human', '--json']);
    expect(r.code).toBe(0);
    const view = JSON.parse(r.stdout) as InputView;
    expect(view.state).toBe('confirmed');
    const events = await h.events('c');
    expect(ofKind(events, 'input-deferred').map((e) => e.data.why)).toEqual(['human-typing']);
    // tmux gives client_activity in whole seconds: at most one second early.
    const sentAt = ofKind(events, 'input-sent')[0]!.at;
    expect(sentAt - typedAt).toBeGreaterThanOrEqual(9000);
    expect(received(s)).toEqual(['after the human']);
  }, 40_000);

  it("a headless agent: send waits while its run goes on, then is its next run's resume prompt, once", async () => {
    const h = home();
    const state = join(h.dir, 'fake-state');
    const env = {
      PATH: `${join(FIXTURES, 'fake-agent', 'bin')}:${process.env.PATH}`,
      FAKE_AGENT_STATE: state,
      FAKE_AGENT_SCENARIO: JSON.stringify({
        invocations: [[{ sleep: 1500 }, { say: 'first done' }]],
        default: [{ say: 'again' }],
      }),
    };
    const run = await h.cli(['run', '-n', 'a', '--agent', 'claude', '--prompt', 'start'], { env });
    expect(run.code, run.stderr).toBe(0);
    const r = await h.cli(['send', 'a', 'and now the changelog', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ mode: 'resume', state: 'confirmed' });
    const events = await h.events('a');
    expect(ofKind(events, 'input-deferred').map((e) => e.data.why)).toEqual(['busy']);
    const sentAt = ofKind(events, 'input-sent')[0]!.at;
    const firstEnd = ofKind(events, 'exited')[0]!.at;
    expect(sentAt).toBeGreaterThanOrEqual(firstEnd);
    const view = await waitFor(
      () => h.status('a'),
      (v) => v.runs.length === 2 && v.runs[1]!.endedAt !== null,
      { what: 'the resumed run to end' },
    );
    expect(view.runs[1]!.cause).toBe('resume');
    const stdins = readFileSync(join(state, 'invocations.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { stdin: string; resumed: boolean })
      .filter((i) => i.resumed)
      .map((i) => i.stdin);
    expect(stdins).toEqual(['and now the changelog']);
  });

  it('daemon kill -9 at seeded random points of 50 deliveries: every input arrives exactly once, in order', async () => {
    const seed = testSeed();
    const random = prng(seed);
    const h = withDaemon();
    const s = scratch();
    await startAgent(h, s, 'claude', 'c');
    await waitForDaemon(h);
    const texts = Array.from({ length: 50 }, (_, i) => `kill test ${i}`);
    for (const text of texts) await h.json<InputView>(['send', 'c', text]);
    let kills = 0;
    // At least 5 kills even when a loaded machine delivered everything sooner: a daemon started
    // after the last delivery must still type nothing again.
    while ((received(s).length < texts.length || kills < 5) && kills < 40) {
      const pid = await waitForDaemon(h, null, 20_000);
      // Anywhere in a delivery: it takes ~0.5 s (paste, 300 ms, Enter, the hook).
      await new Promise((r) => setTimeout(r, 100 + Math.floor(random() * 1200)));
      if (currentDaemonPid(h) === pid) {
        process.kill(pid, 'SIGKILL');
        kills++;
      }
    }
    await waitFor(
      async () =>
        ofKind(await h.events('c'), 'input-confirmed').length +
        ofKind(await h.events('c'), 'input-failed').length,
      (n) => n >= 50,
      { what: `all 50 inputs settled (seed ${seed})`, timeoutMs: 90_000, intervalMs: 200 },
    );
    expect(received(s), `seed ${seed}, ${kills} kills`).toEqual(texts);
    const events = await h.events('c');
    expect(ofKind(events, 'input-failed'), `seed ${seed}`).toEqual([]);
    expectEachConfirmedOnce(events, 50);
    expect(kills, `seed ${seed}`).toBeGreaterThanOrEqual(5);
  }, 300_000);

  // Found by the chaos suite (test/chaos, "agent killed mid-input"): the takeover waited 1 s, then
  // pasted by the session's name into the pane respawned for the next run, pressed Enter under the
  // old run's id and failed the input at once ("the agent exited"), which the new run had taken.
  it('a daemon that takes over a `sending` input whose run ends during its 1 s settle: the next run gets it, once, confirmed', async () => {
    const h = withDaemon();
    // A prompt box soon after a start: the next run is up well within the settle.
    const s = scratch({ FAKE_TUI_CLAUDE_READY_MS: '50' });
    const daemon = await startClaudeTui(h, s);
    const id = recordSending(h, 'c', 'taken over');
    await waitFor(
      () => inputRow(h, id).owner_pid,
      (pid) => pid === daemon,
      { what: 'the daemon taking the input over', intervalMs: 10 },
    );
    const first = invocations(s)[0]!;
    process.kill(first.pid, 'SIGKILL');
    await waitFor(
      () => inputRow(h, id).state,
      (state) => state === 'confirmed' || state === 'failed',
      { what: 'the input settled', timeoutMs: 20_000 },
    );
    expect(inputRow(h, id)).toMatchObject({ state: 'confirmed', reason: null });
    const second = invocations(s)[1];
    expect(second?.sessionId).toBe(first.sessionId);
    // The model gets it once its UserPromptSubmit hook has ended, just after the hook's line.
    await waitFor(
      () => receipts(s),
      (v) => v.length > 0,
      { what: 'the prompt received' },
    );
    expect(receipts(s)).toEqual([{ prompt: 'taken over', pid: second!.pid }]);
  }, 60_000);

  // Found by the chaos suite: the deliverer waited for its paste to be drawn, saw the next run's
  // empty composer for 2 s and failed the input ("the composer held nothing"), never typed again.
  it('a TUI killed while its input is being pasted (drawn late): the next run gets it, once, confirmed', async () => {
    const h = withDaemon();
    // The terminal's input taken 1.5 s late (a loaded machine): the paste is not drawn yet when
    // the TUI is killed. A prompt box soon after a start.
    const s = scratch({ FAKE_TUI_INPUT_LAG_MS: '1500', FAKE_TUI_CLAUDE_READY_MS: '50' });
    await h.json<TaskView>(
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
        '--backoff',
        '50ms..100ms',
      ],
      { env: s.env },
    );
    await waitFor(
      () => screen(h, 'c'),
      (v) => v.includes(`❯${NBSP}`),
      { what: "claude's empty composer", timeoutMs: 15_000 },
    );
    await waitForDaemon(h);
    const { id } = await h.json<InputView>(['send', 'c', 'pasted, then killed']);
    await waitFor(
      () => inputRow(h, id).state,
      (state) => state === 'sending',
      { what: 'the input being pasted', intervalMs: 10 },
    );
    const first = invocations(s)[0]!;
    process.kill(first.pid, 'SIGKILL');
    await waitFor(
      () => inputRow(h, id).state,
      (state) => state === 'confirmed' || state === 'failed',
      { what: 'the input settled', timeoutMs: 30_000 },
    );
    expect(inputRow(h, id)).toMatchObject({ state: 'confirmed', reason: null });
    await waitFor(
      () => receipts(s),
      (v) => v.length > 0,
      { what: 'the prompt received' },
    );
    expect(receipts(s)).toEqual([{ prompt: 'pasted, then killed', pid: invocations(s)[1]!.pid }]);
  }, 60_000);
});

function invocations(s: Scratch): { pid: number; sessionId: string }[] {
  return readFileSync(join(s.state, 'invocations.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { pid: number; sessionId: string });
}

function receipts(s: Scratch): { prompt: string; pid: number }[] {
  let text = '';
  try {
    text = readFileSync(join(s.state, 'inputs.jsonl'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { prompt: string; pid: number })
    .map(({ prompt, pid }) => ({ prompt, pid }));
}

/**
 * An input as a deliverer killed right after recording it `sending` leaves it: its owner a dead
 * process, its buffer not loaded, nothing pasted, on the task's current run.
 */
function recordSending(h: Home, name: string, text: string): number {
  const db = new Database(join(h.dir, 'holdfast.db'));
  try {
    const task = db.prepare('SELECT id, current_run_id FROM tasks WHERE name = ?').get(name) as {
      id: number;
      current_run_id: number;
    };
    const at = Date.now();
    return Number(
      db
        .prepare(
          `INSERT INTO inputs (task_id, text, source, mode, state, created_at, updated_at, run_id,
             signals_offset, buffer, sending_at, owner_pid, owner_start)
           VALUES (?, ?, 'send', 'pane', 'sending', ?, ?, ?, ?, 'hf-in-gone', ?, ?, 'gone')`,
        )
        .run(
          task.id,
          text,
          at,
          at,
          task.current_run_id,
          statSync(join(h.dir, 'tasks', name, 'signals.jsonl')).size,
          at,
          spawnSync('true').pid,
        ).lastInsertRowid,
    );
  } finally {
    db.close();
  }
}

function inputRow(h: Home, id: number): { state: string; reason: string | null; owner_pid: number | null } {
  const db = new Database(join(h.dir, 'holdfast.db'), { readonly: true });
  try {
    return db.prepare('SELECT state, reason, owner_pid FROM inputs WHERE id = ?').get(id) as {
      state: string;
      reason: string | null;
      owner_pid: number | null;
    };
  } finally {
    db.close();
  }
}

/** A terminal attached to the session: `script` gives tmux's client a pty; its stdin is the keyboard. */
function attachClient(h: Home, name: string): ChildProcess {
  const attach = `tmux -S '${h.socket}' attach-session -t '=${name}'`;
  return spawn('script', ['-qfec', attach, '/dev/null'], {
    env: { ...h.env, TERM: 'xterm-256color' },
    stdio: ['pipe', 'ignore', 'ignore'],
  });
}
