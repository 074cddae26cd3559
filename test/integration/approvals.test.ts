import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyFileSchema } from '../../src/agents/policy.js';
import { FIXTURES, useHome } from '../helpers/home.js';

const home = useHome();
const TUI_BIN = join(FIXTURES, 'fake-tui', 'bin');

/** The fake TUIs on PATH, a user HOME where claude's onboarding is done (INTERACTIVE.md §1). */
function fakeEnv(dir: string): NodeJS.ProcessEnv {
  const user = join(dir, 'user');
  mkdirSync(user, { recursive: true });
  writeFileSync(join(user, '.claude.json'), JSON.stringify({ hasCompletedOnboarding: true }));
  return { PATH: `${TUI_BIN}:${process.env.PATH}`, HOME: user, FAKE_TUI_STATE: join(dir, 'fake-state') };
}

describe('approval rules on holdfast run', () => {
  it('writes the rules of --allow, --deny and --rules-file to the task policy file (0600)', async () => {
    const h = home();
    const rules = join(h.dir, 'rules.txt');
    writeFileSync(rules, '# project rules\nallow Edit(src/**)\n\ndeny Bash(git push*)\n');
    const r = await h.cli(
      [
        'run',
        '--agent',
        'claude',
        '--interactive',
        '--trust',
        '--name',
        'fix',
        '--allow',
        'Bash(npm test*)',
        '--allow',
        'Read',
        '--deny',
        'Bash(rm *)',
        '--rules-file',
        rules,
      ],
      { env: fakeEnv(h.dir) },
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const file = join(h.dir, 'tasks', 'fix', 'policy.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(policyFileSchema.parse(JSON.parse(readFileSync(file, 'utf8')))).toEqual({
      version: 1,
      allow: ['Bash(npm test*)', 'Read', 'Edit(src/**)'],
      deny: ['Bash(rm *)', 'Bash(git push*)'],
    });
  });

  it('refuses a bad rule, a bad rules file and rules for a task whose approvals holdfast does not answer: exit 2, one line, nothing created', async () => {
    const h = home();
    const bad = join(h.dir, 'bad-rules.txt');
    writeFileSync(bad, 'allow Bash\npermit Edit\n');
    const cases: [string[], string][] = [
      [['--allow', 'Bash('], 'holdfast: --allow: "Bash(": expected ")" at the end'],
      [['--deny', 'rm -rf'], 'holdfast: --deny: "rm -rf": expected a tool name'],
      [['--allow', 'Bash()'], 'holdfast: --allow: "Bash()": empty parentheses'],
      [['--rules-file', bad], `holdfast: --rules-file ${bad}: line 2: expected "allow RULE" or "deny RULE"`],
      [
        ['--rules-file', join(h.dir, 'missing')],
        `holdfast: --rules-file: cannot read ${join(h.dir, 'missing')}`,
      ],
    ];
    for (const [flags, error] of cases) {
      const r = await h.cli(['run', '--agent', 'claude', '--interactive', ...flags], {
        env: fakeEnv(h.dir),
      });
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toContain(error);
      expect(r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('hint: '))).toHaveLength(1);
    }
    const cmd = await h.cli(['run', '--allow', 'Bash', '--', 'true']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr.split('\n')[0]).toBe(
      "holdfast: --allow answers an interactive agent's approval requests: it needs --agent claude|codex --interactive",
    );
    const headless = await h.cli(['run', '--agent', 'claude', '--prompt', 'hi', '--deny', 'Bash'], {
      env: fakeEnv(h.dir),
    });
    expect(headless.code).toBe(2);
    expect(headless.stderr.split('\n')[0]).toContain('--deny answers an interactive agent');
    const ls = await h.cli(['ls', '--json']);
    expect(JSON.parse(ls.stdout)).toEqual([]);
    const tasks = join(h.dir, 'tasks');
    expect(existsSync(tasks) ? readdirSync(tasks) : []).toEqual([]);
  });
});
