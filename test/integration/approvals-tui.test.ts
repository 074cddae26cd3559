/**
 * Approvals of an interactive agent on the fake claude TUI (test/fixtures/fake-tui) in the home's
 * real tmux server, with a real daemon: a tool call a rule allows runs with no question, one a
 * rule denies is refused with the rule's message (the turn goes on: INTERACTIVE.md §4), and one
 * no rule matches waits for `holdfast answer`, which reaches the waiting hook once.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseSignalLine, type SignalLine } from '../../src/agents/signals.js';
import { claudeScratches, type Scratch } from '../helpers/fake-tui.js';
import { type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const { scratch, records } = claudeScratches('hf-appr-');
const home = useHome({ daemon: true });
const NBSP = '\u00a0';

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

/** INTERACTIVE.md §2's delivery, by hand until `send` exists: a bracketed paste, ≥ 300 ms, Enter. */
async function typeInto(h: Home, name: string, text: string): Promise<void> {
  const buffer = `t-${process.pid}-${Date.now()}`;
  execFileSync('tmux', ['-S', h.socket, 'load-buffer', '-b', buffer, '-'], { input: text, env: h.env });
  h.tmux(['paste-buffer', '-p', '-d', '-b', buffer, '-t', `=${name}:`]);
  await new Promise((r) => setTimeout(r, 300)); // a protocol delay (§2), not a wait for state
  h.tmux(['send-keys', '-t', `=${name}:`, 'Enter']);
}

async function startClaude(h: Home, s: Scratch, name: string, rules: string[]): Promise<void> {
  const r = await h.cli(
    ['run', '--agent', 'claude', '--interactive', '--trust', '-n', name, '-C', s.work, ...rules],
    {
      env: s.env,
    },
  );
  expect(r.code, r.stderr).toBe(0);
  await waitFor(
    () => screen(h, name),
    (v) => v.includes(`❯${NBSP}`),
    { what: "claude's empty composer" },
  );
}

interface FakeEvent {
  event: string;
  tool?: string;
  behavior?: string;
  by?: string;
  message?: string;
}

