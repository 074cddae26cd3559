import { describe, expect, it } from 'vitest';
import { launchFlags, missingFromHelp } from './help-flags.js';
import { AGENTS } from './registry.js';

describe('the flags holdfast passes to each agent CLI', () => {
  it("come from the adapters' own argv: headless and interactive, fresh and resumed", () => {
    const claude = launchFlags(AGENTS.claude);
    expect(claude).toHaveLength(1);
    expect(claude[0]!.subcommand).toEqual([]);
    expect(claude[0]!.flags).toEqual(
      expect.arrayContaining([
        '-p',
        '--output-format',
        '--session-id',
        '--resume',
        '--settings',
        '--dangerously-skip-permissions',
        '--model',
      ]),
    );
  });

  it('are grouped by the subcommand whose --help lists them', () => {
    const codex = new Map(launchFlags(AGENTS.codex).map((g) => [g.subcommand.join(' '), g.flags]));
    expect([...codex.keys()].sort()).toEqual(['', 'exec', 'exec resume', 'resume']);
    expect(codex.get('exec')).toEqual(expect.arrayContaining(['--json', '--sandbox']));
    expect(codex.get('')).toContain('--no-daemon');
    for (const agent of Object.values(AGENTS))
      expect(launchFlags(agent).length, agent.kind).toBeGreaterThan(0);
  });
});

describe('a flag missing from --help', () => {
  const help = '  -p, --print            Print\n  --resume-session <id>  Resume\n  --model=<m>\n  [--json]';
  it('is found as a whole word only', () => {
    expect(missingFromHelp(help, ['-p', '--print', '--model', '--json'])).toEqual([]);
    expect(missingFromHelp(help, ['--resume', '-m', '--prin'])).toEqual(['--resume', '-m', '--prin']);
  });
});
