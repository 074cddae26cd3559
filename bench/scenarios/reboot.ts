import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { mapLimit } from '../lib/exec.js';
import { SLEEP } from '../lib/fleet.js';
import { HOLDFAST_BIN, HoldfastHome } from '../lib/holdfast.js';
import { Pm2Home } from '../lib/pm2.js';
import { childrenOf, isAlive, killQuietly, processesWithEnv } from '../lib/proc.js';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/scenario.js';
import { type Summary, summarize } from '../lib/stats.js';
import { ROOT } from '../lib/teardown.js';
import { nowMs, poll, sleep } from '../lib/time.js';

/**
 * A simulated power cut: N tasks running (fake headless claude agents that work until killed, and
 * plain commands), then every process of the home SIGKILLed by pid, then only what a boot unit runs.
 * holdfast: `holdfast daemon run --no-watchdog` (what `holdfast startup` writes), which finds no
 * tmux server and starts again what the cut cut short, agents resuming their sessions. pm2: the same
 * N processes (`pm2 start`, `pm2 save`), the God and every app SIGKILLed, then `pm2 resurrect` (what
 * `pm2 startup` writes). Each measured from the spawn of that one command.
 */
const TASKS = 12;
const AGENTS = 8;
const STAGGERS = ['500ms', '0'] as const;
type Stagger = (typeof STAGGERS)[number];
const TIMEOUT_MS = 60_000;
/** After every task is back: the agents have said their first words and the load of starting them passed. */
const SETTLE_MS = 2000;

const FAKE_BIN = join(ROOT, 'test', 'fixtures', 'fake-agent', 'bin');
/** Each fake agent says one line, then works until it is killed. */
const FAKE_SCENARIO = JSON.stringify({ default: { steps: [{ say: 'working' }, { hang: true }] } });
const COMMAND = [SLEEP, '600'];
const AGENT_ARGS = '-p work --output-format stream-json --verbose';

interface BootSample {
  /** From the spawn of the boot command to the first task running again, ms. */
  first: number;
  /** …to every task running again. */
  all: number;
  /** 1-minute load average just before the boot. */
  load: number;
}

const round = (ms: number) => Math.round(ms);

/** Fake-agent invocations recorded at or after `since` (epoch ms) in `stateDir`, and how many resumed. */
function invocations(stateDir: string, since: number): { runs: number; resumed: number } {
  let text = '';
  try {
    text = readFileSync(join(stateDir, 'invocations.jsonl'), 'utf8');
  } catch {
    return { runs: 0, resumed: 0 };
  }
  let runs = 0;
  let resumed = 0;
  for (const line of text.split('\n')) {
    if (!line) continue;
    const record = JSON.parse(line) as { kind: string; at: number; resumed: boolean };
    if (record.kind !== 'run' || record.at < since) continue;
    runs++;
    if (record.resumed) resumed++;
  }
  return { runs, resumed };
}

/** SIGKILLs every process until none is left: a first pass can miss children forked meanwhile. */
function killUntilGone(what: string, list: () => number[]): void {
  for (let pass = 0; pass < 20; pass++) {
    const left = list().filter(isAlive);
    if (left.length === 0) return;
    for (const pid of left) killQuietly(pid);
  }
  const left = list().filter(isAlive);
  if (left.length > 0) throw new Error(`${what}: ${left.join(' ')} still alive after the power cut`);
}

class HoldfastSide {
  readonly hf = new HoldfastHome();
  readonly state = join(this.hf.dir, 'fake');

  constructor() {
    Object.assign(this.hf.env, {
      PATH: `${FAKE_BIN}:${process.env.PATH}`,
      FAKE_AGENT_STATE: this.state,
      FAKE_AGENT_SCENARIO: FAKE_SCENARIO,
    });
  }

  async create(): Promise<void> {
    const t0 = nowMs();
    await mapLimit(
      Array.from({ length: TASKS }, (_, i) => i),
      3,
      (i) =>
        this.hf.cliOk(
          i < AGENTS
            ? ['run', '--name', `agent-${i}`, '--agent', 'claude', '--prompt', 'work']
            : ['run', '--name', `cmd-${i}`, '--restart', 'always', '--', ...COMMAND],
        ),
    );
    await this.waitAllRunning(0, t0);
  }

