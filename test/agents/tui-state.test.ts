import { describe, expect, it } from 'vitest';
import { parseRegistry, type RegistryReading } from '../../src/agents/claude-registry.js';
import type { ScreenReading } from '../../src/agents/screen.js';
import { readScreen } from '../../src/agents/screen.js';
import type { SignalLine } from '../../src/agents/signals.js';
import { foldRegistry, foldScreen, foldSignal, SCREEN_QUIET_MS } from '../../src/agents/tui-state.js';
import { INITIAL_TUI, SCREEN_STATES, type TuiState } from '../../src/core/interactive.js';
import { prng, testSeed } from '../helpers/random.js';

const hook = (event: string, at: number, payload: Record<string, unknown> = {}): SignalLine => ({
  at,
  agent: 'claude',
  source: 'hook',
  event,
  payload: { hook_event_name: event, session_id: 's-1', ...payload },
});
const registry = (status: RegistryReading['status'], at: number, waitingFor?: string): RegistryReading => ({
  status,
  waitingFor: waitingFor ?? null,
  at,
});
const reading = (state: ScreenReading['state']): ScreenReading => ({
  state,
  options: [],
  subject: null,
  detail: null,
  hash: state,
});

describe('tui state', () => {
  it('the screen alone never changes the activity twice within 500 ms, whatever it shows (seeded)', () => {
    const seed = testSeed();
    const random = prng(seed);
    let s: TuiState = INITIAL_TUI;
    const changes: number[] = [];
    for (let at = 0; at < 60_000; at += 50 + Math.floor(random() * 200)) {
      // Mostly working/idle, so a state often holds long enough to be believed; now and then anything.
      const state =
        random() < 0.9
          ? random() < 0.5
            ? 'working'
            : 'idle'
          : SCREEN_STATES[Math.floor(random() * SCREEN_STATES.length)]!;
      const before = s.activity;
      s = foldScreen(s, { reading: reading(state), at });
      if (s.activity !== before) changes.push(at);
    }
    const gaps = changes.slice(1).map((at, i) => at - changes[i]!);
    expect(changes.length, `seed ${seed}`).toBeGreaterThan(0);
    expect(Math.min(...gaps), `seed ${seed}`).toBeGreaterThanOrEqual(SCREEN_QUIET_MS);
  });

  it('a hook wins over the screen: a stale idle screen right after UserPromptSubmit does not undo working', () => {
    let s = foldSignal(INITIAL_TUI, hook('SessionStart', 0));
    s = foldScreen(s, { reading: reading('idle'), at: 1000 });
    s = foldSignal(s, hook('UserPromptSubmit', 2000, { prompt: 'x' }));
    expect(s.activity).toBe('working');
    for (const at of [2050, 2300, 2450]) s = foldScreen(s, { reading: reading('idle'), at });
    expect(s).toMatchObject({ activity: 'working', via: 'hook', turnInFlight: true });
    // Long after the last signal, the screen is believed (an Esc interrupt fires no hook).
    for (const at of [2600, 2900]) s = foldScreen(s, { reading: reading('idle'), at });
    expect(s).toMatchObject({ activity: 'idle', via: 'screen', turnInFlight: false });
  });

  it("an unanswered PermissionRequest opens a question; the hook's decision or the next tool hook closes it; codex's title notify is not the task's turn", () => {
    let s = foldSignal(INITIAL_TUI, hook('UserPromptSubmit', 0, { prompt: 'x' }));
    s = foldSignal(
      s,
      hook('PermissionRequest', 10, { tool_name: 'Bash', tool_input: { command: 'rm -rf x' } }),
    );
    expect(s.activity).toBe('waiting-input');
    expect(s.question).toMatchObject({ kind: 'permission', tool: 'Bash', input: 'rm -rf x', via: 'screen' });
    s = foldSignal(s, hook('PostToolUse', 20, { tool_name: 'Bash' }));
    expect(s).toMatchObject({ activity: 'working', question: null });
    const asked = foldSignal(s, {
      ...hook('PermissionRequest', 30, { tool_name: 'Edit' }),
      questionId: 'q9',
    });
    expect(asked.question).toMatchObject({ id: 'q9', via: 'hook' });
    const answered = foldSignal(asked, {
      ...hook('PermissionRequest', 40, { tool_name: 'Edit' }),
      questionId: 'q9',
      decision: { behavior: 'deny', by: 'user' },
    });
    expect(answered).toMatchObject({ activity: 'working', question: null });
    const title: SignalLine = {
      at: 50,
      agent: 'codex',
      source: 'notify',
      event: 'agent-turn-complete',
      payload: {
        type: 'agent-turn-complete',
        'thread-id': 'other',
        'input-messages': ['Generate a concise, single-line task title for: x'],
      },
    };
    expect(foldSignal(answered, title)).toEqual(answered);
  });

  it('a hook slower than the dialog asks the question the screen already showed: the same question, now the hook answers it', () => {
    let s = foldSignal(INITIAL_TUI, hook('UserPromptSubmit', 0, { prompt: 'x' }));
    s = foldSignal(s, hook('PermissionRequest', 10, { tool_name: 'Bash', tool_input: { command: 'ls' } }));
    expect(s.question).toMatchObject({ via: 'screen', askedAt: 10 });
    const asked = foldSignal(s, {
      ...hook('PermissionRequest', 30, { tool_name: 'Bash', tool_input: { command: 'ls' } }),
      questionId: 'q9',
    });
    expect(asked.question).toMatchObject({ id: 'q9', via: 'hook', askedAt: 10 });
  });

  it("reads the recorded screens' signatures from the bottom only (INTERACTIVE.md §3)", () => {
    const rule = '─'.repeat(40);
    const idle = ['● Done.', '', rule, '❯\u00a0', rule, '  ? for shortcuts'].join('\n');
    expect(readScreen('claude', idle).state).toBe('idle');
    const old = ['✻ Frosting… (esc to interrupt)', ...Array.from({ length: 20 }, () => ''), idle].join('\n');
    expect(readScreen('claude', old).state).toBe('idle');
    const dialog = [
      'Bash(touch x)',
      'Do you want to proceed?',
      '❯ 1. Yes',
      '  2. Yes, and always allow',
      '  4. No',
      'Esc to cancel · Tab to amend',
    ];
    expect(readScreen('claude', dialog.join('\n'))).toMatchObject({
      state: 'approval',
      subject: 'Bash(touch x)',
      options: ['Yes', 'Yes, and always allow', 'No'],
    });
    expect(readScreen('codex', '◦ Working (12s • esc to interrupt)').state).toBe('working');
    expect(readScreen('codex', '› Ask Codex to do anything\n  ? for shortcuts').state).toBe('idle');
  });
  it('a usage limit: StopFailure rate_limit, then the screen’s reset time; a prompt after the limit line ends it', () => {
    const at = new Date(2026, 0, 10, 7, 17, 30).getTime();
    const rule = '─'.repeat(40);
    const claude = [
      '⚠ Usage limit reached · limit resets 7:18am',
      '',
      'Continuing automatically at 7:18am · Esc to cancel',
      rule,
      '❯\u00a0',
      rule,
      '  ? for shortcuts',
    ].join('\n');
    let s = foldSignal(
      { ...INITIAL_TUI, activity: 'working', activitySince: at - 5000, turnInFlight: true },
      {
        at,
        agent: 'claude',
        source: 'hook',
        event: 'StopFailure',
        payload: { error: 'rate_limit' },
      },
    );
    expect(s.limit).toEqual({ at, detail: 'usage limit', resetAt: null });
    const reading = readScreen('claude', claude);
    expect(reading.state).toBe('limit');
    for (const dt of [600, 900]) s = foldScreen(s, { reading, at: at + dt });
    expect(s.limit).toEqual({
      at,
      detail: '⚠ Usage limit reached · limit resets 7:18am',
      resetAt: new Date(2026, 0, 10, 7, 18).getTime(),
      resolution: 'minute',
    });
    // The hook of the prompt that hit the limit, run late (a loaded machine), does not end it.
    const late = foldSignal(s, {
      at: at - 100,
      agent: 'claude',
      source: 'hook',
      event: 'UserPromptSubmit',
      payload: { prompt: 'go' },
    });
    expect(late.limit).toEqual(s.limit);
    const next = foldSignal(s, {
      at: at + 2000,
      agent: 'claude',
      source: 'hook',
      event: 'UserPromptSubmit',
      payload: { prompt: 'continue' },
    });
    expect(next.limit).toBeNull();
    const codexLimit = '■ You’ve hit your usage limit. Upgrade to Pro or try again at 7:41 AM.';
    const codex = [codexLimit, '', '› Ask Codex to do anything', '', '  ? for shortcuts'];
    expect(readScreen('codex', codex.join('\n')).state).toBe('limit');
    const after = [codexLimit, '', '› continue', '', '◦ Working (1s • esc to interrupt)'];
    expect(readScreen('codex', after.join('\n')).state).toBe('working');
    const idleAfter = [
      codexLimit,
      '',
      '› continue',
      '',
      '• ok',
      '',
      '› Ask Codex to do anything',
      '  ? for shortcuts',
    ];
    expect(readScreen('codex', idleAfter.join('\n')).state).toBe('idle');
  });

  it('an Esc interrupt (no hook, §3): the registry turning idle ends the turn at once, with no 500 ms wait, and the screen does not undo it', () => {
    let s = foldSignal(INITIAL_TUI, hook('SessionStart', 0));
    s = foldSignal(s, hook('UserPromptSubmit', 1000, { prompt: 'x' }));
    s = foldSignal(s, hook('PreToolUse', 1010, { tool_name: 'Bash' }));
    s = foldRegistry(s, registry('busy', 1020));
    expect(s).toMatchObject({ activity: 'working', via: 'hook', activitySince: 1000 });
    s = foldRegistry(s, registry('idle', 1100));
    expect(s).toMatchObject({
      activity: 'idle',
      via: 'registry',
      activitySince: 1100,
      turnInFlight: false,
      toolInFlight: false,
      registryAt: 1100,
    });
    // A stale working screen right after it is not believed (the registry ranks above the screen).
    for (const at of [1150, 1400, 1590]) s = foldScreen(s, { reading: reading('working'), at });
    expect(s).toMatchObject({ activity: 'idle', via: 'registry' });
  });

  it('a hook line newer than the registry wins, an older one landing late does not; folding a reading again changes nothing; before the first hook the registry is no signal', () => {
    // At launch it says idle while a first-run dialog may be up: SessionStart starts the state.
    expect(foldRegistry(INITIAL_TUI, registry('idle', 10))).toEqual(INITIAL_TUI);
    let s = foldSignal(INITIAL_TUI, hook('SessionStart', 0));
    s = foldSignal(s, hook('UserPromptSubmit', 1000, { prompt: 'x' }));
    // Written before the prompt's hook ran (the last turn's idle): stale.
    expect(foldRegistry(s, registry('idle', 990))).toEqual(s);
    expect(foldRegistry(s, registry('idle', 1000))).toEqual(s);
    s = foldSignal(s, hook('Stop', 2000));
    const stale = foldRegistry(s, registry('busy', 1500));
    expect(stale).toEqual(s);
    // Idle after Stop agrees: nothing changes but what was read.
    const agreed = foldRegistry(s, registry('idle', 2001));
    expect(agreed).toEqual({ ...s, registryAt: 2001 });
    // A later hook beats the registry read in the same decision only if it is newer than the file.
    let t = foldSignal(agreed, hook('UserPromptSubmit', 3000, { prompt: 'y' }));
    t = foldRegistry(t, registry('busy', 3050));
    const interrupted = foldRegistry(t, registry('idle', 4000));
    expect(interrupted).toMatchObject({ activity: 'idle', via: 'registry', activitySince: 4000 });
    expect(foldRegistry(interrupted, registry('idle', 4000))).toEqual(interrupted);
    // The next prompt's hook ran at 4500, its line landed late: an interrupt written at 4600 holds.
    let late = foldRegistry(interrupted, registry('idle', 4600));
    late = foldSignal(late, hook('UserPromptSubmit', 4500, { prompt: 'z' }));
    expect(late.activity).toBe('working');
    late = foldRegistry(late, registry('idle', 4600));
    expect(late).toMatchObject({ activity: 'idle', via: 'registry', turnInFlight: false });
  });

  it('a denied approval (Esc or 4 on the dialog, no hook): registry waiting keeps the question, idle closes it; busy after a dialog answered by keys closes it too; waiting opens none', () => {
    let s = foldSignal(INITIAL_TUI, hook('SessionStart', 0));
    s = foldSignal(s, hook('UserPromptSubmit', 1000, { prompt: 'x' }));
    s = foldSignal(
      s,
      hook('PermissionRequest', 1100, { tool_name: 'Bash', tool_input: { command: 'rm x' } }),
    );
    const asked = s.question;
    expect(asked).toMatchObject({ kind: 'permission', tool: 'Bash', input: 'rm x' });
    s = foldRegistry(s, registry('waiting', 1500, 'permission prompt'));
    expect(s).toMatchObject({ activity: 'waiting-input', via: 'hook', question: asked });
    const denied = foldRegistry(s, registry('idle', 4000));
    expect(denied).toMatchObject({ activity: 'idle', via: 'registry', question: null, turnInFlight: false });
    const allowed = foldRegistry(s, registry('busy', 4000));
    expect(allowed).toMatchObject({
      activity: 'working',
      via: 'registry',
      question: null,
      turnInFlight: true,
    });
    // A dialog whose hook line has not landed yet: the hook (or the screen) opens the question, once.
    const quiet = foldSignal(foldSignal(INITIAL_TUI, hook('SessionStart', 0)), hook('UserPromptSubmit', 10));
    expect(foldRegistry(quiet, registry('waiting', 500, 'permission prompt'))).toEqual(quiet);
    // A wait the doc does not record is no signal.
    expect(foldRegistry(quiet, registry('waiting', 500, 'something else'))).toEqual(quiet);
  });

  it('the registry file: a missing, half-written or unknown one is no signal', () => {
    const full = JSON.stringify({
      pid: 7,
      sessionId: 's',
      status: 'waiting',
      waitingFor: 'permission prompt',
    });
    expect(parseRegistry(full, 5)).toEqual({ status: 'waiting', waitingFor: 'permission prompt', at: 5 });
    expect(parseRegistry(JSON.stringify({ status: 'idle' }), 6)).toEqual({
      status: 'idle',
      waitingFor: null,
      at: 6,
    });
    expect(parseRegistry(null, 5)).toBeNull();
    expect(parseRegistry(full.slice(0, full.length - 9), 5)).toBeNull();
    expect(parseRegistry('', 5)).toBeNull();
    expect(parseRegistry(JSON.stringify({ status: 'thinking' }), 5)).toBeNull();
    expect(parseRegistry(JSON.stringify({ pid: 7 }), 5)).toBeNull();
  });
});
