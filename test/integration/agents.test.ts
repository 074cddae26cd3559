import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AgentKind } from '../../src/agents/types.js';
import type { TaskView } from '../../src/views/task.js';
import { FIXTURES, type Home, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome({ daemon: true });
const FAKE_BIN = join(FIXTURES, 'fake-agent', 'bin');
const PROMPT = 'Refactor the parser. Secret marker: PROMPT-7f3a "quoted" $(not-run)';

interface Invocation {
  agent: string;
  kind: string;
  argv: string[];
  cwd: string;
  stdin: string;
  sessionId: string | null;
  resumed: boolean;
  env: Record<string, string | null>;
}

/** The argv each real CLI takes (after its own name), as the agent-tasks issue specifies. */
const ARGV: Record<
  AgentKind,
  { fresh(id: string | null, label: string): string[]; resume(id: string): string[] }
> = {
  claude: {
    fresh: (id) => ['-p', '--output-format', 'stream-json', '--verbose', '--session-id', id!],
    resume: (id) => ['-p', '--output-format', 'stream-json', '--verbose', '--resume', id],
  },
  codex: {
    fresh: () => ['exec', '--json', '--skip-git-repo-check', '--sandbox', 'workspace-write', '-'],
    resume: (id) => [
      'exec',
      'resume',
      '--json',
      '--skip-git-repo-check',
      '-c',
      'sandbox_mode="workspace-write"',
      id,
      '-',
    ],
  },
  opencode: {
    fresh: (_id, label) => ['run', '--format', 'json', '--title', label],
    resume: (id) => ['run', '--format', 'json', '-s', id],
  },
  gemini: {
    fresh: (id) => ['-p', '', '-o', 'stream-json', '--skip-trust', '--session-id', id!],
    resume: (id) => ['-p', '', '-o', 'stream-json', '--skip-trust', '--resume', id],
  },
  pi: {
    fresh: (id) => ['--mode', 'json', '--session', id!],
    resume: (id) => ['--mode', 'json', '--session', id],
  },
  amp: {
    fresh: () => ['-x', '--stream-json'],
    resume: (id) => ['threads', 'continue', id, '-x', '--stream-json'],
  },
};
const AGENTS = Object.keys(ARGV) as AgentKind[];

async function startAgent(
  h: Home,
  agent: AgentKind,
  scenario: object | null,
  flags: string[] = [],
): Promise<{ state: string; cwd: string }> {
  const state = join(h.dir, 'fake-state');
  const cwd = join(h.dir, 'work');
  mkdirSync(cwd, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    PATH: `${FAKE_BIN}:${process.env.PATH}`,
    FAKE_AGENT_STATE: state,
    ...(scenario ? { FAKE_AGENT_SCENARIO: JSON.stringify(scenario) } : {}),
  };
  const r = await h.cli(
    ['run', '--name', 'agent', '--agent', agent, '--cwd', cwd, '--backoff', '100ms', ...flags],
    {
      env,
      input: PROMPT,
    },
  );
  expect(r.code, r.stderr).toBe(0);
  return { state, cwd };
}

function invocations(state: string): Invocation[] {
  try {
    return readFileSync(join(state, 'invocations.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Invocation)
      .filter((i) => i.kind === 'run');
  } catch {
    return [];
  }
}

function expectNoPromptInArgv(calls: Invocation[]): void {
  for (const call of calls) expect(call.argv.join(' ')).not.toContain('PROMPT-7f3a');
}

const finalOf = (h: Home) =>
  waitFor(
    () => h.status('agent'),
    (v) => ['succeeded', 'failed', 'stopped'].includes(v.state),
    {
      what: 'the agent task to finish',
      timeoutMs: 20_000,
    },
  );

describe.each(AGENTS)('%s', (agent) => {
  it('success: launched headless with the prompt on stdin, never in argv', async () => {
    const h = home();
    const { state, cwd } = await startAgent(h, agent, null);
    const view = await finalOf(h);
    expect(view.state).toBe('succeeded');
    expect(view.agent).toBe(agent);
    const calls = invocations(state);
    expect(calls).toHaveLength(1);
    const first = calls[0]!;
    const preassigned = ['claude', 'gemini', 'pi'].includes(agent);
    expect(first.argv).toEqual(ARGV[agent].fresh(preassigned ? view.sessionId : null, 'agent-run-1'));
    expect(first.stdin).toBe(PROMPT);
    expect(first.cwd).toBe(cwd);
    expectNoPromptInArgv(calls);
    if (agent === 'pi') expect(view.sessionId).toBe(join(h.dir, 'tasks', 'agent', 'pi-session.jsonl'));
    else expect(view.sessionId).toBe(first.sessionId);
    expect(view.info.lastMessage).toBeTruthy();
    const transcript = await h.cli(['log', 'agent']);
    expect(transcript.stdout).not.toContain('{"');
    const raw = await h.cli(['log', 'agent', '--raw']);
    expect(raw.stdout).toContain('{"');
  });

  it('crash mid-turn: resumed with the same session id, the conversation continues', async () => {
    const h = home();
    const { state, cwd } = await startAgent(h, agent, {
      invocations: [
        { steps: [{ say: 'working on it' }, { crash: { exitCode: 1 } }] },
        { steps: [{ say: 'picked up again' }, { succeed: true }] },
      ],
    });
    const view = await finalOf(h);
    expect(view.state).toBe('succeeded');
    const calls = invocations(state);
    expect(calls).toHaveLength(2);
    const id = agent === 'pi' ? view.sessionId! : calls[0]!.sessionId!;
    expect(calls[1]!.argv).toEqual(ARGV[agent].resume(id));
    expect(calls[1]!.resumed).toBe(true);
    expect(calls[1]!.cwd).toBe(cwd);
    // Told of the crash, unlike a resume the user asks for.
    expect(calls[1]!.stdin).toContain('interrupted');
    expectNoPromptInArgv(calls);
    expect(view.runs.map((r) => r.cause)).toEqual(['start', 'resume']);
    expect(view.restarts).toBe(1);
  });

  it('stall: no output for the stall timeout → the same session is resumed', async () => {
    const h = home();
    const { state } = await startAgent(
      h,
      agent,
      {
        invocations: [
          { steps: [{ say: 'thinking' }, { hang: true }] },
          { steps: [{ say: 'back' }, { succeed: true }] },
        ],
      },
      // Long enough that the resumed session, which answers at once, is not itself taken for a
      // stall on a loaded machine.
      ['--stall-timeout', '4s'],
    );
    const view = await finalOf(h);
    expect(view.state).toBe('succeeded');
    expect(view.runs.map((r) => r.cause)).toEqual(['start', 'stall']);
    const calls = invocations(state);
    const id = agent === 'pi' ? view.sessionId! : calls[0]!.sessionId!;
    expect(calls[1]!.argv).toEqual(ARGV[agent].resume(id));
    expect((await h.events('agent')).some((e) => e.type === 'stalled')).toBe(true);
  });

  it('authentication failure: failed with reason auth, never retried', async () => {
    const h = home();
    const { state } = await startAgent(h, agent, { invocations: [{ steps: [{ authFail: true }] }] }, [
      '--restart',
      'always',
    ]);
    const view = await finalOf(h);
    expect(view.state).toBe('failed');
    expect(view.reason).toBe('auth');
    expect(view.runs).toHaveLength(1);
    expect(invocations(state)).toHaveLength(1);
  });
});

/**
 * Starts an agent whose first run hits a usage limit 10 s away and whose second succeeds; returns the
 * journal's rate-limited event. 10 s: a reset less than 5 s away when holdfast sees it is not trusted,
 * and a slow machine takes seconds from the fake's line to holdfast's decision. The journal, not a
 * snapshot of the state: the state lasts only as long as the wait.
 */
async function limitedAgent(h: Home, agent: AgentKind) {
  const { state } = await startAgent(
    h,
    agent,
    {
      invocations: [
        { steps: [{ say: 'busy' }, { limit: { resetInSeconds: 10 } }] },
        { steps: [{ say: 'resumed after the reset' }, { succeed: true }] },
      ],
    },
    ['--limit-backoff', '2s'],
  );
  const events = await waitFor(
    () => h.events('agent'),
    (e) => e.some((x) => x.type === 'rate-limited'),
    { what: 'the rate-limited event', timeoutMs: 15_000 },
  );
  const limited = events.find((e) => e.type === 'rate-limited')!;
  return { state, limited, resetsAt: limited.data.resetsAt as number };
}

/** The second run resumed the first one's session, with no restart budget spent. */
async function expectResumedAfterLimit(h: Home, agent: AgentKind, state: string, cause: string) {
  const view = await finalOf(h);
  expect(view.state).toBe('succeeded');
  expect(view.restarts).toBe(0);
  expect(view.runs.map((r) => r.cause)).toEqual(['start', cause]);
  const calls = invocations(state);
  const id = agent === 'pi' ? view.sessionId! : calls[0]!.sessionId!;
  expect(calls[1]!.argv).toEqual(ARGV[agent].resume(id));
  return view;
}

// claude's rate_limit_event gives the reset to the second; amp's text gives none (--limit-backoff).
describe.each(['claude', 'amp'] as AgentKind[])('%s usage limit', (agent) => {
  it('rate-limited until the reset, then the same session resumed by itself with no restart budget spent', async () => {
    const h = home();
    const { state, limited, resetsAt } = await limitedAgent(h, agent);
    expect(limited.data.known, JSON.stringify(limited)).toBe(agent === 'claude');
    expect(resetsAt - limited.at, JSON.stringify(limited)).toBeGreaterThan(1000);
    const view = await expectResumedAfterLimit(h, agent, state, 'limit-reset');
    expect(Date.parse(view.runs[1]!.startedAt)).toBeGreaterThanOrEqual(resetsAt - 1000);
  });
});

// Their texts give the reset to the minute, so holdfast waits for that minute's end, up to a minute.
describe.each(['codex', 'opencode', 'gemini', 'pi'] as AgentKind[])(
  '%s usage limit to the minute',
  (agent) => {
    it('rate-limited until the end of the minute named; resume --now resumes the same session early', async () => {
      const h = home();
      const { state, limited, resetsAt } = await limitedAgent(h, agent);
      expect(limited.data.known, JSON.stringify(limited)).toBe(true);
      expect(resetsAt - limited.at, JSON.stringify(limited)).toBeGreaterThan(5000);
      const held = await h.status('agent');
      expect(held.state).toBe('rate-limited');
      expect(held.reason).toBe('usage-limit');
      expect(Date.parse(held.limitResetsAt!)).toBeGreaterThan(Date.now());
      expect((await h.cli(['resume', 'agent'])).stderr).toContain('pass --now');
      expect((await h.cli(['resume', 'agent', '--now'])).code).toBe(0);
      const view = await expectResumedAfterLimit(h, agent, state, 'resume');
      expect(Date.parse(view.runs[1]!.startedAt)).toBeLessThan(resetsAt);
    });
  },
);

describe.each(['claude', 'gemini', 'opencode', 'amp'] as AgentKind[])('%s lost conversation', (agent) => {
  it('resume finds no conversation → a fresh start with the original prompt, recorded', async () => {
    const h = home();
    const { state } = await startAgent(h, agent, {
      invocations: [
        { steps: [{ say: 'first' }, { crash: { exitCode: 1 } }], persistSession: false },
        { steps: [] },
        { steps: [{ say: 'fresh again' }, { succeed: true }] },
      ],
    });
    const view = await finalOf(h);
    expect(view.state).toBe('succeeded');
    const calls = invocations(state);
    expect(calls).toHaveLength(3);
    expect(calls[1]!.argv).toEqual(ARGV[agent].resume(calls[0]!.sessionId!));
    expect(calls[2]!.stdin).toBe(PROMPT);
    if (agent === 'claude' || agent === 'gemini') {
      // The same pre-assigned id is started again with --session-id.
      expect(calls[2]!.argv).toEqual(ARGV[agent].fresh(view.sessionId, 'agent-run-3'));
      expect(calls[2]!.argv).toEqual(calls[0]!.argv);
    }
    expect(view.runs.map((r) => r.cause)).toEqual(['start', 'resume', 'conversation-lost']);
    expect((await h.events('agent')).some((e) => e.type === 'conversation-lost')).toBe(true);
  });
});

describe('agent options', () => {
  it('--unattended adds the bypass flag and IS_SANDBOX=1 for claude; --model and extra args pass through', async () => {
    const h = home();
    const { state } = await startAgent(h, 'claude', null, [
      '--unattended',
      '--model',
      'opus',
      '--',
      '--max-turns',
      '3',
    ]);
    await finalOf(h);
    const [call] = invocations(state);
    expect(call!.argv).toContain('--dangerously-skip-permissions');
    expect(call!.argv.join(' ')).toContain('--model opus');
    expect(call!.argv.slice(-2)).toEqual(['--max-turns', '3']);
    expect(call!.env.IS_SANDBOX).toBe('1');
    expect(call!.env.DISABLE_AUTOUPDATER).toBe('1');
  });

  it('resume --prompt continues the same session with the new prompt on stdin', async () => {
    const h = home();
    const { state } = await startAgent(
      h,
      'claude',
      { invocations: [{ steps: [{ say: 'stuck' }, { crash: { exitCode: 1 } }] }] },
      ['--restart', 'no'],
    );
    await waitFor(
      () => h.status('agent'),
      (v) => v.state === 'failed',
    );
    const r = await h.cli(['resume', 'agent', '--prompt', 'Try the other approach: NEW-PROMPT-42']);
    expect(r.code, r.stderr).toBe(0);
    const view = await finalOf(h);
    expect(view.state).toBe('succeeded');
    const calls = invocations(state);
    expect(calls).toHaveLength(2);
    expect(calls[1]!.argv).toEqual(ARGV.claude.resume(view.sessionId!));
    expect(calls[1]!.stdin).toBe('Try the other approach: NEW-PROMPT-42');
    expect(calls[1]!.argv.join(' ')).not.toContain('NEW-PROMPT-42');
    expect(view.runs[1]!.cause).toBe('resume');
  });

  it('permission denials: waiting-input with the denied tools, journaled, shown in ls/status/follow; resume --unattended continues the same session with the bypass flag from then on', async () => {
    const h = home();
    const touch = { tool: 'Bash', input: { command: 'touch x' }, output: '', needsApproval: true };
    // The denial is claude's print-mode behaviour (fake-agent README, claude: Permission denial).
    const { state } = await startAgent(h, 'claude', {
      invocations: [
        { steps: [touch, { say: 'I need permission to run touch.' }, { succeed: true }] },
        { steps: [touch, { crash: { exitCode: 1 } }] },
      ],
      default: { steps: [touch, { say: 'Created x.' }, { succeed: true }] },
    });
    const waiting = await waitFor(
      () => h.status('agent'),
      (v) => v.state === 'waiting-input',
      { what: 'the denied task to wait for input', timeoutMs: 20_000 },
    );
    expect(waiting.reason).toBe('permission-denied: Bash');
    expect(waiting.pid).toBeNull();
    expect(waiting.nextStartAt).toBeNull();
    expect(waiting.info.permissionDenials).toEqual([{ tool: 'Bash', input: 'touch x' }]);

    const events = await h.events('agent');
    expect(events.find((e) => e.type === 'permission-denied')?.data).toEqual({
      tools: ['Bash'],
      denials: [{ tool: 'Bash', input: 'touch x' }],
    });
    expect(events.find((e) => e.type === 'waiting-input')?.data).toEqual({
      reason: 'permission-denied: Bash',
    });
    expect(events.some((e) => e.type === 'succeeded')).toBe(false);

    expect((await h.cli(['ls'])).stdout).toContain('waiting-input (permission-denied: Bash)');
    const status = (await h.cli(['status', 'agent'])).stdout;
    expect(status).toMatch(/^state +waiting-input \(permission-denied: Bash\)$/m);
    expect(status).toMatch(/^denied +Bash — touch x$/m);
    expect(status).toMatch(/^next +holdfast resume agent --unattended/m);
    // follow ends: nothing more happens until someone answers.
    const follow = await h.cli(['follow', 'agent']);
    expect(follow.code, follow.stderr).toBe(0);
    expect(follow.stdout).toContain('⚠ denied: Bash — touch x');
    expect(follow.stdout).toContain('── agent waiting-input (permission-denied: Bash) ──');
    // Still the one run: the supervisor did not start another by itself.
    expect(invocations(state)).toHaveLength(1);

    const r = await h.cli(['resume', 'agent', '--unattended']);
    expect(r.code, r.stderr).toBe(0);
    const done = await finalOf(h);
    expect(done.state).toBe('succeeded');
    const calls = invocations(state);
    // Run 2 was granted and crashed; run 3 (the restart holdfast made itself) kept the grant.
    expect(calls).toHaveLength(3);
    const bypass = [...ARGV.claude.resume(waiting.sessionId!), '--dangerously-skip-permissions'];
    expect(calls[1]!.argv).toEqual(bypass);
    expect(calls[2]!.argv).toEqual(bypass);
    expect(calls.slice(1).map((c) => [c.sessionId, c.resumed, c.env.IS_SANDBOX])).toEqual([
      [waiting.sessionId, true, '1'],
      [waiting.sessionId, true, '1'],
    ]);
    expect(calls[1]!.stdin).toContain('You may now use the tools you were denied.');
    expect(done.sessionId).toBe(waiting.sessionId);
    // The crash after the user's resume is resumed by the supervisor: an agent's crash restart has cause resume.
    expect(done.runs.map((run) => run.cause)).toEqual(['start', 'resume', 'resume']);
    expect((await h.events('agent')).find((e) => e.type === 'resume-requested')?.data).toEqual({
      from: 'waiting-input',
      unattended: true,
    });
  });

  it('resume --unattended of a command task is a usage error, and the task is left as it was', async () => {
    const h = home();
    const run = await h.cli(['run', '--name', 'cmd', '--', 'true']);
    expect(run.code, run.stderr).toBe(0);
    await waitFor(
      () => h.status('cmd'),
      (v) => v.state === 'succeeded',
    );
    const r = await h.cli(['resume', 'cmd', '--unattended']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('holdfast: --unattended: cmd is not an agent task');
    expect((await h.status('cmd')).runs).toHaveLength(1);
  });

  it('an agent task without a prompt is refused and nothing is created', async () => {
    const h = home();
    const r = await h.cli(['run', '--agent', 'claude'], { env: { PATH: `${FAKE_BIN}:${process.env.PATH}` } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('an agent task needs a prompt');
    expect(JSON.parse((await h.cli(['ls', '--json'])).stdout)).toEqual([]);
  });

  it('an unknown agent or a missing CLI is a clear error', async () => {
    const h = home();
    const unknown = await h.cli(['run', '--agent', 'copilot', '--prompt', 'x']);
    expect(unknown.stderr).toContain('claude, codex, opencode, gemini, pi, amp');
    const missing = await h.cli(['run', '--agent', 'claude', '--prompt', 'x'], {
      env: { PATH: '/usr/bin:/bin' },
    });
    expect(missing.stderr).toContain('the claude CLI (claude) is not on PATH');
    expect(missing.stderr).toContain('@anthropic-ai/claude-code');
  });

  it('recover and status show the readable transcript of an agent that said nothing yet, never its raw stream', async () => {
    const h = home();
    // claude's headless stream: its system/init line, a tool call, then it dies mid-turn with no
    // assistant text and no result line (test/fixtures/fake-agent/README.md, "claude" and "crash").
    await startAgent(
      h,
      'claude',
      {
        invocations: [
          {
            steps: [
              { tool: 'Bash', input: { command: 'npm test' }, output: 'TOOL-OUTPUT-9' },
              { crash: { exitCode: 1 } },
            ],
          },
        ],
      },
      ['--restart', 'no'],
    );
    const view = await finalOf(h);
    expect(view.state).toBe('failed');
    expect(view.info.lastMessage ?? null).toBeNull();
    const raw = await h.cli(['log', 'agent', '--raw']);
    expect(raw.stdout).toContain('"subtype":"init"');
    const report = await h.json<{ lastOutput: string[]; lastAgentMessage: string | null }>([
      'recover',
      'agent',
    ]);
    expect(report.lastAgentMessage).toBeNull();
    expect(report.lastOutput).toEqual(['→ Bash: npm test', '← ok: TOOL-OUTPUT-9']);
    for (const command of [
      ['recover', 'agent'],
      ['status', 'agent'],
    ]) {
      const human = await h.cli(command);
      expect(human.stdout).toContain('last output:\n  | → Bash: npm test\n  | ← ok: TOOL-OUTPUT-9');
      expect(human.stdout).not.toContain('"type"');
    }
  });

  it('ls and status show the agent, its session id and its last message', async () => {
    const h = home();
    await startAgent(h, 'claude', {
      default: { steps: [{ say: 'All tests pass now.' }, { succeed: true }] },
    });
    await finalOf(h);
    const [view] = await h.json<TaskView[]>(['ls']);
    expect(view!.agent).toBe('claude');
    expect(view!.info.lastMessage).toBe('All tests pass now.');
    expect(view!.info.turns).toBeGreaterThanOrEqual(1);
    const human = await h.cli(['status', 'agent']);
    expect(human.stdout).toMatch(new RegExp(`^agent +claude session ${view!.sessionId}$`, 'm'));
    expect(human.stdout).toMatch(/^last message +All tests pass now\.$/m);
    expect((await h.cli(['ls'], { env: { COLUMNS: '200' } })).stdout).toContain(
      '[claude] All tests pass now.',
    );
  });
});