describe('approvals on an interactive claude', () => {
  it('a tool call an --allow rule matches runs with no question: the hook answers before any dialog is drawn', async () => {
    const h = home();
    // A dialog drawn 400 ms after the hook fires (§4) could beat a hook slowed by a loaded machine.
    const s = scratch({ FAKE_TUI_CLAUDE_DIALOG_DELAY_MS: '20000' });
    await startClaude(h, s, 'c', ['--allow', 'Bash(npm test*)']);
    await typeInto(h, 'c', 'go [[tool Bash npm test -- --ci]] [[say tests ran]]');
    await waitFor(
      () => signals(h, 'c'),
      (v) => v.some((l) => l.event === 'Stop'),
      { what: 'the turn to end' },
    );
    const events = records<FakeEvent>(s, 'events.jsonl');
    expect(events.filter((e) => e.event === 'dialog-drawn')).toEqual([]);
    expect(events.filter((e) => e.event === 'dialog-answered')).toEqual([
      expect.objectContaining({ tool: 'Bash', behavior: 'allow', by: 'hook' }),
    ]);
    expect(signals(h, 'c').filter((l) => l.event === 'PostToolUse')).toHaveLength(1);
    expect(signals(h, 'c').find((l) => l.event === 'PermissionRequest')?.decision).toEqual({
      behavior: 'allow',
      by: 'rule',
      rule: 'Bash(npm test*)',
    });
    const journal = await waitFor(
      () => h.events('c'),
      (v) => v.some((e) => e.type === 'approval-decided'),
      { what: 'the decision journaled' },
    );
    expect(journal.filter((e) => e.type === 'approval-decided').map((e) => e.data)).toEqual([
      {
        tool: 'Bash',
        input: 'npm test -- --ci',
        behavior: 'allow',
        by: 'rule',
        rule: 'Bash(npm test*)',
        via: 'hook',
      },
    ]);
    expect(journal.filter((e) => e.type === 'question-asked')).toEqual([]);
  });

  it.each([
    ['the default mode', [] as string[]],
    // Claude's auto mode (its TUI's default) and a bypass ask nothing: the deny holds before the call.
    ['a mode that asks nothing (--unattended: bypassPermissions)', ['--unattended']],
  ])(
    'a tool call a --deny rule matches is refused with the message in %s, and the turn goes on',
    async (_mode, extra) => {
      const h = home();
      const s = scratch({ FAKE_TUI_CLAUDE_DIALOG_DELAY_MS: '20000' });
      await startClaude(h, s, 'c', ['--allow', 'Bash', '--deny', 'Bash(rm *)', ...extra]);
      await typeInto(h, 'c', 'go [[tool Bash rm -rf build]] [[say refused then]]');
      const lines = await waitFor(
        () => signals(h, 'c'),
        (v) => v.some((l) => l.event === 'Stop'),
        { what: 'the turn to end' },
      );
      const events = records<FakeEvent>(s, 'events.jsonl');
      expect(events.filter((e) => e.event === 'pre-tool-denied')).toEqual([
        expect.objectContaining({ tool: 'Bash', message: expect.stringContaining('deny Bash(rm *)') }),
      ]);
      expect(events.filter((e) => e.event === 'dialog-drawn' || e.event === 'dialog-answered')).toEqual([]);
      expect(lines.filter((l) => l.event === 'PermissionRequest')).toEqual([]);
      expect(lines.filter((l) => l.event === 'PostToolUse')).toEqual([]);
      expect(lines.find((l) => l.event === 'Stop')?.payload.last_assistant_message).toBe('refused then');
      expect(screen(h, 'c')).toContain("Error: holdfast: this task's rule deny Bash(rm *)");
      const journal = await waitFor(
        () => h.events('c'),
        (v) => v.some((e) => e.type === 'approval-decided'),
        { what: 'the decision journaled' },
      );
      expect(journal.filter((e) => e.type === 'approval-decided').map((e) => e.data)).toEqual([
        expect.objectContaining({ input: 'rm -rf build', behavior: 'deny', by: 'rule', rule: 'Bash(rm *)' }),
      ]);
    },
  );

  it('a tool call no rule matches waits for holdfast answer, which the waiting hook takes once', async () => {
    const h = home();
    const s = scratch();
    await startClaude(h, s, 'c', ['--allow', 'Bash(npm test*)']);
    const none = await h.cli(['answer', 'c', 'yes']);
    expect(none.code).toBe(2);
    expect(none.stderr.split('\n')[0]).toBe('holdfast: c has no open question to answer');
    await typeInto(h, 'c', 'go [[tool Bash npm install left-pad]] [[say after]]');
    const asked = await waitFor(
      () => signals(h, 'c').filter((l) => l.event === 'PermissionRequest'),
      (v) => v.length === 1 && v[0]!.questionId !== undefined,
      { what: 'the question put to the user' },
    );
    await waitFor(
      () => screen(h, 'c'),
      (v) => v.includes('Do you want to proceed?'),
      { what: "claude's dialog, drawn while the hook waits" },
    );
    expect(records<FakeEvent>(s, 'events.jsonl').filter((e) => e.event === 'dialog-answered')).toEqual([]);
    const waiting = await waitFor(
      () => h.status('c'),
      (t) => t.state === 'waiting-input',
      { what: 'the task waiting for input' },
    );
    expect((waiting as unknown as { question: unknown }).question).toMatchObject({
      id: asked[0]!.questionId,
      kind: 'permission',
      tool: 'Bash',
      input: 'npm install left-pad',
    });
    const r = await h.cli(['answer', 'c', 'no', '--message', 'use pnpm, not npm']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    await waitFor(
      () => records<FakeEvent>(s, 'events.jsonl').filter((e) => e.event === 'dialog-answered'),
      (v) => v.length === 1,
      { what: 'the dialog answered' },
    );
    expect(records<FakeEvent>(s, 'events.jsonl').find((e) => e.event === 'dialog-answered')).toMatchObject({
      behavior: 'deny',
      message: 'use pnpm, not npm',
      by: 'hook',
    });
    const decided = signals(h, 'c').filter((l) => l.event === 'PermissionRequest' && l.decision);
    expect(decided).toEqual([
      expect.objectContaining({
        questionId: asked[0]!.questionId,
        decision: { behavior: 'deny', message: 'use pnpm, not npm', by: 'user' },
      }),
    ]);
    const journal = await waitFor(
      () => h.events('c'),
      (v) => v.some((e) => e.type === 'approval-decided'),
      { what: 'the decision journaled' },
    );
    expect(journal.filter((e) => e.type === 'approval-decided').map((e) => e.data)).toEqual([
      {
        questionId: asked[0]!.questionId,
        tool: 'Bash',
        input: 'npm install left-pad',
        behavior: 'deny',
        by: 'user',
        message: 'use pnpm, not npm',
        via: 'hook',
      },
    ]);
    await waitFor(
      () => h.status('c'),
      (t) => t.state === 'running',
      { what: 'the task running again' },
    );
    const again = await h.cli(['answer', 'c', 'yes']);
    expect(again.code).toBe(2);
  });
});
