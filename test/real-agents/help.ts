/**
 * Runs a real CLI's `--help` / `--version` offline-first, and reads flags out of argv and help text.
 *
 * When the machine allows it, each run happens in an empty network namespace (`unshare -rn`), so
 * the help cannot depend on the network, and under `strace -e trace=connect`, so an attempt to reach
 * the network is seen and reported. A run that fails without a network is retried with one, and the
 * result says so.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HELP_TIMEOUT_MS = 60_000;

/** Words of an adapter's argv that name a subcommand rather than a value. */
export const SUBCOMMAND_WORDS: ReadonlySet<string> = new Set([
  'exec',
  'resume',
  'run',
  'threads',
  'continue',
]);

/** The flag tokens of an argv: tokens starting with `-` (not a lone `-`), `--flag=value` cut to `--flag`. */
export function flagTokens(argv: readonly string[]): string[] {
  const flags: string[] = [];
  for (const token of argv.slice(1)) {
    if (!token.startsWith('-') || token === '-') continue;
    const flag = token.startsWith('--') ? token.split('=')[0]! : token;
    if (!flags.includes(flag)) flags.push(flag);
  }
  return flags;
}

/** The subcommand path of an argv: `codex exec resume --json … <id> -` → `['exec', 'resume']`. */
export function subcommandPath(argv: readonly string[]): string[] {
  const path: string[] = [];
  for (const token of argv.slice(1)) {
    if (!SUBCOMMAND_WORDS.has(token)) break;
    path.push(token);
  }
  return path;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Whether `text` mentions `word` on its own: not as part of a longer flag or word (`-m` is not in `--model`). */
export function mentions(text: string, word: string): boolean {
  return new RegExp(`(?<![\\w-])${escapeRegExp(word)}(?![\\w-])`).test(text);
}

const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*\u0007/g;

function probe(file: string, args: string[]): boolean {
  try {
    execFileSync(file, args, { stdio: 'ignore', timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

let tools: { netns: boolean; strace: boolean } | null = null;

/** Process groups still running, killed should the test process end first (they run detached). */
const live = new Set<number>();
process.on('exit', () => {
  for (const pgid of live) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** Which isolation tools work here (a container may forbid namespaces or ptrace). */
export function isolationTools(): { netns: boolean; strace: boolean } {
  tools ??= {
    netns: probe('unshare', ['-rn', 'true']),
    strace: probe('strace', ['-f', '-qq', '--seccomp-bpf', '-e', 'trace=connect', '-o', '/dev/null', 'true']),
  };
  return tools;
}

export interface CliRun {
  /** The command as a person would type it. */
  command: string;
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, without colour codes. */
  text: string;
  ms: number;
  /** Whether it ran without a network (empty network namespace). */
  offline: boolean;
  /** It failed offline and passed with the network: the help needs the network. */
  neededNetwork: boolean;
  /** Attempts to open an IP connection (`1.2.3.4:443 (ENETUNREACH)`), loopback included; null if not traced. */
  connects: string[] | null;
}

function parseConnects(trace: string): string[] {
  const found: string[] = [];
  for (const line of trace.split('\n')) {
    if (!line.includes('connect(')) continue;
    const v4 = /sa_family=AF_INET,\s*sin_port=htons\((\d+)\),\s*sin_addr=inet_addr\("([^"]+)"\)/.exec(line);
    const v6 = /sa_family=AF_INET6,\s*sin6_port=htons\((\d+)\).*?inet_pton\(AF_INET6,\s*"([^"]+)"/.exec(line);
    const m = v4 ?? v6;
    if (!m) continue;
    const result = /=\s*(-?\d+)(?:\s+(\w+))?/.exec(line.slice(line.lastIndexOf(')') + 1));
    const outcome = result?.[2] ?? (result?.[1] === '0' ? 'ok' : (result?.[1] ?? '?'));
    const entry = `${v6 ? `[${m[2]}]` : m[2]}:${m[1]} (${outcome})`;
    if (!found.includes(entry)) found.push(entry);
  }
  return found;
}

/** Whether an address from `connects` is this machine (loopback), not the network. */
export function isLoopback(entry: string): boolean {
  return /^(?:127\.|\[::1\]|\[::ffff:127\.)/.test(entry);
}

function once(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  offline: boolean,
  timeoutMs: number,
): Promise<Omit<CliRun, 'neededNetwork' | 'command'>> {
  const { strace } = isolationTools();
  const traceDir = strace ? mkdtempSync(join(tmpdir(), 'hf-trace-')) : null;
  const traceFile = traceDir === null ? null : join(traceDir, 'connect.txt');
  let file = bin;
  let argv = args;
  if (offline) [file, argv] = ['unshare', ['-rn', file, ...argv]];
  if (traceFile !== null) {
    [file, argv] = [
      'strace',
      ['-f', '-qq', '--seccomp-bpf', '-e', 'trace=connect', '-o', traceFile, file, ...argv],
    ];
  }
  const started = Date.now();
  return new Promise((resolvePromise) => {
    // Its own process group, so a timeout kills the CLI and whatever it started, not just the wrapper.
    const child = spawn(file, argv, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const pgid = child.pid;
    if (pgid !== undefined) live.add(pgid);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (pgid !== undefined) {
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, timeoutMs);
    const finish = (code: number | null, signal: string | null, spawnError?: Error) => {
      clearTimeout(timer);
      if (pgid !== undefined) {
        live.delete(pgid);
        // Whatever the CLI left behind in its group (a server, a daemon) goes with it.
        try {
          process.kill(-pgid, 'SIGKILL');
        } catch {
          // nothing left
        }
      }
      let connects: string[] | null = null;
      if (traceFile !== null && traceDir !== null) {
        try {
          connects = parseConnects(readFileSync(traceFile, 'utf8'));
        } catch {
          connects = null;
        }
        rmSync(traceDir, { recursive: true, force: true });
      }
      if (spawnError) stderr += `\n[could not start ${file}: ${spawnError.message}]`;
      resolvePromise({
        code,
        signal,
        timedOut,
        stdout,
        stderr,
        text: `${stdout}\n${stderr}`.replace(ANSI, ''),
        ms: Date.now() - started,
        offline,
        connects,
      });
    };
    child.on('error', (error) => finish(null, null, error));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

/**
 * Runs `bin args…` (a `--help` or `--version`): offline when possible, and again with the network if
 * it failed offline.
 */
export async function runCli(
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
  shownAs: string,
  options: { retryOnline?: boolean; timeoutMs?: number } = {},
): Promise<CliRun> {
  const command = [shownAs, ...args].join(' ');
  const timeoutMs = options.timeoutMs ?? HELP_TIMEOUT_MS;
  const { netns } = isolationTools();
  const first = await once(bin, args, env, cwd, netns, timeoutMs);
  if (first.code === 0 || !netns || options.retryOnline === false) {
    return { ...first, command, neededNetwork: false };
  }
  const second = await once(bin, args, env, cwd, false, timeoutMs);
  return { ...second, command, neededNetwork: second.code === 0 };
}

/** A short account of a failed run, for an assertion message. */
export function describeRun(run: CliRun): string {
  const how = run.timedOut
    ? `timed out after ${(run.ms / 1000).toFixed(0)} s`
    : run.code === null
      ? `was killed by ${run.signal ?? 'a signal'}`
      : `exited ${run.code}`;
  const clip = (s: string) => (s.length > 3000 ? `${s.slice(0, 3000)}\n…` : s);
  return `\`${run.command}\` ${how}${run.offline ? ' (offline)' : ''}\n--- stdout\n${clip(run.stdout)}\n--- stderr\n${clip(run.stderr)}`;
}

/** How option parsers word a flag they do not know (commander, clap, yargs, …). */
const UNKNOWN_OPTION =
  /unknown (?:option|argument|flag)|unexpected argument|unrecognized (?:option|argument)/i;
export const BOGUS_FLAG = '--holdfast-no-such-flag';
/** Option parsing takes well under a second; after that a CLI without credentials may wait for a login. */
const PROBE_TIMEOUT_MS = 10_000;
const probeRuns = new Map<string, Promise<CliRun>>();

/** One offline run of `bin args…` for a probe, shared by probes of the same argv. */
function probeRun(bin: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, shown: string) {
  const key = [bin, ...args].join('\u0000');
  let run = probeRuns.get(key);
  if (run === undefined) {
    // Never online: with the network a CLI without credentials may wait for a login.
    run = runCli(bin, args, env, cwd, shown, { retryOnline: false, timeoutMs: PROBE_TIMEOUT_MS });
    probeRuns.set(key, run);
  }
  return run;
}

export interface FlagProbe {
  /** The parser took the flag: the real argv got past option parsing, while a bogus flag did not. */
  accepted: boolean;
  detail: string;
  real: CliRun;
  control: CliRun;
}

/**
 * For a flag the help does not list: runs the adapter's real argv (offline, stdin empty, no
 * credentials, so it stops at login or the network) and the same argv with the flag swapped for a
 * bogus one. The flag is accepted when the bogus one is refused as unknown and the real one is not.
 */
export async function probeFlag(
  bin: string,
  argv: readonly string[],
  flag: string,
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<FlagProbe> {
  const args = argv.slice(1);
  const swapped = args.map((t) => (t === flag || t.startsWith(`${flag}=`) ? BOGUS_FLAG : t));
  const shown = argv[0] ?? bin;
  const real = await probeRun(bin, args, env, cwd, shown);
  const control = await probeRun(bin, swapped, env, cwd, shown);
  if (!(UNKNOWN_OPTION.test(control.text) && control.text.includes(BOGUS_FLAG))) {
    return {
      accepted: false,
      real,
      control,
      detail: `inconclusive: \`${control.command}\` did not refuse ${BOGUS_FLAG} as unknown, so refusing ${flag} could not be seen either\n${describeRun(control)}`,
    };
  }
  const refused = real.text.split('\n').find((line) => UNKNOWN_OPTION.test(line));
  if (refused !== undefined) {
    return { accepted: false, real, control, detail: `\`${real.command}\` refused it: ${refused.trim()}` };
  }
  const firstLine = real.text.trim().split('\n')[0] ?? '';
  return {
    accepted: true,
    real,
    control,
    detail: `\`${real.command}\` got past option parsing (${real.timedOut ? `still running after ${PROBE_TIMEOUT_MS / 1000} s, killed` : `exit ${real.code}`}: ${JSON.stringify(firstLine.slice(0, 120))}) while ${BOGUS_FLAG} was refused`,
  };
}
