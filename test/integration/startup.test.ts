import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startupStatus } from '../../src/supervisor/startup.js';
import { FIXTURES, useHome } from '../helpers/home.js';

const home = useHome();
const scratch: string[] = [];
afterEach(() => {
  for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A home plus its own fake crontab(1), fake systemctl and config dir: nothing of this machine's is touched. */
function setup(options: { systemd?: boolean } = {}) {
  const h = home();
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'hf-startup-')));
  scratch.push(dir);
  const cron = join(dir, 'cron');
  const user = 'tester';
  const rundir = join(dir, 'run-systemd-system');
  if (options.systemd) mkdirSync(rundir);
  const env = {
    USER: user,
    XDG_CONFIG_HOME: join(dir, 'config'),
    HOLDFAST_CRONTAB: join(FIXTURES, 'fake-crontab', 'crontab'),
    HOLDFAST_SYSTEMCTL: join(FIXTURES, 'fake-crontab', 'systemctl'),
    HOLDFAST_SYSTEMD_RUNDIR: rundir,
    FAKE_CRONTAB_DIR: cron,
    FAKE_SYSTEMCTL_LOG: join(dir, 'systemctl.log'),
  };
  const crontabFile = join(cron, user);
  const calls = () =>
    existsSync(join(cron, 'calls.log')) ? readFileSync(join(cron, 'calls.log'), 'utf8') : '';
  const systemctl = () =>
    existsSync(env.FAKE_SYSTEMCTL_LOG) ? readFileSync(env.FAKE_SYSTEMCTL_LOG, 'utf8').trim().split('\n') : [];
  const unit = join(env.XDG_CONFIG_HOME, 'systemd', 'user', 'holdfast.service');
  const cli = async (args: string[]) => {
    const r = await h.cli(['startup', ...args], { env });
    expect(r.stderr, `holdfast startup ${args.join(' ')}`).toBe('');
    expect(r.code).toBe(0);
    return r.stdout;
  };
  return { h, dir, env, cron, crontabFile, calls, systemctl, unit, cli };
}

/** A crontab with what people have in theirs: variables, comments, blank lines, `%`, tabs, CRLF, UTF-8, another home's line. */
const EXISTING = [
  'SHELL=/bin/bash',
  'MAILTO=""',
  '# m h  dom mon dow   command',
  '',
  '*/5 * * * *\t/usr/local/bin/backup --tag "$(date +\\%F)"  ',
  '@reboot /opt/other/start.sh # holdfast startup HOLDFAST_HOME=/some/other/home',
  '0 3 * * 1 echo café\r',
  '',
].join('\n');

describe('holdfast startup --cron', () => {
  it('installs one @reboot line, keeps every other byte, twice is once, and --uninstall gives the crontab back byte for byte', async () => {
    const s = setup();
    mkdirSync(s.cron, { recursive: true });
    writeFileSync(s.crontabFile, EXISTING);

    await s.cli(['--cron']);
    const installed = readFileSync(s.crontabFile, 'utf8');
    const ours = installed.slice(EXISTING.length);
    expect(installed.startsWith(EXISTING)).toBe(true);
    expect(ours).toMatch(
      /^@reboot .*'[^']*holdfast\.js' daemon run .* # holdfast startup HOLDFAST_HOME=\S+\n$/,
    );
    expect(ours).toContain(`HOLDFAST_HOME='${s.h.dir}'`);
    expect(startupStatus({ ...s.h.env, ...s.env })).toEqual({ installed: 'cron' });

    await s.cli(['--cron']);
    expect(readFileSync(s.crontabFile, 'utf8')).toBe(installed);

    await s.cli(['--uninstall']);
    expect(readFileSync(s.crontabFile, 'utf8')).toBe(EXISTING);
    expect(startupStatus({ ...s.h.env, ...s.env })).toEqual({ installed: null });
  });

  it('is the default without systemd; with no crontab before, none is left after --uninstall', async () => {
    const s = setup();
    const out = await s.cli([]);
    expect(out).toMatch(/installed: an @reboot line/);
    expect(readFileSync(s.crontabFile, 'utf8').split('\n').filter(Boolean)).toHaveLength(1);
    await s.cli(['--uninstall']);
    expect(existsSync(s.crontabFile)).toBe(false);
    expect(s.calls().trim().split('\n')).toEqual(['-l', '-', '-l', '-r']);
  });

  it('the line it installs starts the daemon when run as cron would (/bin/sh -c)', async () => {
    const s = setup();
    await s.cli(['--cron']);
    const line = readFileSync(s.crontabFile, 'utf8').trim();
    const command = line.replace(/^@reboot /, '');
    // crontab(5): an unescaped % would end the command; ours has none, so sh gets it whole.
    expect(command).not.toMatch(/(^|[^\\])%/);
    const child = spawnSync(
      '/bin/sh',
      ['-c', `${command.replace(/ daemon run /, ' daemon status --json ')}`],
      {
        env: { PATH: '/usr/bin:/bin' },
        encoding: 'utf8',
      },
    );
    // Output goes to the daemon's log: the status of this very home, read through the line's own variables.
    expect(child.status).toBe(3);
    const log = readFileSync(join(s.h.dir, 'daemon.log'), 'utf8');
    expect(JSON.parse(log).log).toBe(join(s.h.dir, 'daemon.log'));
  });
});