  /** Tasks whose current run started at or after `since`, is open, and whose own process is alive. */
  running(since: number): number {
    const rows = this.hf.db
      .prepare(
        `SELECT r.task_pid AS pid FROM tasks t JOIN runs r ON r.id = t.current_run_id
         WHERE r.ended_at IS NULL AND r.task_pid IS NOT NULL AND r.started_at >= ?`,
      )
      .all(Math.floor(since)) as { pid: number }[];
    return rows.filter((r) => isAlive(r.pid)).length;
  }

  /** Every task running and every agent's invocation recorded (its session exists to be resumed). */
  private async waitAllRunning(since: number, t0: number): Promise<void> {
    await poll(
      `all ${TASKS} holdfast tasks running`,
      () => (this.running(since) === TASKS && invocations(this.state, t0).runs >= AGENTS ? true : undefined),
      { timeoutMs: TIMEOUT_MS, intervalMs: 50 },
    );
  }

  /** The watchdog (else it starts a daemon again), the daemon, the tmux server, then whatever is left. */
  powerCut(): void {
    const tmuxPid = (args: string[]) => {
      try {
        // `display-message -t` of a missing session prints an empty line and exits 0: never kill pid 0.
        const pid = Number(this.hf.tmux(['display-message', '-p', ...args]).trim());
        if (pid > 0) killQuietly(pid);
      } catch {
        // no server
      }
    };
    tmuxPid(['-t', '=_holdfast-watchdog:', '#{pane_pid}']);
    const daemon = this.hf.daemonPid();
    if (daemon !== null) killQuietly(daemon);
    tmuxPid(['#{pid}']);
    killUntilGone('holdfast', () => processesWithEnv('HOLDFAST_HOME', this.hf.dir));
  }

  async boot(stagger: Stagger): Promise<BootSample & { resumed: number; restartedAtMs: number[] }> {
    const load = loadavg()[0]!;
    const log = openSync(join(this.hf.dir, 'daemon.log'), 'a');
    const t0 = nowMs();
    // As a boot unit starts it: its own environment only, its output to a file (never the bench's
    // pipes, which a daemon left running would hold open).
    const daemon = spawn(
      process.execPath,
      [HOLDFAST_BIN, 'daemon', 'run', '--no-watchdog', '--boot-stagger', stagger],
      {
        env: { HOLDFAST_HOME: this.hf.dir, PATH: this.hf.env.PATH!, HOME: process.env.HOME! },
        cwd: this.hf.dir,
        stdio: ['ignore', log, log],
        detached: true,
      },
    );
    closeSync(log);
    daemon.unref();
    let first: number | undefined;
    const all = await poll(
      `all ${TASKS} holdfast tasks running again (--boot-stagger ${stagger})`,
      () => {
        const n = this.running(t0);
        const t = nowMs() - t0;
        if (n > 0) first ??= t;
        return n === TASKS ? t : undefined;
      },
      { timeoutMs: TIMEOUT_MS, intervalMs: 10 },
    );
    await this.waitAllRunning(t0, t0);
    const restartedAtMs = (
      this.hf.db
        .prepare(`SELECT at FROM events WHERE type = 'restarted' AND at >= ? ORDER BY at`)
        .all(Math.floor(t0)) as { at: number }[]
    ).map((r) => round(r.at - t0));
    return { first: first!, all, load, resumed: invocations(this.state, t0).resumed, restartedAtMs };
  }

  dispose(): void {
    this.hf.dispose();
  }
}

class Pm2Side {
  readonly pm2 = new Pm2Home();
  readonly state = join(this.pm2.dir, 'fake');
  private pids: number[] = [];

  constructor() {
    // The apps' environment is the CLI's at `pm2 start`, kept by `pm2 save` for `pm2 resurrect`.
    Object.assign(this.pm2.env, { FAKE_AGENT_STATE: this.state, FAKE_AGENT_SCENARIO: FAKE_SCENARIO });
  }

