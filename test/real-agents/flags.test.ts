/**
 * The flags holdfast passes to each agent, checked against the REAL CLI's help at the pinned version,
 * so a flag renamed upstream breaks this suite rather than a user's night.
 *
 * Opt-in: `npm run test:real-agents` (installs the CLIs into .real-agents-cache/ the first time).
 * An agent that cannot be installed fails; with HOLDFAST_REAL_AGENTS_ALLOW_MISSING=1 it passes with
 * a warning instead.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_KINDS, AGENTS } from '../../src/agents/registry.js';
import type { AgentAdapter, AgentKind, LaunchInput } from '../../src/agents/types.js';
import {
  type CliRun,
  describeRun,
  flagTokens,
  isLoopback,
  mentions,
  probeFlag,
  runCli,
  subcommandPath,
} from './help.js';
import { allowMissing, type InstallResult, installAgent, splitPackage } from './install.js';

/** A model each agent would accept (typed by kind: a new adapter without one does not compile). */
const MODELS: Record<AgentKind, string> = {
  claude: 'claude-sonnet-4-5',
  codex: 'gpt-5-codex',
  opencode: 'anthropic/claude-sonnet-4-5',
  gemini: 'gemini-2.5-pro',
  pi: 'claude-sonnet-4-5',
  amp: 'claude-sonnet-4-5',
};

/** A session id of the kind each agent uses (pi: the absolute path of its session file). */
function sessionIdFor(kind: AgentKind): string {
  switch (kind) {
    case 'pi':
      return '/tmp/x.jsonl';
    case 'amp':
      return `T-${randomUUID()}`;
    case 'opencode':
      return `ses_${randomUUID().replace(/-/g, '').slice(0, 26)}`;
    default:
      return randomUUID();
  }
}

/**
 * Flags a CLI accepts although the help of the (sub)command holdfast runs does not list them. For
 * these the real argv is run offline instead (see `probeFlag`): the parser must take the flag while
 * it refuses a bogus one. Each entry is an upstream help gap to re-check on a version bump; any
 * other flag missing from the help fails.
 */
const UNLISTED: Partial<Record<AgentKind, Record<string, string>>> = {
  amp: {
    '--dangerously-allow-all':
      'a hidden option: `amp --help` documents only the setting "amp.dangerouslyAllowAll"',
    '-x': '`amp threads continue --help` leaves the global -x/--execute out of its "Global options"; `amp --help` lists it',
  },
};

