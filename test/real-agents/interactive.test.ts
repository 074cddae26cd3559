/**
 * The real claude and codex TUIs (the pinned npm packages) supervised by holdfast: each runs
 * interactively in a pane of a private tmux server, with a temporary HOLDFAST_HOME, a scratch HOME
 * and its model API a loopback mock (model-mock.ts). Checked end to end, by what the model was
 * given: the first prompt; 20 `send`s, each in the conversation exactly once; a tool call allowed by
 * `--allow` and one answered by `holdfast answer`; a `kill -9` of the agent, resumed on the same
 * session id with its conversation.
 *
 * Opt-in: `npm run test:real-agents` (after `npm run build`: holdfast runs as the built CLI). The
 * steps of one agent share its task and run in order: a step builds on the conversation so far.
 */
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENTS } from '../../src/agents/registry.js';
import type { JournalEvent } from '../../src/store/events.js';
import type { InputView } from '../../src/views/input.js';
import type { TaskView } from '../../src/views/task.js';
import { type Home, makeHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';
import { allowMissing, installAgent } from './install.js';
import { type ModelMock, startModelMock } from './model-mock.js';

type Kind = 'claude' | 'codex';
const NAME = 't';
const SENDS = 20;
/** Real TUIs on a shared 2-core machine: generous deadlines, modest polling. */
const STEP_MS = 120_000;
const POLL_MS = 250;

const ofKind = (events: JournalEvent[], type: string) => events.filter((e) => e.type === type);

/** How often `marker` occurs in the texts the model was given. */
function occurrences(texts: readonly string[], marker: string): number {
  return texts.join('\n').split(marker).length - 1;
}

/** The pane's process and all below it (the agent, codex's native child), deepest first. */
function paneTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone
    }
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) walk(c);
    out.push(pid);
  };
  walk(root);
  return out;
}

function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}

/**
 * One real agent's world for a describe block: the pinned CLI installed, a scratch HOME pointed at
 * a fresh mock, a holdfast home with a daemon; the task is `name`.
 */
