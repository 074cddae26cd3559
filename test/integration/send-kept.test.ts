/**
 * An input to claude's TUI counts as delivered once its conversation has kept it: the transcript's
 * user line (docs/INTERACTIVE.md §3: the line lands ~200 ms after the model request, "killed
 * before that, the session cannot be resumed"). Its `UserPromptSubmit` hook line only says the
 * TUI took it (`submitted`): a hook outlives a TUI killed while its prompt hooks run, and a TUI
 * killed after its request but before that line comes back without the prompt. Either way the
 * input goes to the next run, once; one the transcript has is never typed again.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { InputView } from '../../src/views/input.js';
import { currentDaemonPid } from '../helpers/daemon.js';
import { claudeScratches, type Scratch, startClaudeTui } from '../helpers/fake-tui.js';
import { type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const fakes = claudeScratches('hf-kept-');
const home = useHome({ daemon: true });

/**
 * The user's own UserPromptSubmit hook in `~/.claude/settings.json` (claude merges it with the
 * task's: both run, and the prompt waits for both, §3): the first prompt's sleeps `ms`, later ones
 * return at once. holdfast's hook writes its line meanwhile: the window a kill lands in.
 */
function slowFirstPromptHook(s: Scratch, ms: number): void {
  const mark = join(s.dir, 'slow-hook-ran');
  const command = `[ -e ${mark} ] || { : > ${mark}; sleep ${ms / 1000}; }`;
  const settings = { hooks: { UserPromptSubmit: [{ matcher: '', hooks: [{ type: 'command', command }] }] } };
  mkdirSync(join(s.env.HOME!, '.claude'), { recursive: true });
  writeFileSync(join(s.env.HOME!, '.claude', 'settings.json'), JSON.stringify(settings));
}

interface FakeRecord {
  pid: number;
  prompt?: string;
  event?: string;
}

/** The user lines of the task's conversation (its one session's transcript), as the fake wrote them. */
function kept(s: Scratch, sessionId: string): string[] {
  const file = join(
    s.env.HOME!,
    '.claude',
    'projects',
    s.work.replace(/[^A-Za-z0-9]/g, '-'),
    `${sessionId}.jsonl`,
  );
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; message: { content: unknown } })
    .filter((e) => e.type === 'user' && typeof e.message.content === 'string')
    .map((e) => e.message.content as string);
}

function submitLine(h: Home, text: string): boolean {
  return readFileSync(join(h.dir, 'tasks', 'c', 'signals.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .some((l) => {
      const line = JSON.parse(l) as { event: string; payload: { prompt?: unknown } };
      return line.event === 'UserPromptSubmit' && line.payload.prompt === text;
    });
}

function inputRow(h: Home, id: number): { state: string; reason: string | null } {
  const db = new Database(join(h.dir, 'holdfast.db'), { readonly: true });
  try {
    return db.prepare('SELECT state, reason FROM inputs WHERE id = ?').get(id) as {
      state: string;
      reason: string | null;
    };
  } finally {
    db.close();
  }
}

function confirmedAt(h: Home, id: number): number {
  const db = new Database(join(h.dir, 'holdfast.db'), { readonly: true });
  try {
    return (db.prepare('SELECT confirmed_at FROM inputs WHERE id = ?').get(id) as { confirmed_at: number })
      .confirmed_at;
  } finally {
    db.close();
  }
}

async function settled(h: Home, id: number): Promise<{ state: string; reason: string | null }> {
  return waitFor(
    () => inputRow(h, id),
    (r) => r.state === 'confirmed' || r.state === 'failed',
    { what: `input ${id} confirmed or failed`, timeoutMs: 30_000, intervalMs: 50 },
  );
}