describe('holdfast startup --print', () => {
  it('writes nothing and runs nothing: not the crontab, not the unit, not systemctl', async () => {
    const s = setup({ systemd: true });
    mkdirSync(s.cron, { recursive: true });
    writeFileSync(s.crontabFile, EXISTING);
    const cron = await s.cli(['--print', '--cron']);
    expect(cron).toMatch(/^# the crontab line:\n@reboot .*daemon run/);
    const unit = await s.cli(['--print', '--systemd']);
    expect(unit).toContain('KillMode=process');
    await s.cli(['--print', '--uninstall']);
    expect(readFileSync(s.crontabFile, 'utf8')).toBe(EXISTING);
    expect(
      s
        .calls()
        .split('\n')
        .filter((c) => c === '-' || c === '-r'),
    ).toEqual([]);
    expect(existsSync(s.env.XDG_CONFIG_HOME)).toBe(false);
    expect(s.systemctl()).toEqual([]);
  });
});

describe('holdfast startup --systemd', () => {
  it('writes a user unit that systemd-analyze verify accepts, enables and starts it, and --uninstall removes only it', async () => {
    const s = setup({ systemd: true });
    mkdirSync(s.cron, { recursive: true });
    writeFileSync(s.crontabFile, EXISTING);
    const out = await s.cli(['--systemd']);
    expect(out).toMatch(/enabled and started/);
    expect(out).toMatch(/loginctl enable-linger tester/);
    const text = readFileSync(s.unit, 'utf8');
    for (const line of [
      `# holdfast startup HOLDFAST_HOME=${s.h.dir}`,
      `ExecStart="${process.execPath}" "${join(realpathSync(join(FIXTURES, '..', '..')), 'bin', 'holdfast.js')}" "daemon" "run" "--no-watchdog"`,
      `Environment="HOLDFAST_HOME=${s.h.dir}"`,
      'Restart=always',
      'RestartSec=1',
      'KillMode=process',
      'WantedBy=default.target',
    ])
      expect(text.split('\n')).toContain(line);
    expect(text).toMatch(/^Environment="PATH=[^"]+"$/m);
    expect(s.systemctl()).toEqual(['--user daemon-reload', '--user enable --now holdfast.service']);
    expect(startupStatus({ ...s.h.env, ...s.env })).toEqual({ installed: 'systemd', path: s.unit });

    // A user unit is verified by the user manager's rules: `--user` needs a runtime dir (none
    // exists in a container without a session), no running systemd.
    const runtime = join(s.dir, 'xdg-runtime');
    mkdirSync(runtime, { mode: 0o700 });
    const verify = spawnSync('systemd-analyze', ['--user', '--man=no', 'verify', s.unit], {
      env: { ...process.env, XDG_RUNTIME_DIR: runtime },
      encoding: 'utf8',
    });
    // Unknown keys and bad values are only warnings: nothing at all may be said.
    expect({ status: verify.status, stderr: verify.stderr, stdout: verify.stdout }).toEqual({
      status: 0,
      stderr: '',
      stdout: '',
    });

    await s.cli(['--uninstall']);
    expect(existsSync(s.unit)).toBe(false);
    expect(s.systemctl().slice(2)).toEqual(['--user disable --now holdfast.service', '--user daemon-reload']);
    expect(readFileSync(s.crontabFile, 'utf8')).toBe(EXISTING);
  });

  it('quotes a home with blanks, quotes, % and $ so that systemd-analyze verify accepts it', async () => {
    const s = setup({ systemd: true });
    const odd = join(s.dir, `it's "50%" $HOME`);
    mkdirSync(odd);
    const r = await s.h.cli(['startup', '--systemd', '--print', '--json'], {
      env: { ...s.env, HOLDFAST_HOME: odd },
    });
    expect(r.code).toBe(0);
    const unit = JSON.parse(r.stdout).content as string;
    // `$` is a variable on the command line only; in Environment= it is itself, `%` a specifier in both.
    const quotedHome = odd.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%');
    expect(unit).toContain(`Environment="HOLDFAST_HOME=${quotedHome}"\n`);
    expect(unit).toMatch(/^ExecStart=.*"daemon" "run" "--no-watchdog"$/m);
    const file = join(s.dir, 'odd.service');
    writeFileSync(file, unit);
    const runtime = join(s.dir, 'xdg-runtime');
    mkdirSync(runtime, { mode: 0o700 });
    const env = { ...process.env, XDG_RUNTIME_DIR: runtime };
    const verify = spawnSync('systemd-analyze', ['--user', '--man=no', 'verify', file], {
      env,
      encoding: 'utf8',
    });
    expect(verify.stderr).toBe('');
  });
});
