/** The contract every adapter keeps, checked over the whole registry. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HoldfastError } from '../core/errors.js';
import { AGENT_KINDS, AGENTS, getAdapter, isAgentKind } from './registry.js';
import { emptySummary, foldEvents, summarizeLines } from './summary.js';
import { jsonLine, launchInput } from './test-input.js';
import type { AgentEvent, AgentKind, LaunchInput } from './types.js';

const NOW = Date.UTC(2026, 0, 15, 10, 0);
const j = jsonLine;

interface Sample {
  /** The id to launch and resume with. */
  sessionId: string;
  /** The session the transcript itself reports (null: the agent's id is ours alone, as pi's path). */
  reported: string | null;
  /** A short successful run, as the real CLI prints it. */
  success: string[];
  answer: string;
}

// Typed by kind: an adapter added to the registry without a sample does not compile.
const SAMPLES: Record<AgentKind, Sample> = {
  claude: {
    sessionId: '0b0e5a8e-5d2c-4f53-9a3e-2f1c8d9b7a61',
    reported: '0b0e5a8e-5d2c-4f53-9a3e-2f1c8d9b7a61',
    answer: 'Done.',
    success: [
      j({ type: 'system', subtype: 'init', session_id: '0b0e5a8e-5d2c-4f53-9a3e-2f1c8d9b7a61' }),
      j({ type: 'assistant', message: { content: [{ type: 'text', text: 'Done.' }] } }),
      j({
        type: 'result',
        subtype: 'success',
        is_error: false,
        num_turns: 1,
        result: 'Done.',
        total_cost_usd: 0.01,
      }),
    ],
  },
  codex: {
    sessionId: '0199a213-81c0-7800-8aa1-bbab2a035a53',
    reported: '0199a213-81c0-7800-8aa1-bbab2a035a53',
    answer: 'Done.',
    success: [
      j({ type: 'thread.started', thread_id: '0199a213-81c0-7800-8aa1-bbab2a035a53' }),
      j({ type: 'turn.started' }),
      j({ type: 'item.completed', item: { id: 'item_0', type: 'agent_message', text: 'Done.' } }),
      j({ type: 'turn.completed', usage: { input_tokens: 10, output_tokens: 2 } }),
    ],
  },
  opencode: {
    sessionId: 'ses_494719016ffe85dkDMj0FPRbHK',
    reported: 'ses_494719016ffe85dkDMj0FPRbHK',
    answer: 'Done.',
    success: [
      j({ type: 'step_start', sessionID: 'ses_494719016ffe85dkDMj0FPRbHK', part: { type: 'step-start' } }),
      j({ type: 'text', sessionID: 'ses_494719016ffe85dkDMj0FPRbHK', part: { type: 'text', text: 'Done.' } }),
      j({ type: 'step_finish', sessionID: 'ses_494719016ffe85dkDMj0FPRbHK', part: { reason: 'stop' } }),
    ],
  },
  gemini: {
    sessionId: 'c8d7a3e2-1f4b-4c5d-9e6f-7a8b9c0d1e2f',
    reported: 'c8d7a3e2-1f4b-4c5d-9e6f-7a8b9c0d1e2f',
    answer: 'Done.',
    success: [
      j({ type: 'init', session_id: 'c8d7a3e2-1f4b-4c5d-9e6f-7a8b9c0d1e2f', model: 'gemini-2.5-pro' }),
      j({ type: 'message', role: 'assistant', content: 'Do', delta: true }),
      j({ type: 'message', role: 'assistant', content: 'ne.', delta: true }),
      j({ type: 'result', status: 'success', stats: {} }),
    ],
  },
  pi: {
    sessionId: '/state/sessions/build-1.jsonl',
    reported: null,
    answer: 'Done.',
    success: [
      j({ type: 'session', version: 3, id: '7f3a2b1c', cwd: '/work' }),
      j({
        type: 'message_end',
        message: { role: 'assistant', content: [{ type: 'text', text: 'Done.' }], stopReason: 'stop' },
      }),
      j({ type: 'turn_end' }),
    ],
  },
  amp: {
    sessionId: 'T-5928a90d-d53b-488f-a829-4e36442142ee',
    reported: 'T-5928a90d-d53b-488f-a829-4e36442142ee',
    answer: 'Done.',
    success: [
      j({ type: 'system', subtype: 'init', session_id: 'T-5928a90d-d53b-488f-a829-4e36442142ee' }),
      j({ type: 'assistant', message: { content: [{ type: 'text', text: 'Done.' }] } }),
      j({ type: 'result', subtype: 'success', is_error: false, num_turns: 1, result: 'Done.' }),
    ],
  },
};

const EVENT_TYPES = new Set<AgentEvent['type']>([
  'session',
  'assistant',
  'tool-call',
  'tool-result',
  'turn',
  'result',
  'usage-limit',
  'auth-failed',
  'conversation-missing',
  'error',
  'stop-reason',
]);

const baseInput = (sessionId: string): LaunchInput =>
  launchInput('/fixtures/fake-agent', { sessionId, inGitRepo: false, runLabel: 'holdfast-build-1' });

describe('registry', () => {
  it('holds one adapter per kind, under its own kind', () => {
    expect(AGENT_KINDS).toEqual(['claude', 'codex', 'opencode', 'gemini', 'pi', 'amp']);
    for (const kind of AGENT_KINDS) {
      expect(AGENTS[kind].kind).toBe(kind);
      expect(getAdapter(kind)).toBe(AGENTS[kind]);
      expect(isAgentKind(kind)).toBe(true);
    }
  });

  it('refuses an unknown kind with EAGENT, naming the known ones', () => {
    expect(isAgentKind('cursor')).toBe(false);
    expect(isAgentKind('toString')).toBe(false);
    expect(() => getAdapter('cursor')).toThrow(
      'unknown agent "cursor": expected one of claude, codex, opencode, gemini, pi, amp',
    );
    try {
      getAdapter('cursor');
    } catch (error) {
      expect(error).toBeInstanceOf(HoldfastError);
      expect((error as HoldfastError).code).toBe('EAGENT');
    }
  });
});

