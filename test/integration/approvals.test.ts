import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyFileSchema } from '../../src/agents/policy.js';
import { FIXTURES, useHome } from '../helpers/home.js';

const home = useHome();
const FAKE_BIN = join(FIXTURES, 'fake-agent', 'bin');

function fakeEnv(dir: string): NodeJS.ProcessEnv {
  return { PATH: `${FAKE_BIN}:${process.env.PATH}`, FAKE_AGENT_STATE: join(dir, 'fake-state') };
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
        '--name',
        'fix',
        '--prompt',
        'hi',
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

  it('refuses a bad rule, a bad rules file and rules for a command task: exit 2, one line, nothing created', async () => {
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
      const r = await h.cli(['run', '--agent', 'claude', '--prompt', 'hi', ...flags], {
        env: fakeEnv(h.dir),
      });
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.stderr.split('\n')[0]).toContain(error);
      expect(r.stderr.split('\n').filter((l) => l !== '' && !l.startsWith('hint: '))).toHaveLength(1);
    }
    const cmd = await h.cli(['run', '--allow', 'Bash', '--', 'true']);
    expect(cmd.code).toBe(2);
    expect(cmd.stderr.split('\n')[0]).toBe(
      "holdfast: --allow answers an agent's approval requests: it needs --agent claude or codex",
    );
    const other = await h.cli(['run', '--agent', 'gemini', '--prompt', 'hi', '--deny', 'Bash'], {
      env: fakeEnv(h.dir),
    });
    expect(other.code).toBe(2);
    const ls = await h.cli(['ls', '--json']);
    expect(JSON.parse(ls.stdout)).toEqual([]);
    const tasks = join(h.dir, 'tasks');
    expect(existsSync(tasks) ? readdirSync(tasks) : []).toEqual([]);
  });
});
