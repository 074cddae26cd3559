/**
 * Scratch folders for tests that run the fake claude TUI (test/fixtures/fake-tui) through holdfast:
 * a user HOME where claude's onboarding is done (INTERACTIVE.md §1), a work dir, and the fake's
 * records. Call `claudeScratches` at the top of a test file BEFORE `useHome`: its cleanup is then
 * registered first and runs after the home's (hooks run as a stack), so the fakes end with the
 * home's tmux server before their records' folder goes.
 */
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { TaskView } from '../../src/views/task.js';
import { waitForDaemon } from './daemon.js';
import { FIXTURES, type Home } from './home.js';
import { waitFor } from './wait.js';

export const TUI_BIN = join(FIXTURES, 'fake-tui', 'bin');

export interface Scratch {
  dir: string;
  work: string;
  state: string;
  env: NodeJS.ProcessEnv;
}

export function claudeScratches(prefix: string): {
  scratch(env?: NodeJS.ProcessEnv): Scratch;
  records<T = Record<string, unknown>>(s: Scratch, file: string): T[];
} {
  const scratches: string[] = [];
  afterEach(() => {
    for (const d of scratches.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return {
    scratch(env = {}) {
      const dir = realpathSync(mkdtempSync(join(tmpdir(), prefix)));
      scratches.push(dir);
      const user = join(dir, 'user');
      const work = join(dir, 'work');
      const state = join(dir, 'state');
      for (const d of [user, work, state]) mkdirSync(d, { recursive: true });
      writeFileSync(join(user, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true }));
      return {
        dir,
        work,
        state,
        env: { PATH: `${TUI_BIN}:${process.env.PATH}`, HOME: user, FAKE_TUI_STATE: state, ...env },
      };
    },
    records<T = Record<string, unknown>>(s: Scratch, file: string): T[] {
      try {
        return readFileSync(join(s.state, file), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as T);
      } catch {
        return [];
      }
    },
  };
}

/**
 * `run --agent claude --interactive --trust -n c` in `work`, restarted after 50–100 ms, then waits
 * for the fake's empty composer (❯ + U+00A0, §2) and for the daemon; returns the daemon's pid.
 */
export async function startClaudeTui(
  h: Home,
  s: { work: string; env: NodeJS.ProcessEnv },
  composerTimeoutMs = 10_000,
): Promise<number> {
  await h.json<TaskView>(
    [
      'run',
      '--agent',
      'claude',
      '--interactive',
      '--trust',
      '-n',
      'c',
      '-C',
      s.work,
      '--backoff',
      '50ms..100ms',
    ],
    { env: s.env },
  );
  await waitFor(
    () => h.tmux(['capture-pane', '-p', '-t', '=c:']),
    (v) => v.includes('\u276f\u00a0'),
    { what: "claude's empty composer", timeoutMs: composerTimeoutMs },
  );
  return waitForDaemon(h);
}