describe.each(AGENT_KINDS)('%s adapter contract', (kind) => {
  const adapter = AGENTS[kind];
  const sample = SAMPLES[kind];
  const input = baseInput(sample.sessionId);

  it('names its binary and a pinned npm package', () => {
    expect(adapter.binary).toMatch(/^[a-z]+$/);
    expect(adapter.npmPackage).toMatch(/^(@[a-z0-9-]+\/)?[a-z0-9-]+@\d[\w.-]*$/);
    for (const value of Object.values(adapter.quietEnv)) expect(typeof value).toBe('string');
  });

  it('builds a fresh launch: the program first, the extra arguments at the end, no prompt', () => {
    const extra = ['--extra-flag', 'value'];
    const { argv, env } = adapter.launch({ ...input, extraArgs: extra });
    expect(argv[0]).toBe('/fixtures/fake-agent');
    const tail = kind === 'codex' ? argv.slice(-3, -1) : argv.slice(-2);
    expect(tail).toEqual(extra);
    if (kind === 'codex') expect(argv.at(-1)).toBe('-');
    for (const value of Object.values(env)) expect(typeof value).toBe('string');
    if (adapter.preassignsSession) expect(argv).toContain(sample.sessionId);
  });

  it('falls back to its binary when no program is given', () => {
    expect(adapter.launch({ ...input, program: '' }).argv[0]).toBe(adapter.binary);
  });

  it('builds a resume launch that names the session', () => {
    const { argv } = adapter.launch({ ...input, resume: true });
    expect(argv[0]).toBe('/fixtures/fake-agent');
    expect(argv).toContain(sample.sessionId);
  });

  it('refuses to resume without a session id', () => {
    expect(() => adapter.launch({ ...input, sessionId: null, resume: true })).toThrow(HoldfastError);
  });

  it('reads its success transcript as done, with the session and the answer', () => {
    const summary = summarizeLines(adapter, sample.success, NOW, 'UTC');
    expect(summary.sessionId).toBe(sample.reported);
    expect(summary.lastAssistant).toBe(sample.answer);
    expect(summary.turns).toBeGreaterThanOrEqual(1);
    expect(adapter.classify(summary, { exitCode: 0, signal: null })).toEqual({ class: 'done' });
  });

  it('calls the same transcript killed by a signal a crash', () => {
    const summary = summarizeLines(adapter, sample.success, NOW, 'UTC');
    expect(adapter.classify(summary, { exitCode: null, signal: 'SIGKILL' })).toMatchObject({
      class: 'crash',
    });
  });

  it('calls an empty run with a failing exit a crash', () => {
    expect(adapter.classify(emptySummary(), { exitCode: 1, signal: null })).toMatchObject({ class: 'crash' });
  });

  it('puts a forced verdict (auth, lost conversation, limit) before its own result', () => {
    const success = summarizeLines(adapter, sample.success, NOW, 'UTC');
    const limited = foldEvents(success, [{ type: 'usage-limit', resetAt: NOW + 1000, detail: 'limit' }]);
    expect(adapter.classify(limited, { exitCode: 1, signal: null })).toEqual({
      class: 'usage-limited',
      resetAt: NOW + 1000,
      detail: 'limit',
    });
    const lost = foldEvents(limited, [{ type: 'conversation-missing', detail: 'gone' }]);
    expect(adapter.classify(lost, { exitCode: 1, signal: null })).toEqual({
      class: 'conversation-lost',
      detail: 'gone',
    });
    const auth = foldEvents(lost, [{ type: 'auth-failed', detail: 'Not logged in' }]);
    expect(adapter.classify(auth, { exitCode: 1, signal: null })).toEqual({
      class: 'auth',
      detail: 'Not logged in',
    });
  });

  it('renders every event of its transcript as one line or nothing', () => {
    const events = sample.success.flatMap((line) => adapter.parseLine(line, NOW, 'UTC'));
    expect(events.length).toBeGreaterThan(0);
    for (const event of events) {
      const line = adapter.render(event);
      if (line !== null && event.type !== 'assistant') expect(line).not.toMatch(/\n/);
    }
  });

  it('reads blank, plain and broken lines without events', () => {
    for (const line of ['', '\r', 'Reading prompt from stdin...', '{"type":', '[1,2,3]', 'null']) {
      expect(adapter.parseLine(line, NOW, 'UTC')).toEqual([]);
    }
  });

  it('never throws on arbitrary JSON and gives only known event types', () => {
    const anyLine = fc.oneof(
      fc.json(),
      fc.string(),
      fc
        .record(
          { type: fc.constantFrom('result', 'assistant', 'user', 'error', 'message_end', 'item.completed') },
          {
            requiredKeys: [],
          },
        )
        .chain((base) =>
          fc.dictionary(fc.string(), fc.jsonValue()).map((rest) => JSON.stringify({ ...rest, ...base })),
        ),
    );
    fc.assert(
      fc.property(anyLine, (line) => {
        const events = adapter.parseLine(line, NOW, 'UTC');
        for (const event of events) {
          expect(EVENT_TYPES.has(event.type)).toBe(true);
          adapter.render(event);
        }
        foldEvents(emptySummary(), events);
      }),
      { numRuns: 300 },
    );
  });
});
