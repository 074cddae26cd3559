import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { BIN, useHome } from '../helpers/home.js';

const home = useHome();

/** Nothing half-created: no task row, no task directory, no session. */
async function expectNothingCreated(): Promise<void> {
  const h = home();
  const ls = await h.cli(['ls', '--json']);
  expect(JSON.parse(ls.stdout)).toEqual([]);
  const tasksDir = join(h.dir, 'tasks');
  expect(existsSync(tasksDir) ? readdirSync(tasksDir) : []).toEqual([]);
}

function expectOneLineError(result: { code: number; stderr: string }, text: string | RegExp): void {
  expect(result.code).not.toBe(0);
  const first = result.stderr.split('\n')[0]!;
  expect(first).toMatch(/^holdfast: /);
  if (typeof text === 'string') expect(first).toContain(text);
  else expect(first).toMatch(text);
}

describe('errors users will hit', () => {
  it('an unknown task', async () => {
    const h = home();
    for (const command of [
      ['status', 'nope'],
      ['log', 'nope'],
      ['stop', 'nope'],
      ['rm', 'nope'],
      ['follow', 'nope'],
      ['events', 'nope'],
    ]) {
      expectOneLineError(await h.cli(command), 'no task named "nope"');
    }
  });

  it('a JSON error document with --json', async () => {
    const r = await home().cli(['status', 'nope', '--json']);
    expect(r.code).not.toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      error: { code: 'ENOTASK', message: 'no task named "nope"', hint: 'holdfast ls lists the tasks' },
    });
  });

  it('a duplicate name', async () => {
    const h = home();
    expect((await h.cli(['run', '--name', 'dup', '--', 'sleep', '60'])).code).toBe(0);
    expectOneLineError(
      await h.cli(['run', '--name', 'dup', '--', 'sleep', '60']),
      'a task named dup already exists',
    );
    const list = JSON.parse((await h.cli(['ls', '--json'])).stdout);
    expect(list).toHaveLength(1);
  });

  it.each(['Build', '-x', 'a_b', 'a'.repeat(64), 'é', ''])('an invalid name %j', async (name) => {
    expectOneLineError(await home().cli(['run', '--name', name, '--', 'true']), /invalid task name/);
    await expectNothingCreated();
  });

  it('a working directory that does not exist', async () => {
    expectOneLineError(
      await home().cli(['run', '--cwd', '/no/such/dir', '--', 'true']),
      'the working directory /no/such/dir does not exist',
    );
    await expectNothingCreated();
  });

  it('an empty command', async () => {
    expectOneLineError(await home().cli(['run']), 'no command given');
    expectOneLineError(await home().cli(['run', '--name', 'x', '--']), 'no command given');
    await expectNothingCreated();
  });

  it('a command that does not exist', async () => {
    expectOneLineError(
      await home().cli(['run', '--', 'no-such-program-xyz']),
      'command not found: no-such-program-xyz',
    );
    await expectNothingCreated();
  });

  it('bad option values name the flag and the expectation', async () => {
    const h = home();
    expectOneLineError(
      await h.cli(['run', '--restart', 'sometimes', '--', 'true']),
      '--restart: expected one of no, on-failure, always',
    );
    expectOneLineError(await h.cli(['stop', 'x', '--timeout', 'soon']), /--timeout: expected a duration/);
    await expectNothingCreated();
  });

  it('attach without a terminal', async () => {
    const h = home();
    await h.cli(['run', '--name', 'att', '--', 'sleep', '60']);
    expectOneLineError(await h.cli(['attach', 'att']), 'attach needs a terminal');
  });

  it('tmux missing', async () => {
    const h = home();
    const r = await h.cli(['run', '--', '/bin/true'], { env: { PATH: '/nonexistent' } });
    expectOneLineError(r, 'tmux is not installed');
    expect(r.stderr).toContain('\nhint: install it: apt-get install -y tmux');
    const json = await h.cli(['run', '--json', '--', '/bin/true'], { env: { PATH: '/nonexistent' } });
    expect(JSON.parse(json.stdout)).toEqual({
      error: {
        code: 'ENOTMUX',
        message: 'tmux is not installed (no "tmux" on PATH)',
        hint: 'install it: apt-get install -y tmux (holdfast needs tmux 3.2 or newer)',
      },
    });
    await expectNothingCreated();
  });

  it('tmux older than 3.2', async () => {
    const h = home();
    const fakeBin = join(h.dir, 'fakebin');
    mkdirSync(fakeBin);
    writeFileSync(join(fakeBin, 'tmux'), '#!/bin/sh\necho "tmux 3.1c"\n');
    chmodSync(join(fakeBin, 'tmux'), 0o755);
    const r = await h.cli(['run', '--', '/bin/true'], { env: { PATH: `${fakeBin}:/usr/bin:/bin` } });
    expectOneLineError(r, 'tmux 3.1 is too old: holdfast needs tmux 3.2 or newer');
    const json = await h.cli(['run', '--json', '--', '/bin/true'], {
      env: { PATH: `${fakeBin}:/usr/bin:/bin` },
    });
    expect(JSON.parse(json.stdout).error).toEqual({
      code: 'ETMUXVERSION',
      message: 'tmux 3.1 is too old: holdfast needs tmux 3.2 or newer',
      hint: 'install a newer tmux (Debian 12 ships 3.3a)',
    });
    rmSync(fakeBin, { recursive: true });
    await expectNothingCreated();
  });

  it('a home whose socket path would pass the unix limit', async () => {
    const base = mkdtempSync(join(tmpdir(), 'hf-long-'));
    try {
      const deep = join(base, 'x'.repeat(100));
      const r = await home().cli(['ls'], { env: { HOLDFAST_HOME: deep } });
      expectOneLineError(r, /tmux\.sock is \d+ bytes, over the unix limit of 107/);
      expect(existsSync(deep)).toBe(false);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  it('a corrupt store is a clear error naming the file, and is left untouched', async () => {
    const h = home();
    const store = join(h.dir, 'holdfast.db');
    const garbage = 'this is not a database '.repeat(300);
    writeFileSync(store, garbage);
    const r = await h.cli(['ls']);
    expectOneLineError(r, `cannot open the store ${store}`);
    expect(r.stderr).toContain('left untouched');
    expect(readFileSync(store, 'utf8')).toBe(garbage);
  });

  it('a corrupt row is a clear error naming the table, the task and the column', async () => {
    const h = home();
    await h.cli(['run', '--name', 'broken', '--no-daemon', '--', 'true']);
    const db = new Database(join(h.dir, 'holdfast.db'));
    db.prepare("UPDATE tasks SET spec = '{\"command\":' WHERE name = 'broken'").run();
    db.close();
    const r = await h.cli(['ls']);
    expectOneLineError(
      r,
      /^holdfast: the store is corrupt: the tasks row of task broken \(id 1\) has a bad spec column: not JSON/,
    );
    expect(r.stderr).toContain('hint: holdfast left the store as it is');
    const json = JSON.parse((await h.cli(['status', 'broken', '--json'])).stdout);
    expect(json.error.code).toBe('ESTORE');
  });

  it('an unknown command or option exits non-zero with usage help', async () => {
    const r = await home().cli(['frobnicate']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("unknown command 'frobnicate'");
  });

  it('every command renders its help', async () => {
    const h = home();
    const help = await h.cli(['--help']);
    const names = [...help.stdout.matchAll(/^ {2}([a-z][a-z-]*)/gm)]
      .map((m) => m[1]!)
      .filter((n) => n !== 'help');
    expect(names.length).toBeGreaterThanOrEqual(10);
    for (const name of names) {
      const r = await h.cli([name, '--help']);
      expect(r.code, name).toBe(0);
      expect(r.stdout, name).toContain(`Usage: holdfast ${name}`);
    }
  });
});

it('the bin script is executable', () => {
  expect(readFileSync(BIN, 'utf8').startsWith('#!/usr/bin/env node')).toBe(true);
});
