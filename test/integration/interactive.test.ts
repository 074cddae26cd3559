/**
 * `holdfast run --agent claude|codex --interactive` on the fake TUIs (test/fixtures/fake-tui) in
 * the home's real tmux server: the TUI reaches its prompt box with no key pressed, pointed at
 * holdfast's per-task files, and its hooks append to the task's signals.jsonl.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSignalLine, type SignalLine } from '../../src/agents/signals.js';
import type { TaskView } from '../../src/views/task.js';
import { FIXTURES, type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome();
const TUI_BIN = join(FIXTURES, 'fake-tui', 'bin');
const NBSP = '\u00a0';

interface Scratch {
  dir: string;
  user: string;
  work: string;
  state: string;
  env: NodeJS.ProcessEnv;
}
const scratches: string[] = [];
afterEach(() => {
  for (const d of scratches.splice(0)) rmSync(d, { recursive: true, force: true });
});

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
      (v) =>
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
