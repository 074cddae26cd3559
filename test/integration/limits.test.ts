/**
 * Usage limits whose reset time cannot be trusted to the second, and tool calls that run long in
 * silence, against the fake agent CLIs (docs/AGENT-CLIS.md: codex prints `try again at 10:42 AM`, the
 * machine's local time to the minute, or `Nov 21, 2026 10:42 AM` for another day).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentKind } from '../../src/agents/types.js';
import type { JournalEvent } from '../../src/store/events.js';
import { FIXTURES, type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome({ daemon: true });
const FAKE_BIN = join(FIXTURES, 'fake-agent', 'bin');

async function startAgent(h: Home, agent: AgentKind, scenario: object, flags: string[]): Promise<void> {
  const cwd = join(h.dir, 'work');
  mkdirSync(cwd, { recursive: true });
  const r = await h.cli(['run', '--name', 'agent', '--agent', agent, '--cwd', cwd, ...flags], {
    env: {
      PATH: `${FAKE_BIN}:${process.env.PATH}`,
      FAKE_AGENT_STATE: join(h.dir, 'fake-state'),
      FAKE_AGENT_SCENARIO: JSON.stringify(scenario),
    },
    input: 'Do the work.',
  });
  expect(r.code, r.stderr).toBe(0);
}

const ofType = (events: JournalEvent[], type: string) => events.filter((e) => e.type === type);

/** Polls for `ms` and fails as soon as `holds` is false: for what must not happen in that window. */
async function holdsFor<T>(ms: number, probe: () => Promise<T>, holds: (value: T) => boolean): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const value = await probe();
    expect(holds(value), JSON.stringify(value).slice(0, 2000)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('codex usage limit with a reset time that is no news', () => {
  it('a reset in the minute already begun waits for that minute’s end (or --limit-backoff), not a restart at once', async () => {
    const h = home();
    // Every run hits the limit at once and names the minute it is in, as codex did in the storm.
    await startAgent(h, 'codex', { default: { steps: [{ limit: { resetInSeconds: 0 } }] } }, [
      '--limit-backoff',
      '10m',
    ]);
    const events = await waitFor(
      () => h.events('agent'),
      (e) => ofType(e, 'rate-limited').length > 0,
      { what: 'the first usage limit', timeoutMs: 15_000 },
    );
    const seen = ofType(events, 'usage-limit-seen')[0]!;
    const limited = ofType(events, 'rate-limited')[0]!;
    const statedMinute = seen.data.resetAt as number;
    expect(statedMinute % 60_000).toBe(0);
    expect(statedMinute).toBeLessThanOrEqual(limited.at);
    const nextStartAt = limited.data.nextStartAt as number;
    expect(nextStartAt).toBeGreaterThanOrEqual(statedMinute + 60_000);
    expect(nextStartAt - limited.at).toBeGreaterThan(5000);
    expect((await h.status('agent')).state).toBe('rate-limited');
    // The storm gave 6 restarts in 1.3 s; none may come now.
    await holdsFor(
      3000,
      () => h.events('agent'),
      (e) => ofType(e, 'restarted').length === 0,
    );
  });

  it('a reset in the past falls back to --limit-backoff, and limit-resets stay 30 s apart', async () => {
    const h = home();
    // Yesterday, so codex prints the dated form and the time stays in the past.
    const yesterday = Math.floor(Date.now() / 1000) - 86_400;
    await startAgent(h, 'codex', { default: { steps: [{ limit: { resetAt: yesterday } }] } }, [
      '--limit-backoff',
      '2s',
    ]);
    const events = await waitFor(
      () => h.events('agent'),
      (e) => ofType(e, 'rate-limited').length >= 2,
      { what: 'the limit-reset run to hit the limit again', timeoutMs: 20_000 },
    );
    const restarted = ofType(events, 'restarted');
    expect(restarted).toHaveLength(1);
    expect(restarted[0]!.data.cause).toBe('limit-reset');
    const [first, second] = ofType(events, 'rate-limited');
    // Printed to the minute: the minute it names.
    const statedMinute = Math.floor((yesterday * 1000) / 60_000) * 60_000;
    expect(first!.data).toMatchObject({ known: false, statedResetAt: statedMinute });
    // Not at once: the run started after the --limit-backoff wait.
    expect(restarted[0]!.at - first!.at).toBeGreaterThanOrEqual(2000);
    // The next limit-reset comes 30 s after this one started, though --limit-backoff says 2 s.
    expect((second!.data.nextStartAt as number) - restarted[0]!.at).toBeGreaterThanOrEqual(30_000);
    const view = await h.status('agent');
    expect(view.state).toBe('rate-limited');
    expect(view.restarts).toBe(0);
  });
});

describe.each(['claude', 'codex', 'gemini', 'pi', 'amp'] as AgentKind[])(
  '%s tool call in flight',
  (agent) => {
    it('a tool that runs silent past --stall-timeout is not a stall', async () => {
      const h = home();
      await startAgent(
        h,
        agent,
        {
          invocations: [
            {
              steps: [
                {
                  tool: 'Bash',
                  input: { command: 'sleep 3; echo tests passed' },
                  output: 'tests passed',
                  runMs: 3000,
                },
                { succeed: true },
              ],
            },
          ],
        },
        ['--stall-timeout', '1s'],
      );
      const view = await waitFor(
        () => h.status('agent'),
        (v) => ['succeeded', 'failed', 'stopped'].includes(v.state) || v.runs.length > 1,
        { what: 'the agent task to finish', timeoutMs: 20_000 },
      );
      expect(view.runs.map((r) => r.cause)).toEqual(['start']);
      expect(view.state).toBe('succeeded');
      expect(ofType(await h.events('agent'), 'stalled')).toEqual([]);
    });
  },
);

describe('codex tool call past --tool-timeout', () => {
  it('is a stall, resumed', async () => {
    const h = home();
    await startAgent(
      h,
      'codex',
      {
        invocations: [
          { steps: [{ tool: 'Bash', input: { command: 'sleep 600' }, output: '', runMs: 600_000 }] },
          { steps: [{ say: 'back' }, { succeed: true }] },
        ],
      },
      ['--stall-timeout', '1s', '--tool-timeout', '2s'],
    );
    const view = await waitFor(
      () => h.status('agent'),
      (v) => v.state === 'succeeded',
      { what: 'the stalled tool to be resumed', timeoutMs: 20_000 },
    );
    expect(view.runs.map((r) => r.cause)).toEqual(['start', 'stall']);
    expect(ofType(await h.events('agent'), 'stalled')).toHaveLength(1);
  });
});

describe('follow', () => {
  it('shows a usage limit as one line saying when holdfast resumes, not the agent’s reset times and a failure', async () => {
    const h = home();
    const yesterday = Math.floor(Date.now() / 1000) - 86_400;
    await startAgent(
      h,
      'codex',
      {
        invocations: [
          { steps: [{ say: 'working' }, { limit: { resetAt: yesterday } }] },
          { steps: [{ say: 'picked up again' }, { succeed: true }] },
        ],
      },
      ['--limit-backoff', '1s'],
    );
    const follow = await h.cli(['follow', 'agent', '--lines', '100']);
    expect(follow.code, follow.stderr).toBe(0);
    const lines = follow.stdout.split('\n').filter((l) => l !== '');
    const limit = lines.filter((l) => l.includes('usage limit'));
    expect(limit).toHaveLength(1);
    expect(limit[0]).toMatch(/^⏸ usage limit — holdfast resumes at \d\d:\d\d:\d\d \(in 1 s\)$/);
    expect(lines.some((l) => l.startsWith('■ failed'))).toBe(false);
    const at = lines.indexOf(limit[0]!);
    expect(lines[at - 1]).toBe('working');
    expect(lines[at + 1]).toMatch(/^── run 2 \(limit-reset, started /);
    expect(lines.at(-1)).toBe('── agent succeeded (exit 0) ──');
  });

  it('shows a crash as one line saying when the conversation resumes; the run’s cause is resume', async () => {
    const h = home();
    await startAgent(
      h,
      'codex',
      {
        invocations: [
          { steps: [{ say: 'working' }, { crash: { exitCode: 1 } }] },
          { steps: [{ say: 'picked up again' }, { succeed: true }] },
        ],
      },
      ['--backoff', '2s'],
    );
    const follow = await h.cli(['follow', 'agent', '--lines', '100']);
    expect(follow.code, follow.stderr).toBe(0);
    const lines = follow.stdout.split('\n').filter((l) => l !== '');
    const at = lines.indexOf('✗ crashed (exit 1) — resuming in 2 s');
    expect(at, follow.stdout).toBeGreaterThan(0);
    expect(lines[at - 1]).toBe('working');
    expect(lines[at + 1]).toMatch(/^── run 2 \(resume, started /);
    const restarted = ofType(await h.events('agent'), 'restarted');
    expect(restarted.map((e) => e.data.cause)).toEqual(['resume']);
    expect((await h.status('agent')).restarts).toBe(1);
  });
});