  async create(): Promise<void> {
    const t0 = nowMs();
    await this.pm2.start(
      Array.from({ length: TASKS }, (_, i) =>
        i < AGENTS
          ? {
              name: `agent-${i}`,
              // pm2 gives an app a stdin that never ends, and the fake reads its prompt to EOF first.
              script: '/bin/sh',
              args: ['-c', `exec '${join(FAKE_BIN, 'claude')}' ${AGENT_ARGS} </dev/null`],
            }
          : { name: `cmd-${i}`, script: COMMAND[0]!, args: COMMAND.slice(1) },
      ),
    );
    this.pids = await this.waitAllOnline(null, t0);
    const saved = await this.pm2.cli(['save']);
    if (saved.code !== 0) throw new Error(`pm2 save exited ${saved.code}: ${saved.stderr}`);
  }

  /** The God's live children: its apps (fork mode, the script exec'd in place). */
  private appsAlive(god: number | null): number[] {
    return god !== null && isAlive(god) ? childrenOf(god).filter(isAlive) : [];
  }

  /** Every app `online` in `pm2 jlist`, its pid a live child of a God other than `notGod`. */
  private async waitAllOnline(notGod: number | null, t0: number): Promise<number[]> {
    return poll(
      `all ${TASKS} pm2 apps online`,
      async () => {
        const god = this.pm2.godPid();
        if (god === notGod) return undefined;
        const alive = this.appsAlive(god);
        if (alive.length < TASKS) return undefined;
        const list = await this.pm2.cli(['jlist']);
        if (list.code !== 0) return undefined;
        const apps = JSON.parse(list.stdout) as { pid: number; pm2_env: { status: string } }[];
        const online = apps.filter((a) => a.pm2_env.status === 'online' && alive.includes(a.pid));
        return online.length === TASKS && invocations(this.state, t0).runs >= AGENTS
          ? online.map((a) => a.pid)
          : undefined;
      },
      { timeoutMs: TIMEOUT_MS, intervalMs: 50 },
    );
  }

  powerCut(): void {
    const god = this.pm2.godPid();
    if (god !== null) killQuietly(god);
    for (const pid of this.pids) killQuietly(pid);
    killUntilGone('pm2', () => processesWithEnv('PM2_HOME', this.pm2.dir));
  }

  async boot(): Promise<BootSample & { resurrectExitMs: number }> {
    const load = loadavg()[0]!;
    const oldGod = this.pm2.godPid();
    const t0 = nowMs();
    const resurrect = this.pm2.cli(['resurrect']);
    let first: number | undefined;
    const all = await poll(
      `all ${TASKS} pm2 apps alive again`,
      () => {
        const god = this.pm2.godPid();
        const n = god === oldGod ? 0 : this.appsAlive(god).length;
        const t = nowMs() - t0;
        if (n > 0) first ??= t;
        return n >= TASKS ? t : undefined;
      },
      { timeoutMs: TIMEOUT_MS, intervalMs: 10 },
    );
    const exit = await resurrect;
    if (exit.code !== 0) throw new Error(`pm2 resurrect exited ${exit.code}: ${exit.stderr}`);
    // The figure counts only once pm2 itself says every app is online (checked here, after the fact).
    this.pids = await this.waitAllOnline(oldGod, t0);
    return { first: first!, all, load, resurrectExitMs: round(exit.ms) };
  }

  dispose(): void {
    this.pm2.dispose();
  }
}

const p50 = (s: Summary | null, unit = 'ms') =>
  s ? `${s.median.toFixed(0)} ${unit} (${s.min.toFixed(0)} – ${s.max.toFixed(0)})` : 'n/a';
const loads = (s: Summary | null) => (s ? `${s.min.toFixed(2)} – ${s.max.toFixed(2)}` : 'n/a');

