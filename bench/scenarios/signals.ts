import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { track } from '../lib/cleanup.js';
import { HoldfastHome } from '../lib/holdfast.js';
import type { Row, Scenario, ScenarioResult } from '../lib/scenario.js';
import { medP99, summarize } from '../lib/stats.js';
import { ROOT } from '../lib/teardown.js';
import { poll } from '../lib/time.js';

const TUI_BIN = join(ROOT, 'test', 'fixtures', 'fake-tui', 'bin');
const NO_PEER = 'none: no peer to compare';
const told = (by: Record<string, number>) =>
  Object.entries(by)
    .map(([via, n]) => `${via} ${n}`)
    .join(', ') || 'none';

interface Activity {
  id: number;
  at: number;
  activity: string;
  via: string;
}

/**
 * Signal → store on the fake claude TUI (test/fixtures/fake-tui) with the daemon running: from a
 * hook line's `at` in signals.jsonl (UserPromptSubmit, Stop) to the `at` of the `activity` journal
 * entry it caused (issue 10 asks ≤ 150 ms at p99). The journal's `at` is the daemon pass's start,
 * so a line that lands while a pass runs can come out a few ms negative. A turn's end that claude's
 * session registry told before the Stop hook is counted, not timed (the fake does not record when
 * it wrote the file); Esc interrupts, which fire no hook, are timed from the fake's own record of
 * the interrupt to the entry via the registry.
 */
async function measure(turns: number, interrupts: number) {
  const hf = new HoldfastHome();
  const scratch = realpathSync(mkdtempSync('/tmp/hfb-sig-'));
  const untrack = track({ kind: 'dir', path: scratch });
  try {
    const user = join(scratch, 'user');
    const work = join(scratch, 'work');
    const state = join(scratch, 'state');
    for (const d of [user, work, state]) mkdirSync(d, { recursive: true });
    writeFileSync(join(user, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true }));
    Object.assign(hf.env, { PATH: `${TUI_BIN}:${process.env.PATH}`, HOME: user, FAKE_TUI_STATE: state });
    await hf.cliOk(['run', '--agent', 'claude', '--interactive', '--trust', '-n', 'a', '-C', work]);
    await hf.waitForDaemon();
    const screen = () => hf.tmux(['capture-pane', '-p', '-t', '=a:']);
    const idle = () => {
      const s = screen();
      return s.includes('❯\u00a0') && !s.includes('esc to interrupt') ? true : undefined;
    };
    await poll("claude's empty composer", idle, { timeoutMs: 15_000 });
    const taskId = hf.taskId('a');
    const query = hf.db.prepare(
      "SELECT id, at, data FROM events WHERE task_id = ? AND type = 'activity' AND id > ? ORDER BY id",
    );
    let lastId = 0;
    const newActivity = (): Activity[] =>
      (query.all(taskId, lastId) as { id: number; at: number; data: string }[]).map((r) => ({
        id: r.id,
        at: r.at,
        ...(JSON.parse(r.data) as { activity: string; via: string }),
      }));
    const lines = (file: string) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { at: number; event: string });
    const signals = () => lines(join(hf.dir, 'tasks', 'a', 'signals.jsonl'));
    lastId = Math.max(0, ...newActivity().map((e) => e.id));

    const hook: number[] = [];
    const starts: Record<string, number> = {};
    const ends: Record<string, number> = {};
    let otherwise = 0;
    let unseen = 0;
    const tuiOf = hf.db.prepare('SELECT tui FROM tasks WHERE id = ?');
    const tui = () => {
      const row = tuiOf.get(taskId) as { tui: string | null } | undefined;
      return row?.tui ? (JSON.parse(row.tui) as { activity: string | null; signalsOffset: number }) : null;
    };
    const signalsFile = join(hf.dir, 'tasks', 'a', 'signals.jsonl');
    for (let i = 0; i < turns; i++) {
      const seen = signals().length;
      await hf.cliOk(['send', 'a', `turn ${i} [[sleep 400]] [[say ok ${i}]]`, '--wait']);
      const consumed = await poll(
        `turn ${i}'s Stop hook`,
        () => {
          const text = readFileSync(signalsFile, 'utf8');
          const stop = text.indexOf('"event":"Stop"', text.split('\n').slice(0, seen).join('\n').length);
          return stop < 0 ? undefined : Buffer.byteLength(text.slice(0, text.indexOf('\n', stop) + 1));
        },
        { timeoutMs: 15_000 },
      );
      // Once a decision has consumed the Stop line the store is idle again; a turn whose start and
      // end one decision folded together made no change at all.
      await poll(
        `turn ${i}'s end in the store`,
        () => {
          const t = tui();
          return t && t.signalsOffset >= consumed && t.activity === 'idle' ? true : undefined;
        },
        { timeoutMs: 15_000 },
      );
      const added = signals().slice(seen);
      const changes = newActivity();
      if (changes.length > 0) lastId = changes.at(-1)!.id;
      const submit = added.find((l) => l.event === 'UserPromptSubmit');
      const stop = added.find((l) => l.event === 'Stop');
      const working = changes.find((e) => e.activity === 'working');
      const ended = changes.find((e) => e.activity === 'idle');
      if (changes.length === 0) unseen++;
      if (working) starts[working.via] = (starts[working.via] ?? 0) + 1;
      if (ended) ends[ended.via] = (ends[ended.via] ?? 0) + 1;
      if (submit && working?.via === 'hook') hook.push(working.at - submit.at);
      if (stop && ended?.via === 'hook') hook.push(ended.at - stop.at);
      await poll(`claude idle after turn ${i}`, idle, { timeoutMs: 15_000 });
    }

    const esc: number[] = [];
    for (let j = 0; j < interrupts; j++) {
      await hf.cliOk(['send', 'a', `hang ${j} [[hang]]`, '--wait']);
      await poll('the working footer', () => (screen().includes('esc to interrupt') ? true : undefined), {
        timeoutMs: 15_000,
      });
      await poll(
        'working in the store',
        () => (newActivity().some((e) => e.activity === 'working') ? true : undefined),
        {
          timeoutMs: 15_000,
        },
      );
      hf.tmux(['send-keys', '-t', '=a:', 'Escape']);
      const ended = await poll(
        `interrupt ${j} in the store`,
        () => newActivity().find((e) => e.activity === 'idle'),
        { timeoutMs: 15_000 },
      );
      lastId = ended.id;
      const interrupted = lines(join(state, 'events.jsonl')).filter((e) => e.event === 'interrupted');
      if (ended.via === 'registry') esc.push(ended.at - interrupted.at(-1)!.at);
      else otherwise++;
      // The interrupted prompt is back in the composer (§2): cleared for the next one.
      hf.tmux(['send-keys', '-t', '=a:', 'Escape', 'Escape']);
      await poll('the empty composer', idle, { timeoutMs: 15_000 });
    }
    return {
      hook: summarize(hook),
      esc: summarize(esc),
      starts,
      ends,
      otherwise,
      unseen,
      hookSamples: hook,
      escSamples: esc,
    };
  } finally {
    hf.dispose();
    rmSync(scratch, { recursive: true, force: true });
    untrack();
  }
}