/** An argv as a shell would need it typed: empty or spaced tokens quoted (`gemini -p ''`). */
function shellJoin(argv: readonly string[]): string {
  return argv.map((t) => (/^[\w@%+=:,./-]+$/.test(t) ? t : `'${t.replace(/'/g, `'\\''`)}'`)).join(' ');
}

interface Scenario {
  name: string;
  argv: string[];
}

function scenarios(kind: AgentKind, adapter: AgentAdapter): Scenario[] {
  const id = sessionIdFor(kind);
  const base: LaunchInput = {
    sessionId: adapter.preassignsSession ? id : null,
    resume: false,
    cwd: '/tmp/holdfast-real-agents',
    model: null,
    unattended: false,
    extraArgs: [],
    inGitRepo: false,
    runLabel: 'holdfast-real-agents-01',
    program: '',
  };
  const resume: Partial<LaunchInput> = { sessionId: id, resume: true };
  const cases: Array<[string, Partial<LaunchInput>]> = [
    ['fresh', {}],
    ['resume', resume],
    ['unattended fresh', { unattended: true }],
    ['unattended resume', { ...resume, unattended: true }],
    ['fresh with --model', { model: MODELS[kind] }],
    ['resume with --model', { ...resume, model: MODELS[kind] }],
  ];
  return cases.map(([name, change]) => ({ name, argv: adapter.launch({ ...base, ...change }).argv }));
}

/** What the run saw of each agent, printed at the end for whoever runs the suite. */
const report = new Map<AgentKind, string[]>();
function note(kind: AgentKind, line: string): void {
  report.set(kind, [...(report.get(kind) ?? []), line]);
}

afterAll(() => {
  const lines = ['', '── real agents ──'];
  for (const kind of AGENT_KINDS) {
    lines.push(`${kind} (${AGENTS[kind].npmPackage})`);
    for (const line of report.get(kind) ?? ['(not run)']) lines.push(`    ${line}`);
  }
  console.log(lines.join('\n'));
});

describe.each(AGENT_KINDS)('%s', (kind) => {
  const adapter = AGENTS[kind];
  const spec = adapter.npmPackage;
  const pinned = splitPackage(spec).version;
  const cases = scenarios(kind, adapter);
  let install: InstallResult | undefined;
  let home = '';
  let warned = false;
  const runs = new Map<string, Promise<CliRun>>();

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), `hf-real-${kind}-`));
    install = await installAgent(spec, adapter.binary);
    note(
      kind,
      install.ok
        ? `install: ${install.cached ? 'already in the cache' : `installed in ${(install.ms / 1000).toFixed(1)} s`} (${install.dir})`
        : `install FAILED after ${(install.ms / 1000).toFixed(1)} s`,
    );
  });

  afterAll(() => {
    if (home !== '') rmSync(home, { recursive: true, force: true });
  });

  /** The binary, or null when the install failed and HOLDFAST_REAL_AGENTS_ALLOW_MISSING=1 lets it pass. */
  function binary(): string | null {
    if (install?.ok) return install.bin;
    const why = install === undefined ? 'the install did not run' : install.error;
    const message = `${kind}: could not install ${spec}: ${why}`;
    if (allowMissing()) {
      if (!warned) {
        warned = true;
        console.warn(
          `[real-agents] WARNING (HOLDFAST_REAL_AGENTS_ALLOW_MISSING=1, passing unchecked) ${message}`,
        );
        note(kind, 'NOT CHECKED: passed unchecked because HOLDFAST_REAL_AGENTS_ALLOW_MISSING=1');
      }
      return null;
    }
    throw new Error(
      `${message}\n(set HOLDFAST_REAL_AGENTS_ALLOW_MISSING=1 to pass agents that cannot be installed)`,
    );
  }

  /** A throwaway HOME, no updaters, no colours, no credentials, and no browser to open. */
  function cliEnv(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: home,
      TERM: 'dumb',
      BROWSER: 'true',
      ...adapter.quietEnv,
      DISABLE_AUTOUPDATER: '1',
      OPENCODE_DISABLE_AUTOUPDATE: '1',
      CI: '1',
      NO_COLOR: '1',
    };
  }

  /** Runs `<binary> …args` once per argument list, with a throwaway HOME and no updaters. */
  function cli(bin: string, args: string[]): Promise<CliRun> {
    const key = args.join('\u0000');
    let run = runs.get(key);
    if (run === undefined) {
      run = runCli(bin, args, cliEnv(), home, adapter.binary).then((r) => {
        const external = (r.connects ?? []).filter((c) => !isLoopback(c));
        const facts = [
          `${(r.ms / 1000).toFixed(1)} s`,
          r.offline ? 'offline' : 'with network',
          r.connects === null ? 'connects not traced' : null,
          external.length > 0 ? `TRIED THE NETWORK: ${external.join(', ')}` : null,
          r.connects !== null && r.connects.length > external.length
            ? `loopback: ${r.connects.filter(isLoopback).join(', ')}`
            : null,
          r.neededNetwork ? 'FAILED OFFLINE, passed with the network' : null,
        ].filter((f) => f !== null);
        note(kind, `\`${r.command}\`: exit ${r.code ?? r.signal}, ${facts.join(', ')}`);
        if (external.length > 0 || r.neededNetwork) {
          console.warn(
            `[real-agents] ${kind}: \`${r.command}\` reached for the network: ${facts.join(', ')}`,
          );
        }
        return r;
      });
      runs.set(key, run);
    }
    return run;
  }

  it(`installs ${spec} and reports version ${pinned}`, async () => {
    const bin = binary();
    if (bin === null) return;
    expect(install?.ok && install.installedVersion).toBe(pinned);
    const run = await cli(bin, ['--version']);
    expect(run.code, describeRun(run)).toBe(0);
    const printed = run.text.trim();
    note(kind, `--version printed: ${JSON.stringify(printed.split('\n')[0])}`);
    expect(mentions(printed, pinned), `\`${run.command}\` printed ${JSON.stringify(printed)}`).toBe(true);
  });

  const subPaths = new Map<string, string[]>();
  for (const c of cases) {
    const sub = subcommandPath(c.argv);
    for (let n = 1; n <= sub.length; n++) subPaths.set(sub.slice(0, n).join(' '), sub.slice(0, n));
  }
  for (const [shown, sub] of subPaths) {
    it(`recognises the subcommand \`${adapter.binary} ${shown}\``, async () => {
      const bin = binary();
      if (bin === null) return;
      const run = await cli(bin, [...sub, '--help']);
      expect(run.code, describeRun(run)).toBe(0);
      const parent = await cli(bin, [...sub.slice(0, -1), '--help']);
      // A CLI that ignores an unknown word prints its parent's help: that is not recognising it.
      expect(run.text, `\`${run.command}\` printed the same help as \`${parent.command}\``).not.toBe(
        parent.text,
      );
      expect(mentions(run.text, sub.at(-1)!), `\`${run.command}\` never names "${sub.at(-1)}"`).toBe(true);
    });
  }

  for (const c of cases) {
    const sub = subcommandPath(c.argv);
    const flags = flagTokens(c.argv);
    const helpShown = [adapter.binary, ...sub, '--help'].join(' ');
    it(`${c.name}: every flag of \`${shellJoin(c.argv)}\` is in \`${helpShown}\``, async () => {
      const bin = binary();
      if (bin === null) return;
      const run = await cli(bin, [...sub, '--help']);
      expect(run.code, describeRun(run)).toBe(0);
      const unlisted = UNLISTED[kind] ?? {};
      const missing: string[] = [];
      for (const flag of flags.filter((f) => !mentions(run.text, f))) {
        const why = unlisted[flag];
        if (why === undefined) {
          missing.push(flag);
          continue;
        }
        const probe = await probeFlag(bin, c.argv, flag, cliEnv(), home);
        expect(probe.accepted, `${kind} emits ${flag} (${why}), but: ${probe.detail}`).toBe(true);
        note(kind, `${c.name}: ${flag} is not in \`${run.command}\` (${why}); accepted: ${probe.detail}`);
      }
      expect(
        missing,
        `${kind} (${spec}) emits ${missing.join(', ')} but \`${run.command}\` does not list ` +
          `${missing.length === 1 ? 'it' : 'them'}; help text:\n${run.text}`,
      ).toEqual([]);
    });
  }
});
