import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { track } from '../lib/cleanup.js';
import { HoldfastHome } from '../lib/holdfast.js';
import type { Row, Scenario, ScenarioResult } from '../lib/scenario.js';
import { medP99, summarize } from '../lib/stats.js';
import { ROOT } from '../lib/teardown.js';
import { poll } from '../lib/time.js';

const TUI_BIN = join(ROOT, 'test', 'fixtures', 'fake-tui', 'bin');

/**
 * `holdfast send` → confirmed, on the fake claude and codex TUIs (test/fixtures/fake-tui, the real
 * TUIs' formats and timings): from the input's row to its `UserPromptSubmit` hook line, through
 * the daemon. Includes the 300 ms between paste and Enter that INTERACTIVE.md §2 calls for. Each
 * send waits for the previous turn to end, so no input waits for a busy agent.
 */
async function measure(agent: 'claude' | 'codex', sends: number) {
  const hf = new HoldfastHome();
  const scratch = realpathSync(mkdtempSync('/tmp/hfb-tui-'));
  const untrack = track({ kind: 'dir', path: scratch });
  try {
    const user = join(scratch, 'user');
    const work = join(scratch, 'work');
    const state = join(scratch, 'state');
    for (const d of [user, work, state]) mkdirSync(d, { recursive: true });
    writeFileSync(join(user, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true }));
    Object.assign(hf.env, { PATH: `${TUI_BIN}:${process.env.PATH}`, HOME: user, FAKE_TUI_STATE: state });
    await hf.cliOk(['run', '--agent', agent, '--interactive', '--trust', '-n', 'a', '-C', work]);
    await hf.waitForDaemon();
    const idle = () => {
      const screen = hf.tmux(['capture-pane', '-p', '-t', '=a:']);
      const composer =
        agent === 'claude' ? screen.includes('❯\u00a0') : screen.includes('› Ask Codex to do anything');
      return composer && !screen.includes('esc to interrupt') ? true : undefined;
    };
    await poll(`${agent}'s empty composer`, idle, { timeoutMs: 15_000 });
    const latencies: number[] = [];
    const afterEnter: number[] = [];
    const confirmed = hf.db.prepare(
      "SELECT data FROM events WHERE type = 'input-confirmed' AND json_extract(data, '$.input') = ?",
    );
    for (let i = 0; i < sends; i++) {
      const out = await hf.cliOk(['send', 'a', `bench input ${i}`, '--wait', '--json']);
      const id = (JSON.parse(out.stdout) as { id: number }).id;
      const row = confirmed.get(id) as { data: string } | undefined;
      if (!row) throw new Error(`input ${id} has no input-confirmed entry`);
      const data = JSON.parse(row.data) as { latencyMs: number; sentMs: number };
      latencies.push(data.latencyMs);
      afterEnter.push(data.sentMs);
      await poll(`${agent} idle after input ${i}`, idle, { timeoutMs: 15_000 });
    }
    return { latency: summarize(latencies), afterEnter: summarize(afterEnter), latencies };
  } finally {
    hf.dispose();
    rmSync(scratch, { recursive: true, force: true });
    untrack();
  }
}

export const delivery: Scenario = {
  name: 'delivery',
  title: 'send → confirmed (fake claude and codex TUIs)',
  async run(ctx): Promise<ScenarioResult> {
    const sends = ctx.quick ? 20 : 100;
    const rows: Row[] = [];
    const data: Record<string, unknown> = { sends };
    for (const agent of ['claude', 'codex'] as const) {
      ctx.log(`delivery: ${sends} sends to a fake ${agent} TUI`);
      const m = await measure(agent, sends);
      data[agent] = m;
      rows.push(
        {
          metric: `${agent}: send → confirmed (queued → UserPromptSubmit), median / p99, n=${sends}`,
          holdfast: medP99(m.latency, 'ms', 0),
          peer: '',
          peerValue: '',
        },
        {
          metric: `${agent}: … of which Enter → confirmed`,
          holdfast: medP99(m.afterEnter, 'ms', 0),
          peer: '',
          peerValue: '',
        },
      );
    }
    return { rows, data };
  },
};