/** The run after the kill is up with its prompt box drawn (its `ready` record). */
async function secondRunReady(s: Scratch): Promise<{ pid: number; sessionId: string }> {
  const second = await waitFor(
    () => fakes.records<{ pid: number; sessionId: string }>(s, 'invocations.jsonl'),
    (v) => v.length >= 2,
    { what: 'the second start', timeoutMs: 15_000 },
  );
  await waitFor(
    () => fakes.records<FakeRecord>(s, 'events.jsonl'),
    (v) => v.some((e) => e.event === 'ready' && e.pid === second[1]!.pid),
    { what: 'the second run ready', timeoutMs: 15_000 },
  );
  return second[1]!;
}

async function journal(h: Home, id: number): Promise<{ type: string; data: Record<string, unknown> }[]> {
  return (await h.events('c'))
    .filter((e) => e.type.startsWith('input-') && e.data.input === id && e.type !== 'input-deferred')
    .map((e) => ({ type: e.type, data: e.data as Record<string, unknown> }));
}

describe('an input counts once the conversation kept it', () => {
  it("a TUI killed while its UserPromptSubmit hooks run (holdfast's line written, the user's hook still running): the next run gets it once, and it ends confirmed by the transcript", async () => {
    const h = home();
    const s = fakes.scratch({ FAKE_TUI_CLAUDE_READY_MS: '50' });
    slowFirstPromptHook(s, 5000);
    await startClaudeTui(h, s, 15_000);
    const first = fakes.records<{ pid: number; sessionId: string }>(s, 'invocations.jsonl')[0]!;
    const { id } = await h.json<InputView>(['send', 'c', 'kept once']);
    await waitFor(
      () => submitLine(h, 'kept once'),
      (v) => v,
      { what: "holdfast's UserPromptSubmit line", intervalMs: 10 },
    );
    process.kill(first.pid, 'SIGKILL');
    expect(await settled(h, id)).toEqual({ state: 'confirmed', reason: null });
    const second = await secondRunReady(s);
    // Killed before its request, run 1's "model" never got it; run 2's did, once.
    expect(fakes.records<FakeRecord>(s, 'inputs.jsonl').map((r) => [r.prompt, r.pid])).toEqual([
      ['kept once', second.pid],
    ]);
    expect(second.sessionId).toBe(first.sessionId);
    expect(kept(s, first.sessionId)).toEqual(['kept once']);
    const entries = await journal(h, id);
    expect(entries.map((e) => e.type)).toEqual([
      'input-queued',
      'input-sent',
      'input-requeued',
      'input-sent',
      'input-confirmed',
    ]);
    expect(entries[2]!.data).toMatchObject({ run: 1 });
    expect(entries[3]!.data).toMatchObject({ run: 2 });
    expect(entries[4]!.data).toMatchObject({ by: 'transcript' });
  }, 60_000);

  it('a TUI killed after its model request, before its transcript kept the prompt: the next run gets it again, and the conversation holds it once', async () => {
    const h = home();
    // The transcript's user line 3 s after the request instead of ~0.3 s: the window is wide.
    const s = fakes.scratch({ FAKE_TUI_CLAUDE_READY_MS: '50', FAKE_TUI_CLAUDE_TRANSCRIPT_MS: '3000' });
    await startClaudeTui(h, s, 15_000);
    const first = fakes.records<{ pid: number; sessionId: string }>(s, 'invocations.jsonl')[0]!;
    const { id } = await h.json<InputView>(['send', 'c', 'asked, not kept']);
    await waitFor(
      () => fakes.records<FakeRecord>(s, 'inputs.jsonl'),
      (v) => v.length === 1,
      { what: "run 1's model request", intervalMs: 10 },
    );
    process.kill(first.pid, 'SIGKILL');
    expect(await settled(h, id)).toEqual({ state: 'confirmed', reason: null });
    const second = await secondRunReady(s);
    expect(fakes.records<FakeRecord>(s, 'inputs.jsonl').map((r) => [r.prompt, r.pid])).toEqual([
      ['asked, not kept', first.pid],
      ['asked, not kept', second.pid],
    ]);
    expect(kept(s, first.sessionId)).toEqual(['asked, not kept']);
    expect((await journal(h, id)).map((e) => e.type)).toEqual([
      'input-queued',
      'input-sent',
      'input-requeued',
      'input-sent',
      'input-confirmed',
    ]);
  }, 60_000);

  it('a TUI killed after its transcript kept the prompt, while no deliverer looked: confirmed, never typed again', async () => {
    const h = home();
    const s = fakes.scratch({ FAKE_TUI_CLAUDE_READY_MS: '50' });
    slowFirstPromptHook(s, 1500);
    await startClaudeTui(h, s, 15_000);
    const first = fakes.records<{ pid: number; sessionId: string }>(s, 'invocations.jsonl')[0]!;
    const { id } = await h.json<InputView>(['send', 'c', 'kept, then killed']);
    await waitFor(
      () => submitLine(h, 'kept, then killed'),
      (v) => v,
      { what: "holdfast's UserPromptSubmit line", intervalMs: 10 },
    );
    // The deliverer (in the daemon) is frozen while the prompt reaches the transcript and the TUI dies.
    const daemon = currentDaemonPid(h)!;
    process.kill(daemon, 'SIGSTOP');
    try {
      await waitFor(
        () => kept(s, first.sessionId),
        (v) => v.includes('kept, then killed'),
        { what: 'the prompt in the transcript', intervalMs: 10 },
      );
      process.kill(first.pid, 'SIGKILL');
      await waitFor(
        () => fakes.records<{ pid: number }>(s, 'invocations.jsonl'),
        (v) => v.length >= 1 && !alive(first.pid),
        { what: 'run 1 gone' },
      );
    } finally {
      process.kill(daemon, 'SIGCONT');
    }
    expect(await settled(h, id)).toEqual({ state: 'confirmed', reason: null });
    const second = await secondRunReady(s);
    expect(fakes.records<FakeRecord>(s, 'inputs.jsonl').map((r) => [r.prompt, r.pid])).toEqual([
      ['kept, then killed', first.pid],
    ]);
    expect(second.sessionId).toBe(first.sessionId);
    expect(kept(s, first.sessionId)).toEqual(['kept, then killed']);
    const entries = await journal(h, id);
    expect(entries.map((e) => e.type)).toEqual(['input-queued', 'input-sent', 'input-confirmed']);
    expect(entries[2]!.data).toMatchObject({ by: 'transcript' });
  }, 60_000);

  it('a live claude whose transcript never shows the prompt (a format holdfast cannot read): confirmed 3 s after its turn ended, and the next input goes on', async () => {
    const h = home();
    // The transcript's line long after the turn: while the TUI lives, nothing there to find.
    const s = fakes.scratch({ FAKE_TUI_CLAUDE_READY_MS: '50', FAKE_TUI_CLAUDE_TRANSCRIPT_MS: '600000' });
    await startClaudeTui(h, s, 15_000);
    const { id } = await h.json<InputView>(['send', 'c', 'first [[say one]]']);
    const { id: next } = await h.json<InputView>(['send', 'c', 'second [[say two]]']);
    expect(await settled(h, id)).toEqual({ state: 'confirmed', reason: null });
    const entries = await journal(h, id);
    expect(entries.find((e) => e.type === 'input-confirmed')!.data).toMatchObject({ by: 'turn-end' });
    // holdfast's Stop line of that turn, as its hook wrote it.
    const stopAt = readFileSync(join(h.dir, 'tasks', 'c', 'signals.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: string; at: number })
      .find((l) => l.event === 'Stop')!.at;
    expect(confirmedAt(h, id) - stopAt).toBeGreaterThanOrEqual(3000);
    expect(await settled(h, next)).toEqual({ state: 'confirmed', reason: null });
    expect(fakes.records<FakeRecord>(s, 'inputs.jsonl').map((r) => r.prompt)).toEqual([
      'first [[say one]]',
      'second [[say two]]',
    ]);
  }, 60_000);
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
