import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSignalLine } from '../../src/agents/signals.js';
import { ROOT } from '../helpers/home.js';

const HOOK = join(ROOT, 'dist', 'hook', 'main.js');
const homes: string[] = [];
afterAll(() => {
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
