/**
 * Installs the pinned real agent CLIs (each adapter's `npmPackage`) into
 * `.real-agents-cache/<sanitized package@version>/`, once: a later run finds the install and reuses it.
 *
 * Only for the opt-in suite `npm run test:real-agents`; needs the npm registry the first time.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const CACHE = join(ROOT, '.real-agents-cache');

/** Written last, so a half-finished install (killed, failed) is never taken for a good one. */
const MARKER = '.holdfast-installed.json';
const INSTALL_TIMEOUT_MS = 15 * 60_000;

export type InstallResult =
  | {
      ok: true;
      /** `<dir>/node_modules/.bin/<binary>`. */
      bin: string;
      dir: string;
      /** The version npm actually installed (from the package's own package.json). */
      installedVersion: string;
      /** Whether this call found the install already present. */
      cached: boolean;
      ms: number;
    }
  | { ok: false; dir: string; error: string; ms: number };

/** `@scope/name@1.2.3` → `{ name: '@scope/name', version: '1.2.3' }`. */
export function splitPackage(spec: string): { name: string; version: string } {
  const at = spec.lastIndexOf('@');
  if (at <= 0) throw new Error(`npm package ${JSON.stringify(spec)} is not pinned as name@version`);
  return { name: spec.slice(0, at), version: spec.slice(at + 1) };
}

/** A folder name for a package spec: `@openai/codex@0.169.0` → `openai__codex@0.169.0`. */
export function sanitize(spec: string): string {
  return spec
    .replace(/^@/, '')
    .replace(/\//g, '__')
    .replace(/[^A-Za-z0-9._@-]/g, '_');
}

export function cacheDirFor(spec: string): string {
  return join(CACHE, sanitize(spec));
}

/**
 * The environment for npm: ours without what `npm run` sets about the repo's own project
 * (`npm_config_prefix=/usr`, `npm_config_local_prefix=<repo>`, `npm_package_*`, …), which would leak
 * into the child npm. Settings such as `npm_config_registry` or `npm_config_cafile` stay.
 */
const NPM_RUN_VARS =
  /^(?:npm_config_(?:prefix|local_prefix|global_prefix|call|user_agent|npm_version|node_gyp)|npm_package_.*|npm_lifecycle_.*|npm_command|npm_execpath|npm_node_execpath|INIT_CWD)$/i;

function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!NPM_RUN_VARS.test(key)) env[key] = value;
  }
  return env;
}

function run(
  file: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeout: number },
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string; error?: Error }> {
  return new Promise((resolvePromise) => {
    execFile(
      file,
      args,
      { ...options, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const e = error as (NodeJS.ErrnoException & { code?: unknown; signal?: string | null }) | null;
        resolvePromise({
          code: e === null ? 0 : typeof e.code === 'number' ? e.code : null,
          signal: e?.signal ?? null,
          stdout,
          stderr,
          ...(e !== null ? { error: e } : {}),
        });
      },
    );
  });
}

function tail(text: string, lines = 40): string {
  const all = text.trimEnd().split('\n');
  return (all.length > lines ? ['…', ...all.slice(-lines)] : all).join('\n');
}

function installedVersion(dir: string, name: string): string | null {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : null;
  } catch {
    return null;
  }
}

function binaries(dir: string): string {
  try {
    return readdirSync(join(dir, 'node_modules', '.bin')).join(', ') || '(none)';
  } catch {
    return '(no node_modules/.bin)';
  }
}

/**
 * Installs `spec` (pinned `name@version`) unless already present, and returns the path of `binary`.
 * Never throws: a failure comes back as `{ ok: false, error }`, worded for a test failure.
 */
export async function installAgent(spec: string, binary: string): Promise<InstallResult> {
  const started = Date.now();
  const dir = cacheDirFor(spec);
  const bin = join(dir, 'node_modules', '.bin', binary);
  const fail = (error: string): InstallResult => ({ ok: false, dir, error, ms: Date.now() - started });
  let name: string;
  let version: string;
  try {
    ({ name, version } = splitPackage(spec));
  } catch (error) {
    return fail((error as Error).message);
  }

  if (existsSync(join(dir, MARKER)) && existsSync(bin)) {
    const found = installedVersion(dir, name);
    if (found !== null) {
      return { ok: true, bin, dir, installedVersion: found, cached: true, ms: Date.now() - started };
    }
  }

  // Missing or half-done: start clean.
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // A package.json of its own, so npm treats the folder as a project and never walks up into the repo.
  // allowScripts: the CLIs' postinstall scripts (platform binary selection) are reviewed by pinning.
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'holdfast-real-agent', private: true, allowScripts: { [name]: true } }, null, 2)}\n`,
  );
  const args = ['install', '--prefix', dir, '--no-audit', '--no-fund', spec];
  const result = await run('npm', args, { cwd: dir, env: npmEnv(), timeout: INSTALL_TIMEOUT_MS });
  const ms = Date.now() - started;
  const output = `${result.stdout}\n${result.stderr}`;
  if (result.code !== 0) {
    const how =
      result.signal !== null
        ? `was killed by ${result.signal}${ms >= INSTALL_TIMEOUT_MS ? ` after the ${INSTALL_TIMEOUT_MS / 60_000} min timeout` : ''}`
        : result.code === null
          ? `could not start (${result.error?.message ?? 'unknown error'})`
          : `exited ${result.code}`;
    return fail(`\`npm ${args.join(' ')}\` ${how} after ${(ms / 1000).toFixed(1)} s:\n${tail(output)}`);
  }
  if (!existsSync(bin)) {
    return fail(
      `npm installed ${spec} but it provides no \`${binary}\` in ${join(dir, 'node_modules', '.bin')} ` +
        `(found: ${binaries(dir)}); npm said:\n${tail(output)}`,
    );
  }
  const found = installedVersion(dir, name);
  if (found === null) return fail(`npm installed ${spec} but ${name}/package.json has no version`);
  if (found !== version) return fail(`asked npm for ${spec} but it installed ${name}@${found}`);
  writeFileSync(
    join(dir, MARKER),
    `${JSON.stringify({ spec, at: new Date().toISOString(), ms }, null, 2)}\n`,
  );
  return { ok: true, bin, dir, installedVersion: found, cached: false, ms };
}

/** Whether a failed install should pass (with a warning) instead of failing the agent's tests. */
export function allowMissing(): boolean {
  return process.env.HOLDFAST_REAL_AGENTS_ALLOW_MISSING === '1';
}
