import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BIN, FIXTURES, ROOT, useHome } from '../helpers/home.js';
import { waitFor } from '../helpers/wait.js';

const home = useHome();
const TRACE = join(FIXTURES, 'load-trace.mjs');

/**
 * The packages whose code the files a process loaded hold: the bundle's chunks name each module
 * they inline in a `// node_modules/<package>/…` comment; better-sqlite3, not bundled, is loaded
 * from node_modules itself.
 */
function packagesLoaded(traceFile: string): Set<string> {
  const packages = new Set<string>();
  for (const url of readFileSync(traceFile, 'utf8').split('\n')) {
    if (!url.startsWith('file:')) continue;
    const path = fileURLToPath(url);
    const own = path.match(/\/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
    if (own) packages.add(own[1]!);
    if (!path.startsWith(join(ROOT, 'dist'))) continue;
    for (const m of readFileSync(path, 'utf8').matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm))
      packages.add(m[1]!);
  }
  return packages;
}

describe('start-up loads only what the command needs (issue 14)', () => {
  it('--version prints the package version and loads no package code at all', async () => {
    const h = home();
    const trace = join(h.dir, 'trace');
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
    for (const flag of ['--version', '-V']) {
      const r = await h.cli([flag], {
        env: { NODE_OPTIONS: `--import=${TRACE}`, HOLDFAST_LOAD_TRACE: trace },
      });
      expect(r, r.stderr).toMatchObject({ code: 0, stdout: `${version}\n` });
    }
    expect(readFileSync(trace, 'utf8')).toContain('/dist/cli/start.js');
    expect([...packagesLoaded(trace)]).toEqual([]);
  });

  it('ls --json loads neither the config parser (yaml) nor the dashboard (hono, ws)', async () => {
    const h = home();
    const trace = join(h.dir, 'trace');
    const r = await h.cli(['ls', '--json'], {
      env: { NODE_OPTIONS: `--import=${TRACE}`, HOLDFAST_LOAD_TRACE: trace },
    });
    expect(r, r.stderr).toMatchObject({ code: 0, stdout: '[]\n' });
    const loaded = packagesLoaded(trace);
    // What a listing does need, so the trace is known to see bundled packages at all.
    expect(loaded).toContain('commander');
    expect(loaded).toContain('zod');
    expect(loaded).toContain('better-sqlite3');
    for (const unneeded of ['yaml', 'hono', '@hono/node-server', 'ws'])
      expect(loaded).not.toContain(unneeded);
  });

  it('the daemon supervises without loading commander, the config parser (yaml) or the dashboard', async () => {
    const h = home();
    const trace = join(h.dir, 'trace');
    // A store to supervise, as the watchdog's daemon requires; no config file.
    expect((await h.cli(['ls'])).code).toBe(0);
    const daemon = spawn(process.execPath, [`--import=${TRACE}`, BIN, 'daemon', 'run', '--no-watchdog'], {
      env: { ...h.env, HOLDFAST_LOAD_TRACE: trace },
      stdio: 'ignore',
    });
    try {
      await waitFor(
        () => h.json<{ running: boolean; pid: number | null }>(['daemon', 'status']),
        (s) => s.running && s.pid === daemon.pid,
        { what: 'the daemon holding the lease' },
      );
      // Its socket is served after its first pass, by which time the loop's code has all loaded.
      await waitFor(
        () => existsSync(join(h.dir, 'daemon.sock')),
        (served) => served,
        { what: "the daemon's socket" },
      );
      const loaded = packagesLoaded(trace);
      expect(loaded).toContain('better-sqlite3');
      expect(loaded).toContain('zod');
      for (const unneeded of ['commander', 'yaml', 'hono', '@hono/node-server', 'ws'])
        expect(loaded).not.toContain(unneeded);
    } finally {
      daemon.kill('SIGTERM');
      await new Promise((resolve) => daemon.once('exit', resolve));
    }
  });

  it('`daemon run` with other words goes through the program: a bad flag is a usage error', async () => {
    const h = home();
    const r = await h.cli(['daemon', 'run', '--boot-stagger', 'soon']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^holdfast: --boot-stagger: /);
    expect(existsSync(join(h.dir, 'daemon.pid'))).toBe(false);
  });

  it('`daemon run` says a failure before the lease as every command does, in one line', async () => {
    // A home whose socket path is over tmux's limit: the daemon refuses it before opening anything.
    const h = home();
    const deep = join(h.dir, 'x'.repeat(120));
    const r = await h.cli(['daemon', 'run', '--no-watchdog'], { env: { HOLDFAST_HOME: deep } });
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/^holdfast: .*socket/);
    expect(r.stdout).toBe('');
  });

  it('a daemon that cannot set the rest of the home up after taking its lease gives the lease back', async () => {
    const h = home();
    expect((await h.cli(['ls'])).code).toBe(0);
    // tmux's config file is written once the lease is held; a folder in its place cannot be replaced.
    rmSync(join(h.dir, 'tmux.conf'));
    mkdirSync(join(h.dir, 'tmux.conf'));
    const r = await h.cli(['daemon', 'run', '--no-watchdog']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/^holdfast: refusing .*tmux\.conf: it is a directory$/);
    const db = new Database(join(h.dir, 'holdfast.db'), { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n FROM lease').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  });

  it('the hook program loads no package but zod (node builtins, core and agents)', async () => {
    const h = home();
    const trace = join(h.dir, 'trace');
    const hook = spawn(
      process.execPath,
      [`--import=${TRACE}`, join(ROOT, 'dist', 'hook', 'main.js'), h.dir, 't', '1', 'claude'],
      {
        env: { ...h.env, HOLDFAST_LOAD_TRACE: trace },
        stdio: ['pipe', 'ignore', 'ignore'],
      },
    );
    hook.stdin.end('{"hook_event_name":"Stop"}');
    expect(await new Promise((resolve) => hook.once('exit', resolve))).toBe(0);
    expect([...packagesLoaded(trace)]).toEqual(['zod']);
  });
});