export const signals: Scenario = {
  name: 'signals',
  title: 'hook / registry signal → store (fake claude TUI, daemon running)',
  async run(ctx): Promise<ScenarioResult> {
    const turns = ctx.quick ? 20 : 50;
    const interrupts = ctx.quick ? 5 : 10;
    ctx.log(`signals: ${turns} turns and ${interrupts} Esc interrupts on a fake claude TUI`);
    const m = await measure(turns, interrupts);
    const rows: Row[] = [
      {
        metric: `claude: hook line → activity in the store, median / p99 (min ${m.hook?.min ?? 'n/a'} ms), n=${m.hook?.n ?? 0}`,
        holdfast: medP99(m.hook, 'ms', 0),
        peer: NO_PEER,
        peerValue: '',
      },
      {
        metric:
          'claude: what told each turn’s start and end first (the registry is not timed: the fake does not record its writes)',
        holdfast: `starts ${told(m.starts)}; ends ${told(m.ends)}`,
        peer: NO_PEER,
        peerValue: '',
      },
      {
        metric: `claude: Esc interrupt (no hook) → idle via the registry, median / p99, n=${m.esc?.n ?? 0}`,
        holdfast: medP99(m.esc, 'ms', 0),
        peer: NO_PEER,
        peerValue: '',
      },
    ];
    if (m.unseen > 0)
      rows.push({
        metric: 'turns the store never saw working (start and end in one decision)',
        holdfast: `${m.unseen} of ${turns}`,
        peer: '',
        peerValue: '',
      });
    if (m.otherwise > 0)
      rows.push({
        metric: 'changes told by neither (left out)',
        holdfast: String(m.otherwise),
        peer: '',
        peerValue: '',
      });
    return { rows, data: { turns, interrupts, ...m } };
  },
};
