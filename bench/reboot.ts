/**
 * The reboot figure: N tasks running (fake headless claude agents that work until killed, and
 * plain commands), then a power cut (the daemon, the watchdog, the tmux server and every process
 * of the home SIGKILLed by pid), then only `holdfast daemon run --no-watchdog` as the boot unit
 * starts it. Measures the time from that `daemon run` to every task running again, and the load.
 *
 *   npm run build && npx tsx bench/reboot.ts [--tasks 12] [--agents 8] [--stagger 500ms]
 *
 * Prints one JSON line on stdout. Runs in a private temp home, removed at the end.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';

const ROOT = resolve(import.meta.dirname, '..');
const BIN = join(ROOT, 'bin', 'holdfast.js');
const FAKE_BIN = join(ROOT, 'test', 'fixtures', 'fake-agent', 'bin');

function arg(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : process.argv[at + 1]!;
}
const tasks = Number(arg('tasks', '12'));
const agents = Math.min(tasks, Number(arg('agents', String(Math.ceil((tasks * 2) / 3)))));
const stagger = arg('stagger', '500ms');

const home = realpathSync(mkdtempSync(join(tmpdir(), 'hf-reboot-')));
const socket = join(home, 'tmux.sock');
const env: NodeJS.ProcessEnv = {
  ...process.env,
  HOLDFAST_HOME: home,
  PATH: `${FAKE_BIN}:${process.env.PATH}`,
  FAKE_AGENT_STATE: join(home, 'fake'),
  FAKE_AGENT_SCENARIO: JSON.stringify({ default: { steps: [{ say: 'working' }, { hang: true }] } }),
};
delete env.TMUX;
const cli = (args: string[]) =>
  execFileSync(process.execPath, [BIN, ...args], { env, cwd: home, encoding: 'utf8', timeout: 30_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function processesOfHome(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(`HOLDFAST_HOME=${home}`))
        found.push(Number(entry));
    } catch {
      // gone, or not ours
    }
  }
  return found;
}

/** The watchdog first (it would start the daemon again), then the daemon, then the server. */
function killAll(): void {
  const kill = (pid: () => number) => {
    try {
      process.kill(pid(), 'SIGKILL');
    } catch {
      // none, or gone
    }
  };
  const tmux = (args: string[]) =>
    execFileSync('tmux', ['-S', socket, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 5000,
    });
  kill(() => Number(tmux(['display-message', '-p', '-t', '=_holdfast-watchdog:', '#{pane_pid}']).trim()));
  kill(() => Number(readFileSync(join(home, 'daemon.pid'), 'utf8').trim()));
  kill(() => Number(tmux(['display-message', '-p', '#{pid}']).trim()));
  for (let i = 0; i < 5; i++)
    for (const pid of processesOfHome()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
}

/** Tasks whose newest run is open and in tmux (has a pid), and started after `since` (epoch ms). */
function runningSince(db: Database.Database, since: number): number {
  const row = db
    .prepare(
      `SELECT count(*) AS n FROM tasks t JOIN runs r ON r.id = t.current_run_id
       WHERE r.ended_at IS NULL AND r.pid IS NOT NULL AND r.started_at >= ?`,
    )
    .get(since) as { n: number };
  return row.n;
}

async function main(): Promise<void> {
  try {
    for (let i = 0; i < tasks; i++) {
      if (i < agents) cli(['run', '--name', `agent-${i}`, '--agent', 'claude', '--prompt', 'work']);
      else cli(['run', '--name', `cmd-${i}`, '--restart', 'always', '--', 'sleep', '600']);
    }
    const db = new Database(join(home, 'holdfast.db'), { readonly: true, fileMustExist: true });
    for (let deadline = Date.now() + 60_000; runningSince(db, 0) < tasks; await sleep(100))
      if (Date.now() > deadline) throw new Error('the tasks did not all start');
    // Settled: the agents have said their first words and the load of starting them has passed.
    await sleep(3000);
    killAll();
    const loadBefore = loadavg()[0]!;
    const bootAt = Date.now();
    const daemon = spawn(
      process.execPath,
      [BIN, 'daemon', 'run', '--no-watchdog', '--boot-stagger', stagger],
      {
        env: {
          HOLDFAST_HOME: home,
          PATH: env.PATH!,
          HOME: process.env.HOME!,
          FAKE_AGENT_STATE: env.FAKE_AGENT_STATE!,
        },
        // Its log, as under systemd or cron: the daemon's stdout.
        stdio: ['ignore', openSync(join(home, 'daemon.log'), 'a'), 'inherit'],
        detached: true,
      },
    );
    daemon.on('exit', (code, signal) => process.stderr.write(`bench: daemon run exited ${code} ${signal}\n`));
    daemon.unref();
    let first: number | null = null;
    let all: number | null = null;
    let peakLoad = 0;
    for (const deadline = Date.now() + 120_000; all === null; await sleep(20)) {
      if (Date.now() > deadline) throw new Error('the tasks did not all come back');
      const n = runningSince(db, bootAt);
      if (n > 0 && first === null) first = Date.now() - bootAt;
      if (n >= tasks) all = Date.now() - bootAt;
      peakLoad = Math.max(peakLoad, loadavg()[0]!);
    }
    const starts = (
      db.prepare(`SELECT at FROM events WHERE type = 'restarted' AND at >= ? ORDER BY at`).all(bootAt) as {
        at: number;
      }[]
    ).map((r) => r.at - bootAt);
    db.close();
    process.stdout.write(
      `${JSON.stringify({
        tasks,
        agents,
        commands: tasks - agents,
        bootStagger: stagger,
        firstRunningMs: first,
        allRunningMs: all,
        restartedAtMs: starts,
        loadavg1Before: loadBefore,
        loadavg1Peak: peakLoad,
        loadavg1After: loadavg()[0],
        cores: cpus().length,
      })}\n`,
    );
  } catch (error) {
    killAll();
    process.stderr.write(`bench: ${String(error)}; the home is kept: ${home}\n`);
    process.exitCode = 1;
    return;
  }
  killAll();
  rmSync(home, { recursive: true, force: true });
}

await main();
