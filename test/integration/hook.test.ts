import { type ChildProcess, execFile, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSignalLine, type SignalLine } from '../../src/agents/signals.js';
import { ROOT } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const HOOK = join(ROOT, 'dist', 'hook', 'main.js');
const homes: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const h of homes) rmSync(h, { recursive: true, force: true });
});

function scratchHome(): string {
  const home = mkdtempSync(join(tmpdir(), 'hf-hook-'));
  homes.push(home);
  mkdirSync(join(home, 'tasks', 'fix'), { recursive: true });
  writeFileSync(join(home, 'tasks', 'fix', 'signals.jsonl'), '', { mode: 0o600 });
  writeFileSync(join(home, 'pane-events.log'), '', { mode: 0o600 });
  return home;
}

/** Runs the hook as an agent does: argv, the payload on stdin; resolves its stdout. */
function runHook(args: string[], stdin: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [HOOK, ...args], (error, stdout) =>
      error ? reject(error) : resolve(stdout),
    );
    child.stdin?.end(stdin);
  });
}

describe('the hook program', () => {
  it('appends a hook payload to the task signals file, wakes the daemon, and prints nothing', async () => {
    const home = scratchHome();
    const payload = { hook_event_name: 'UserPromptSubmit', session_id: 's1', prompt: 'hi; there\\' };
    const out = await runHook([home, 'fix', '7', 'claude'], JSON.stringify(payload));
    expect(out).toBe('');
    const lines = readFileSync(join(home, 'tasks', 'fix', 'signals.jsonl'), 'utf8')
      .trim()
      .split('\n');
    expect(lines).toHaveLength(1);
    const line = parseSignalLine(lines[0]!);
    expect(line).toMatchObject({ agent: 'claude', source: 'hook', event: 'UserPromptSubmit', payload });
    expect(readFileSync(join(home, 'pane-events.log'), 'utf8')).toMatch(/^_kick\|7\|\|\|\d+\n$/);
  });

  it("records claude's transcript size with its UserPromptSubmit (0 before there is one); nothing for another file kind, a relative path or codex", async () => {
    const home = scratchHome();
    const transcript = join(home, 'session.jsonl');
    const fifo = join(home, 'fifo');
    await promisify(execFile)('mkfifo', [fifo]);
    const submit = (path: string, agent = 'claude') =>
      runHook(
        [home, 'fix', '7', agent],
        JSON.stringify({ hook_event_name: 'UserPromptSubmit', prompt: 'p', transcript_path: path }),
      );
    await submit(transcript);
    writeFileSync(transcript, '{"type":"user"}\n');
    await submit(transcript);
    await submit(fifo);
    await submit('session.jsonl');
    await submit(transcript, 'codex');
    const lines = readFileSync(join(home, 'tasks', 'fix', 'signals.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => parseSignalLine(l)!);
    expect(lines.map((l) => l.transcriptSize)).toEqual([0, 16, undefined, undefined, undefined]);
  });

  it("takes codex's notify JSON from its last argument", async () => {
    const home = scratchHome();
    const payload = { type: 'agent-turn-complete', 'thread-id': 't1', 'last-assistant-message': 'done' };
    await promisify(execFile)(process.execPath, [HOOK, home, 'fix', '7', 'codex', JSON.stringify(payload)]);
    const line = parseSignalLine(readFileSync(join(home, 'tasks', 'fix', 'signals.jsonl'), 'utf8').trim());
    expect(line).toMatchObject({ agent: 'codex', source: 'notify', event: 'agent-turn-complete', payload });
  });

  it('writes nothing and exits 0 for a task without a signals file, and never through a link', async () => {
    const home = scratchHome();
    rmSync(join(home, 'tasks', 'fix', 'signals.jsonl'));
    const elsewhere = join(home, 'elsewhere');
    writeFileSync(elsewhere, '');
    await runHook([home, 'gone', '7', 'claude'], '{"hook_event_name":"Stop"}');
    symlinkSync(elsewhere, join(home, 'tasks', 'fix', 'signals.jsonl'));
    await runHook([home, 'fix', '7', 'claude'], '{"hook_event_name":"Stop"}');
    expect(readFileSync(elsewhere, 'utf8')).toBe('');
    expect(readFileSync(join(home, 'pane-events.log'), 'utf8')).toBe('');
  });
});

function signals(home: string): SignalLine[] {
  return readFileSync(join(home, 'tasks', 'fix', 'signals.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => parseSignalLine(l)!);
}

function writePolicy(home: string, allow: string[], deny: string[]): void {
  writeFileSync(join(home, 'tasks', 'fix', 'policy.json'), JSON.stringify({ version: 1, allow, deny }), {
    mode: 0o600,
  });
}

/**
 * A stand-in daemon for the hook's check (hook/daemon-live.ts): a live process of ours named by
 * the pid file, which is fresh as a beating daemon keeps it. Returns the process.
 */
function liveDaemon(home: string): ChildProcess {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  children.push(child);
  writeFileSync(join(home, 'daemon.pid'), `${child.pid}\n`, { mode: 0o600 });
  return child;
}

const BASH = (command: string) =>
  JSON.stringify({
    hook_event_name: 'PermissionRequest',
    session_id: 's1',
    cwd: '/work/project',
    tool_name: 'Bash',
    tool_input: { command },
  });

const ALLOW = { hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'allow' } } };

describe('the hook answers a PermissionRequest', () => {
  it('by an allow rule of the task policy: prints allow and records the decision by rule', async () => {
    const home = scratchHome();
    writePolicy(home, ['Bash(npm test*)'], ['Bash(rm *)']);
    const out = await runHook([home, 'fix', '7', 'claude'], BASH('npm test -- --watch'));
    expect(JSON.parse(out)).toEqual(ALLOW);
    const lines = signals(home);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      event: 'PermissionRequest',
      decision: { behavior: 'allow', by: 'rule', rule: 'Bash(npm test*)' },
    });
    expect(lines[0]!.questionId).toBeUndefined();
    expect(readFileSync(join(home, 'pane-events.log'), 'utf8')).toMatch(/^_kick\|7\|\|\|\d+\n$/);
  });

  it('by a deny rule: prints deny with a message naming the rule, deny winning over an allow', async () => {
    const home = scratchHome();
    writePolicy(home, ['Bash'], ['Bash(rm *)']);
    const out = JSON.parse(await runHook([home, 'fix', '7', 'codex'], BASH('make && rm -rf build')));
    expect(out.hookSpecificOutput.decision).toEqual({
      behavior: 'deny',
      message: expect.stringContaining('deny Bash(rm *)'),
    });
    expect(signals(home)[0]).toMatchObject({
      agent: 'codex',
      decision: {
        behavior: 'deny',
        by: 'rule',
        rule: 'Bash(rm *)',
        message: out.hookSpecificOutput.decision.message,
      },
    });
  });

  it('unmatched with no daemon: prints nothing (the agent draws its dialog) and waits for nothing', async () => {
    const home = scratchHome();
    writePolicy(home, ['Bash(npm test*)'], []);
    const started = Date.now();
    expect(await runHook([home, 'fix', '7', 'claude'], BASH('curl example.com'))).toBe('');
    expect(Date.now() - started).toBeLessThan(5000);
    const lines = signals(home);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.decision).toBeUndefined();
    expect(lines[0]!.questionId).toBeUndefined();
    expect(existsSync(join(home, 'tasks', 'fix', 'answers'))).toBe(false);
  });

  it('unmatched with a stale pid file (a daemon killed, its pid reused) waits for nothing', async () => {
    const home = scratchHome();
    liveDaemon(home);
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(home, 'daemon.pid'), old, old);
    expect(await runHook([home, 'fix', '7', 'claude'], BASH('curl example.com'))).toBe('');
    expect(signals(home)[0]!.questionId).toBeUndefined();
  });

  it('unmatched while the daemon runs: asks with a question id, waits, and answers by the user when the answer file appears', async () => {
    const home = scratchHome();
    liveDaemon(home);
    let done = false;
    const out = runHook([home, 'fix', '7', 'claude'], BASH('curl example.com')).finally(() => {
      done = true;
    });
    const [asked] = await waitFor(
      () => signals(home),
      (l) => l.length === 1,
      { what: 'the asking line' },
    );
    expect(asked).toMatchObject({ event: 'PermissionRequest', questionId: expect.any(String) });
    expect(asked!.decision).toBeUndefined();
    const answers = join(home, 'tasks', 'fix', 'answers');
    const qid = asked!.questionId!;
    expect(JSON.parse(readFileSync(join(answers, `${qid}.wait`), 'utf8'))).toEqual({
      pid: expect.any(Number),
      tool: 'Bash',
      input: { command: 'curl example.com' },
      cwd: '/work/project',
    });
    expect(done).toBe(false);
    writeFileSync(
      join(answers, 'tmp'),
      JSON.stringify({ behavior: 'deny', message: 'use pnpm', by: 'user' }),
    );
    renameSync(join(answers, 'tmp'), join(answers, `${qid}.json`));
    expect(JSON.parse(await out).hookSpecificOutput.decision).toEqual({
      behavior: 'deny',
      message: 'use pnpm',
    });
    const lines = signals(home);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatchObject({
      questionId: qid,
      decision: { behavior: 'deny', message: 'use pnpm', by: 'user' },
    });
    expect(readdirSync(answers).sort()).toEqual([`${qid}.taken`]);
  });

  it('gives the wait up, printing nothing, when the daemon goes away while it waits', async () => {
    const home = scratchHome();
    const daemon = liveDaemon(home);
    const out = runHook([home, 'fix', '7', 'claude'], BASH('curl example.com'));
    await waitFor(
      () => signals(home),
      (l) => l.length === 1,
      { what: 'the asking line' },
    );
    daemon.kill('SIGKILL');
    expect(await out).toBe('');
    expect(signals(home)).toHaveLength(1);
    expect(readdirSync(join(home, 'tasks', 'fix', 'answers'))).toEqual([]);
  });
});
