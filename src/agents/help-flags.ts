/**
 * The flags holdfast passes to an agent CLI, found by asking its adapter for every launch it can
 * build (fresh and resumed, headless and interactive, with and without a model or unattended), so
 * `holdfast doctor` checks them against the CLI's `--help` without a hand-kept list.
 */
import type { AgentAdapter } from './types.js';

export interface FlagGroup {
  /** The subcommand words before the flags (`exec resume` for codex), whose `--help` lists them. */
  subcommand: string[];
  flags: string[];
}

/** A session id every adapter takes (pi wants an absolute .jsonl path) and no subcommand resembles. */
const SESSION = '/holdfast-doctor/00000000-0000-4000-8000-000000000000.jsonl';

export function launchFlags(adapter: AgentAdapter): FlagGroup[] {
  const argvs: string[][] = [];
  for (const resume of [false, true])
    for (const unattended of [false, true])
      for (const model of [null, 'm'])
        for (const inGitRepo of [false, true]) {
          argvs.push(
            adapter.launch({
              sessionId: SESSION,
              resume,
              cwd: '/',
              model,
              unattended,
              extraArgs: [],
              inGitRepo,
              runLabel: 'holdfast-doctor',
              program: adapter.binary,
            }).argv,
          );
          if (adapter.interactive)
            argvs.push(
              adapter.interactive.launch({
                sessionId: SESSION,
                resume,
                model,
                unattended,
                extraArgs: [],
                program: adapter.binary,
                agentDir: '/holdfast-doctor',
              }).argv,
            );
        }
  const groups = new Map<string, FlagGroup>();
  for (const argv of argvs) {
    const rest = argv.slice(1);
    const subcommand: string[] = [];
    while (rest.length > 0 && /^[a-z][a-z-]*$/.test(rest[0]!)) subcommand.push(rest.shift()!);
    const key = subcommand.join(' ');
    const group = groups.get(key) ?? { subcommand, flags: [] };
    groups.set(key, group);
    for (const arg of rest) {
      if (!/^--?[A-Za-z]/.test(arg)) continue;
      const flag = arg.split('=')[0]!;
      if (!group.flags.includes(flag)) group.flags.push(flag);
    }
  }
  return [...groups.values()].filter((g) => g.flags.length > 0);
}

/** The flags a CLI's `--help` text does not mention as a whole word. */
export function missingFromHelp(help: string, flags: readonly string[]): string[] {
  return flags.filter((flag) => {
    const escaped = flag.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return !new RegExp(`(^|[\\s,\\[(|])${escaped}(?=$|[\\s,=\\[\\]<)|.])`, 'm').test(help);
  });
}