async function measure(ctx: BenchContext, reps: number) {
  const hf = new HoldfastSide();
  const pm2 = new Pm2Side();
  try {
    ctx.log(`reboot: ${TASKS} holdfast tasks (${AGENTS} fake claude agents) and ${TASKS} pm2 apps`);
    await hf.create();
    await pm2.create();
    const samples: Record<Stagger, Awaited<ReturnType<HoldfastSide['boot']>>[]> = { '500ms': [], '0': [] };
    const pm2Samples: Awaited<ReturnType<Pm2Side['boot']>>[] = [];
    // Interleaved, so that the load of the machine drifting weighs on both alike.
    for (let i = 0; i < reps; i++) {
      for (const stagger of STAGGERS) {
        await sleep(SETTLE_MS);
        hf.powerCut();
        const sample = await hf.boot(stagger);
        ctx.log(
          `reboot: holdfast --boot-stagger ${stagger}: first ${round(sample.first)} ms, all ${round(sample.all)} ms, ` +
            `${sample.resumed}/${AGENTS} agents resumed, load ${sample.load.toFixed(2)}`,
        );
        samples[stagger].push(sample);
      }
      await sleep(SETTLE_MS);
      pm2.powerCut();
      const sample = await pm2.boot();
      ctx.log(
        `reboot: pm2 resurrect: first ${round(sample.first)} ms, all ${round(sample.all)} ms, ` +
          `resurrect exited after ${sample.resurrectExitMs} ms, load ${sample.load.toFixed(2)}`,
      );
      pm2Samples.push(sample);
    }
    return { samples, pm2Samples };
  } finally {
    pm2.dispose();
    hf.dispose();
  }
}

export const reboot: Scenario = {
  name: 'reboot',
  title: 'power cut → the boot unit’s one command → every task running again',
  async run(ctx): Promise<ScenarioResult> {
    const reps = ctx.quick ? 1 : 3;
    const { samples, pm2Samples } = await measure(ctx, reps);
    const of = (list: BootSample[], k: keyof BootSample) => summarize(list.map((x) => x[k]));
    const s = {
      holdfast: Object.fromEntries(
        STAGGERS.map((st) => [
          st,
          { first: of(samples[st], 'first'), all: of(samples[st], 'all'), load: of(samples[st], 'load') },
        ]),
      ) as Record<Stagger, { first: Summary | null; all: Summary | null; load: Summary | null }>,
      pm2: { first: of(pm2Samples, 'first'), all: of(pm2Samples, 'all'), load: of(pm2Samples, 'load') },
    };
    const hfLoad = summarize(STAGGERS.flatMap((st) => samples[st].map((x) => x.load)));
    const resumed = STAGGERS.flatMap((st) => samples[st].map((x) => x.resumed));
    return {
      rows: [
        {
          metric: `reboot: start → all ${TASKS} tasks running, --boot-stagger 500ms, p50 (min – max), n=${reps}`,
          holdfast: p50(s.holdfast['500ms'].all),
          peer: `\`pm2 resurrect\` → all ${TASKS} apps online`,
          peerValue: p50(s.pm2.all),
        },
        {
          metric: `… with --boot-stagger 0`,
          holdfast: p50(s.holdfast['0'].all),
          peer: '',
          peerValue: '',
        },
        {
          metric: 'reboot: start → first task running, --boot-stagger 500ms',
          holdfast: p50(s.holdfast['500ms'].first),
          peer: '`pm2 resurrect` → first app alive',
          peerValue: p50(s.pm2.first),
        },
        {
          metric: '… with --boot-stagger 0',
          holdfast: p50(s.holdfast['0'].first),
          peer: '',
          peerValue: '',
        },
        {
          metric: `agents that resumed their own session (of ${AGENTS} per boot)`,
          holdfast: `min ${Math.min(...resumed)}`,
          peer: 'pm2: started afresh',
          peerValue: '0',
        },
        {
          metric: 'load average (1 min) just before the boots, min – max',
          holdfast: loads(hfLoad),
          peer: 'pm2',
          peerValue: loads(s.pm2.load),
        },
      ],
      data: {
        tasks: TASKS,
        agents: AGENTS,
        commands: TASKS - AGENTS,
        reps,
        summary: s,
        samples: { holdfast: samples, pm2: pm2Samples },
      },
    };
  },
};
