/** What holdfast needs of the machine: tmux, git, the agent CLIs, room on the disk, a short socket path. */
import { statfsSync } from 'node:fs';
import { launchFlags, missingFromHelp } from '../agents/help-flags.js';
import { AGENTS } from '../agents/registry.js';
import type { AgentAdapter } from '../agents/types.js';
import { MAX_SOCKET_PATH_BYTES } from '../paths.js';
import { parseTmuxVersion } from '../tmux/client.js';
import { type Check, check, findOnPath, runProgram } from './doctor-check.js';

const TMUX_MIN: [number, number] = [3, 2];

export async function checkTmux(env: NodeJS.ProcessEnv): Promise<Check> {
  const path = findOnPath('tmux', env);
  if (!path)
    return check('tmux', 'fail', 'tmux is not on PATH', 'install tmux 3.2 or newer (apt install tmux)');
  const out = await runProgram([path, '-V'], env);
  const version = parseTmuxVersion(out.text);
  if (!version)
    return check(
      'tmux',
      'fail',
      `${path} -V said ${JSON.stringify(out.text.trim())}`,
      'install tmux 3.2 or newer',
    );
  const text = out.text.trim();
  if (version[0] < TMUX_MIN[0] || (version[0] === TMUX_MIN[0] && version[1] < TMUX_MIN[1]))
    return check(
      'tmux',
      'fail',
      `${text} at ${path}, older than ${TMUX_MIN.join('.')}`,
      'install tmux 3.2 or newer',
    );
  // docs/TMUX.md: a build with libutempter can miss a pane's exit; holdfast nudges it, so it is only said.
  const ldd = findOnPath('ldd', env) ? await runProgram(['ldd', path], env, 5000) : null;
  const utempter = ldd?.text.includes('libutempter')
    ? ', built with libutempter (missed reaps are nudged)'
    : '';
  return check('tmux', 'ok', `${text} at ${path}${utempter}`);
}

export async function checkGit(env: NodeJS.ProcessEnv): Promise<Check> {
  const path = findOnPath('git', env);
  if (!path)
    return check(
      'git',
      'warn',
      'git is not on PATH: no checkpoints, no diff in recovery reports',
      'install git',
    );
  const out = await runProgram([path, '--version'], env);
  return out.code === 0
    ? check('git', 'ok', `${out.text.trim()} at ${path}`)
    : check('git', 'warn', `${path} --version failed: ${out.text.trim()}`, 'reinstall git');
}

/** Each agent CLI found: its version, and whether its `--help` lists every flag holdfast passes. */
export async function checkAgents(env: NodeJS.ProcessEnv): Promise<Check[]> {
  const checks = await Promise.all(Object.values(AGENTS).map((a) => checkAgent(a, env)));
  if (checks.every((c) => c.status === 'skip'))
    checks.push(
      check(
        'agents',
        'warn',
        `no agent CLI on PATH (${Object.values(AGENTS)
          .map((a) => a.binary)
          .join(', ')}): only commands can run`,
        `install one, e.g. npm install -g ${AGENTS.claude.npmPackage}`,
      ),
    );
  return checks;
}

async function checkAgent(adapter: AgentAdapter, env: NodeJS.ProcessEnv): Promise<Check> {
  const name = `agent ${adapter.kind}`;
  const path = findOnPath(adapter.binary, env);
  if (!path) return check(name, 'skip', `${adapter.binary} is not on PATH`);
  const version = await runProgram([path, '--version'], env);
  const shown = version.text.trim().split('\n')[0] ?? '';
  if (version.code !== 0)
    return check(
      name,
      'warn',
      `${path} --version ${version.timedOut ? 'did not answer in 10 s' : `failed: ${shown}`}`,
      `run ${adapter.binary} once by hand (a login, an update prompt)`,
    );
  const missing: string[] = [];
  for (const group of launchFlags(adapter)) {
    const help = await runProgram([path, ...group.subcommand, '--help'], env);
    const where = group.subcommand.length > 0 ? ` (${adapter.binary} ${group.subcommand.join(' ')})` : '';
    for (const flag of missingFromHelp(help.text, group.flags)) missing.push(`${flag}${where}`);
  }
  if (missing.length > 0)
    return check(
      name,
      'warn',
      `${shown} at ${path}: --help does not list ${missing.join(', ')}`,
      `holdfast passes these flags; install the version holdfast is tested with (npm install -g ${adapter.npmPackage})`,
    );
  return check(name, 'ok', `${shown} at ${path}, every flag holdfast passes is in its --help`);
}

export function checkSocketPath(socket: string): Check {
  const bytes = Buffer.byteLength(socket);
  return bytes > MAX_SOCKET_PATH_BYTES
    ? check(
        'socket path',
        'fail',
        `${socket} is ${bytes} bytes, over the unix limit of ${MAX_SOCKET_PATH_BYTES}`,
        'set HOLDFAST_HOME to a shorter directory',
      )
    : check('socket path', 'ok', `${bytes} of ${MAX_SOCKET_PATH_BYTES} bytes`);
}

const MB = 1024 * 1024;

export function checkDisk(dir: string): Check {
  let stats: { bavail: number; bsize: number; blocks: number };
  try {
    stats = statfsSync(dir);
  } catch (error) {
    return check('disk', 'warn', `cannot read the free space of ${dir}: ${(error as Error).message}`);
  }
  const free = stats.bavail * stats.bsize;
  const share = stats.blocks > 0 ? stats.bavail / stats.blocks : 1;
  const detail = `${Math.round(free / MB)} MB free (${Math.round(share * 100)}%) where ${dir} is`;
  if (free < 100 * MB)
    return check(
      'disk',
      'fail',
      detail,
      'free space: logs stop being captured and the store cannot write on a full disk',
    );
  if (free < 1024 * MB || share < 0.05)
    return check('disk', 'warn', detail, 'free some space before it fills up');
  return check('disk', 'ok', detail);
}