function useRealAgent(kind: Kind, name: string) {
  const adapter = AGENTS[kind];
  const nonce = `${process.pid.toString(36)}${Date.now().toString(36)}`;
  const mark = (what: string) => `HF-${what}-${nonce}`;
  let h: Home | null = null;
  let mock: ModelMock | null = null;
  let dir = '';
  let work = '';
  let env: NodeJS.ProcessEnv = {};
  let skip = false;

  beforeAll(async () => {
    const install = await installAgent(adapter.npmPackage, adapter.binary);
    if (!install.ok) {
      if (allowMissing()) {
        console.warn(`[real-agents] WARNING ${kind}: not installed, passing unchecked: ${install.error}`);
        skip = true;
        return;
      }
      throw new Error(`${kind}: could not install ${adapter.npmPackage}: ${install.error}`);
    }
    dir = realpathSync(mkdtempSync(join(tmpdir(), `hf-rt-${kind}-${name}-`)));
    const user = join(dir, 'user');
    work = join(dir, 'work');
    const tmp = join(dir, 'tmp');
    for (const d of [user, work, tmp]) mkdirSync(d, { recursive: true });
    mock = await startModelMock(kind === 'claude' ? 'anthropic' : 'openai', join(dir, 'mock.jsonl'));
    const base = {
      PATH: `${dirname(install.bin)}:${process.env.PATH}`,
      HOME: user,
      TMPDIR: tmp,
      DISABLE_AUTOUPDATER: '1',
      NO_COLOR: '1',
    };
    if (kind === 'claude') {
      // §1: onboarding done in the file, or it calls the vendor before it starts (and exits 1 offline).
      writeFileSync(join(user, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true }));
      env = {
        ...base,
        ANTHROPIC_BASE_URL: mock.url,
        CLAUDE_CODE_OAUTH_TOKEN: 'holdfast-mock-token',
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      };
    } else {
      // The provider in the user's own config (AGENT-CLIS.md), which holdfast reads into the task's
      // CODEX_HOME once it carries the user's config over; until then the same keys as `-c` (codexArgs).
      mkdirSync(join(user, '.codex'), { recursive: true });
      writeFileSync(join(user, '.codex', 'config.toml'), codexConfig(mock.url));
      env = { ...base, HOLDFAST_MOCK_API_KEY: 'holdfast-mock-key' };
    }
    h = makeHome({ daemon: true });
  });

  afterAll(async () => {
    // HOLDFAST_REAL_TUI_KEEP=1 keeps the scratch folder (mock.jsonl: every request) and a copy of the
    // home; read it with HOLDFAST_NO_DAEMON=1, or holdfast starts a daemon there that restarts the task.
    const keep = process.env.HOLDFAST_REAL_TUI_KEEP === '1' && h !== null && dir !== '';
    if (keep)
      cpSync(h!.dir, join(dir, 'holdfast-home'), { recursive: true, filter: (p) => !p.endsWith('.sock') });
    h?.cleanup();
    if (keep) {
      console.log(`[real-agents] ${kind} ${name}: kept ${dir}`);
      await mock?.close();
      return;
    }
    await mock?.close();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  const home = () => h!;
  const screen = () => {
    try {
      return home().tmux(['capture-pane', '-p', '-t', `=${name}:`]);
    } catch (error) {
      return `(no pane: ${(error as Error).message})`;
    }
  };
  /** What a failed wait shows: the task, the screen's bottom, what the model was last given. */
  async function world() {
    const status = await home()
      .status(name)
      .catch((e: Error) => ({ error: e.message }));
    return {
      status,
      screen: screen().trimEnd().split('\n').slice(-25).join('\n'),
      lastConversation: mock!.lastConversation(),
      replies: mock!.requests.slice(-6).map((r) => `${r.method} ${r.url} → ${r.replied}`),
    };
  }
  async function until(
    what: string,
    accept: (w: Awaited<ReturnType<typeof world>>) => boolean,
    timeoutMs = STEP_MS,
  ) {
    return waitFor(world, accept, { what, timeoutMs, intervalMs: POLL_MS });
  }
  const status = (w: Awaited<ReturnType<typeof world>>) => w.status as TaskView;
  const idle = (w: Awaited<ReturnType<typeof world>>) =>
    status(w).state === 'running' && status(w).activity === 'idle';
  async function confirmedInputs(): Promise<number[]> {
    return ofKind(await home().events(name), 'input-confirmed').map((e) => e.data.input as number);
  }

  return {
    adapter,
    mark,
    home,
    screen,
    until,
    status,
    idle,
    confirmedInputs,
    skip: () => skip,
    mock: () => mock!,
    work: () => work,
    env: () => env,
  };
}

describe.each<Kind>(['claude', 'codex'])('real %s TUI supervised by holdfast', (kind) => {
  const agent = useRealAgent(kind, NAME);
  const { mark, home, until, status, idle, confirmedInputs } = agent;
  it('starts on the first prompt, which reaches the model once and is confirmed', async () => {
    if (agent.skip()) return;
    const first = mark('first');
    const args = [
      'run',
      '--agent',
      kind,
      '--interactive',
      '--trust',
      '-n',
      NAME,
      '-C',
      agent.work(),
      '--allow',
      'Bash(touch allowed-*)',
      '--prompt',
      `hello ${first}`,
      // claude's TUI starts in auto mode, where it ran the Bash call with no PermissionRequest, so
      // no rule of holdfast's was asked: the approval steps need its default (asking) mode.
      '--',
      ...(kind === 'codex' ? codexArgs(agent.mock().url) : ['--permission-mode', 'default']),
    ];
    const task = await home().json<TaskView>(args, { env: agent.env() });
    expect(task.interactive).toBe(true);
    await until(
      'the first prompt in the conversation, the agent idle',
      (w) => occurrences(w.lastConversation, first) === 1 && idle(w),
    );
    await waitFor(confirmedInputs, (v) => v.length === 1, {
      what: 'the first prompt confirmed',
      timeoutMs: STEP_MS,
    });
    expect(occurrences(agent.mock().lastConversation(), first)).toBe(1);
    const events = await home().events(NAME);
    expect(ofKind(events, 'input-failed')).toEqual([]);
    expect((await home().status(NAME)).sessionId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it(`${SENDS} sends: each confirmed once and in the conversation exactly once`, async () => {
    if (agent.skip()) return;
    const markers = Array.from({ length: SENDS }, (_, i) => mark(`send${i}`));
    const ids: number[] = [];
    for (const m of markers) {
      const r = await home().json<InputView>(['send', NAME, `note ${m}`]);
      expect(r).toMatchObject({ task: NAME, source: 'send', mode: 'pane' });
      ids.push(r.id);
    }
    await until(
      `all ${SENDS} sends in the conversation, the agent idle`,
      (w) => markers.every((m) => occurrences(w.lastConversation, m) >= 1) && idle(w),
      STEP_MS * 4,
    );
    const confirmed = await waitFor(confirmedInputs, (v) => ids.every((id) => v.includes(id)), {
      what: 'every send confirmed',
      timeoutMs: STEP_MS,
    });
    expect(confirmed.filter((id) => ids.includes(id)).sort((a, b) => a - b)).toEqual(ids);
    const conversation = agent.mock().lastConversation();
    expect(markers.map((m) => occurrences(conversation, m))).toEqual(markers.map(() => 1));
    // In the order sent.
    const at = markers.map((m) => conversation.join('\n').indexOf(m));
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    const events = await home().events(NAME);
    expect(ofKind(events, 'input-failed')).toEqual([]);
    const sent = ofKind(events, 'input-sent').map((e) => e.data.input);
    expect(new Set(sent).size).toBe(sent.length);
  });

  it('a tool call an --allow rule matches runs with no question, journaled as decided by the rule', async () => {
    if (agent.skip()) return;
    await home().json<InputView>(['send', NAME, `please [[bash touch allowed-1]] ${mark('allow')}`]);
    await until(
      'allowed-1 made, the agent idle again',
      (w) => existsSync(join(agent.work(), 'allowed-1')) && idle(w),
    );
    const decided = ofKind(await home().events(NAME), 'approval-decided').map((e) => e.data);
    expect(decided).toEqual([
      expect.objectContaining({ behavior: 'allow', by: 'rule', rule: 'Bash(touch allowed-*)' }),
    ]);
    expect(ofKind(await home().events(NAME), 'question-asked')).toEqual([]);
  });

  it('a tool call no rule matches waits as a permission question until holdfast answer yes', async () => {
    if (agent.skip()) return;
    await home().json<InputView>(['send', NAME, `please [[bash touch asked-1]] ${mark('ask')}`]);
    const asked = await until('the permission question', (w) => status(w).state === 'waiting-input');
    expect(status(asked).question).toMatchObject({ kind: 'permission' });
    expect(existsSync(join(agent.work(), 'asked-1'))).toBe(false);
    const r = await home().cli(['answer', NAME, 'yes']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    await until(
      'asked-1 made, the agent idle again',
      (w) => existsSync(join(agent.work(), 'asked-1')) && idle(w),
    );
    const decided = ofKind(await home().events(NAME), 'approval-decided').map((e) => e.data);
    expect(decided.at(-1)).toMatchObject({ behavior: 'allow', by: 'user' });
  });

  it('kill -9 of the agent: the task comes back on the same session id, its conversation intact', async () => {
    if (agent.skip()) return;
    const before = await home().status(NAME);
    const session = before.sessionId!;
    expect(session).toMatch(/^[0-9a-f-]{36}$/);
    const panePid = Number(
      home()
        .tmux(['display-message', '-p', '-t', `=${NAME}:`, '#{pane_pid}'])
        .trim(),
    );
    const killed = paneTree(panePid);
    for (const pid of killed) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    const back = await until(
      'a second run, idle',
      (w) => status(w).runs.length === before.runs.length + 1 && idle(w),
    );
    expect(status(back).sessionId).toBe(session);
    expect(status(back).runs.at(-1)).toMatchObject({ cause: 'resume' });
    const agentArgv = paneTree(status(back).pid ?? 0)
      .flatMap(cmdline)
      .join(' ');
    expect(agentArgv).toContain(kind === 'claude' ? `--resume ${session}` : `resume ${session}`);
    const after = mark('after-resume');
    await home().json<InputView>(['send', NAME, `again ${after}`]);
    await until(
      'the prompt after the resume in the conversation',
      (w) => occurrences(w.lastConversation, after) === 1,
    );
    // The conversation was resumed, not started over: the first prompt is still in it, once.
    expect(occurrences(agent.mock().lastConversation(), mark('first'))).toBe(1);
    expect(occurrences(agent.mock().lastConversation(), mark('send19'))).toBe(1);
    expect(ofKind(await home().events(NAME), 'input-failed')).toEqual([]);
  });
});

/**
 * claude 2.1.329's TUI starts in auto mode (`⏵⏵ auto mode on`), and there it ran a Bash call with
 * no PermissionRequest hook, so holdfast's rules were never asked. holdfast now starts a task with
 * rules in the default mode (its settings file) and enforces deny rules at PreToolUse, which fires
 * in every mode: this runs the TUI in auto mode on purpose and checks the deny holds there.
 */
describe('real claude TUI in auto mode', () => {
  const agent = useRealAgent('claude', 'auto');
  const { home, until, idle } = agent;

  it('a --deny rule holds in auto mode, where claude asks nothing: refused at PreToolUse, journaled by rule', async () => {
    if (agent.skip()) return;
    await home().json<TaskView>(
      [
        'run',
        '--agent',
        'claude',
        '--interactive',
        '--trust',
        '-n',
        'auto',
        '-C',
        agent.work(),
        '--deny',
        'Bash(touch denied-*)',
        '--prompt',
        'please [[bash touch denied-1]]',
        '--',
        '--permission-mode',
        'auto',
      ],
      { env: agent.env() },
    );
    await until(
      'the turn over, the agent idle',
      (w) => agent.mock().requests.some((r) => r.replied === 'text:done') && idle(w),
    );
    const lines = readFileSync(join(home().dir, 'tasks', 'auto', 'signals.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: string });
    const events = lines.map((l) => l.event);
    console.log(`[real-agents] claude auto mode: hooks fired ${JSON.stringify(events)}`);
    expect(agent.screen()).toContain('auto mode on');
    expect(events).toContain('PreToolUse');
    expect(existsSync(join(agent.work(), 'denied-1'))).toBe(false);
    expect(ofKind(await home().events('auto'), 'approval-decided').map((e) => e.data)).toEqual([
      expect.objectContaining({ behavior: 'deny', by: 'rule', rule: 'Bash(touch denied-*)' }),
    ]);
  });
});

/** codex's provider: the mock (AGENT-CLIS.md), as the user's `config.toml` would name it. */
function codexConfig(url: string): string {
  return [
    'model_provider = "mock"',
    'model = "gpt-5-codex"',
    'check_for_update_on_startup = false',
    '',
    '[model_providers.mock]',
    'name = "mock"',
    `base_url = "${url}/v1"`,
    'wire_api = "responses"',
    'env_key = "HOLDFAST_MOCK_API_KEY"',
    'request_max_retries = 0',
    'stream_max_retries = 0',
    '',
  ].join('\n');
}

/** The same as `-c` overrides after `--`, for a holdfast that does not read the user's config.toml. */
function codexArgs(url: string): string[] {
  return [
    '-c',
    'model_provider="mock"',
    '-c',
    'model="gpt-5-codex"',
    '-c',
    'check_for_update_on_startup=false',
    '-c',
    `model_providers.mock={name="mock", base_url="${url}/v1", wire_api="responses", env_key="HOLDFAST_MOCK_API_KEY", request_max_retries=0, stream_max_retries=0}`,
  ];
}
