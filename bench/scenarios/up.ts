import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ExecResult, exec, mapLimit } from '../lib/exec.js';
import { HF_CONCURRENCY, SLEEP } from '../lib/fleet.js';
import { HOLDFAST_BIN, HoldfastHome } from '../lib/holdfast.js';
import { loadAverage, loadRow } from '../lib/load.js';
import { Pm2Home } from '../lib/pm2.js';
import { childrenRunning, grandchildrenRunning } from '../lib/proc.js';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/scenario.js';
import { medP99, minMedMax, type Summary, summarize } from '../lib/stats.js';
import { nowMs, poll } from '../lib/time.js';

const DEFAULT_TASKS = 200;
/** Issue 13's goal for `up` with nothing changed, 200 tasks. */
const UNCHANGED_GOAL_MS = 150;
/** Its own argument, so that no other bench's `sleep` can be counted as one of these tasks. */
const SECONDS = '10000';
const ARGV = ['sleep', SECONDS];

/** How long one start of `n` tasks may take on a loaded 2-core machine, call and processes each. */
const budgetMs = (n: number) => 60_000 + 200 * n;

/** The holdfast.yaml of `names`: each `sleep 10000`, restarted always (as pm2's autorestart). */
function fleetYaml(names: readonly string[]): string {
  const entries = names.map((n) => `  ${n}:\n    command: [sleep, "${SECONDS}"]\n    restart: always\n`);
  return `tasks:\n${entries.join('')}`;
}

/** Polls until the store says all `n` run and the tmux server has all `n` sleeps as its panes' children. */
async function allHoldfastRunning(hf: HoldfastHome, n: number): Promise<number[]> {
  const server = hf.serverPid();
  const running = hf.db.prepare("SELECT count(*) AS c FROM tasks WHERE state = 'running'");
  return poll(
    `${n} running holdfast tasks`,
    () => {
      if ((running.get() as { c: number }).c !== n) return undefined;
      const pids = grandchildrenRunning(server, ARGV);
      return pids.length === n ? pids : undefined;
    },
    { timeoutMs: budgetMs(n), intervalMs: 20 },
  );
}

interface StartTimes {
  /** Wall time of the one CLI call (spawn to exit). */
  callMs: number;
  /** From the call's spawn until all the tasks' processes run. */
  allRunningMs: number;
}

/** `pm2 start ecosystem.config.cjs` of the same apps in a fresh PM2_HOME (its God started by the call). */
async function pm2Start(names: readonly string[]): Promise<StartTimes> {
  const pm2 = new Pm2Home();
  try {
    const start = nowMs();
    const result = await pm2.start(names.map((name) => ({ name, script: SLEEP, args: [SECONDS] })));
    await poll(
      `${names.length} running pm2 apps`,
      () => {
        const god = pm2.godPid();
        return god !== null && childrenRunning(god, [SLEEP, SECONDS]).length === names.length
          ? true
          : undefined;
      },
      { timeoutMs: budgetMs(names.length), intervalMs: 20 },
    );
    return { callMs: result.ms, allRunningMs: nowMs() - start };
  } finally {
    pm2.dispose();
  }
}

interface Unchanged {
  up: number[];
  dryRun: number[];
  nodeFloor: number[];
}

/**
 * `holdfast up -f holdfast.yaml` in a fresh HOLDFAST_HOME. With `daemonFirst`, `holdfast daemon
 * start` runs before (untimed), else the call starts the daemon itself as pm2's call starts its God.
 * With `unchanged`, the same file is then applied again that many times (and `--dry-run` as often).
 */
async function holdfastUp(
  ctx: BenchContext,
  names: readonly string[],
  options: { daemonFirst: boolean; unchanged: { reps: number; warmup: number } | null },
): Promise<StartTimes & { unchanged: Unchanged | null }> {
  const hf = new HoldfastHome();
  try {
    const file = join(hf.dir, 'holdfast.yaml');
    writeFileSync(file, fleetYaml(names));
    const up = (extra: readonly string[] = []): Promise<ExecResult> =>
      exec(process.execPath, [HOLDFAST_BIN, 'up', '-f', file, ...extra], {
        env: hf.env,
        cwd: hf.dir,
        timeoutMs: budgetMs(names.length),
      });
    const ok = (what: string, r: ExecResult) => {
      if (r.code !== 0) throw new Error(`holdfast ${what} exited ${r.code}: ${r.stderr}`);
      return r;
    };
    if (options.daemonFirst) {
      await hf.cliOk(['daemon', 'start']);
      await hf.waitForDaemon();
    }
    const start = nowMs();
    const result = ok('up', await up());
    const pids = await allHoldfastRunning(hf, names.length);
    const allRunningMs = nowMs() - start;
    const daemon = await hf.waitForDaemon();
    if (options.unchanged === null) return { callMs: result.ms, allRunningMs, unchanged: null };

    const { reps, warmup } = options.unchanged;
    ctx.log(`up: ${reps} × \`holdfast up\` and \`up --dry-run\` with nothing changed, ${names.length} tasks`);
    const unchanged: Unchanged = { up: [], dryRun: [], nodeFloor: [] };
    for (let i = 0; i < reps + warmup; i++) {
      // The first call also checks what was done: nothing at all.
      const a = ok('up', await up(i === 0 ? ['--json'] : []));
      const b = ok('up --dry-run', await up(['--dry-run']));
      // The floor of any Node CLI here, in the same environment (as the ls scenario measures it).
      const c = await exec(process.execPath, ['-e', '0'], { env: hf.env });
      if (i === 0) {
        const done = JSON.parse(a.stdout) as { steps: { action: string }[]; failed: number };
        const other = done.steps.filter((s) => s.action !== 'unchanged');
        if (done.steps.length !== names.length || other.length > 0 || done.failed !== 0)
          throw new Error(
            `up of an unchanged file did ${JSON.stringify(other.slice(0, 3))} (${done.steps.length} steps)`,
          );
      }
      if (i < warmup) continue;
      unchanged.up.push(a.ms);
      unchanged.dryRun.push(b.ms);
      unchanged.nodeFloor.push(c.ms);
    }
    // Nothing restarted: the same processes, one run each, and the same daemon.
    const after = await allHoldfastRunning(hf, names.length);
    const runs = (hf.db.prepare('SELECT count(*) AS c FROM runs').get() as { c: number }).c;
    const same = after.length === pids.length && after.every((p) => pids.includes(p));
    if (!same || runs !== names.length || hf.daemonPid() !== daemon)
      throw new Error(`unchanged up touched the tasks: ${runs} runs, same processes ${same}`);
    return { callMs: result.ms, allRunningMs, unchanged };
  } finally {
    hf.dispose();
  }
}

/** Today's way: a `holdfast run` per task, as many at a time as the shared fleet makes them. */
async function holdfastRuns(names: readonly string[]): Promise<StartTimes & { perCallMs: number[] }> {
  const hf = new HoldfastHome();
  try {
    const start = nowMs();
    const calls = await mapLimit(names, HF_CONCURRENCY, (name) =>
      hf.cliOk(['run', '--name', name, '--restart', 'always', '--', ...ARGV]),
    );
    const callMs = nowMs() - start;
    await allHoldfastRunning(hf, names.length);
    const allRunningMs = nowMs() - start;
    await hf.waitForDaemon();
    return { callMs, allRunningMs, perCallMs: calls.map((c) => Math.round(c.ms)) };
  } finally {
    hf.dispose();
  }
}

const seconds = (s: Summary | null) => minMedMax(s ? scale(s, 1 / 1000) : null, 's', 2);
const scale = (s: Summary, k: number): Summary => ({
  n: s.n,
  min: s.min * k,
  median: s.median * k,
  p99: s.p99 * k,
  max: s.max * k,
  mean: s.mean * k,
});
/** holdfast's median against pm2's: below 1 is faster. */
const ratio = (hf: Summary | null, pm2: Summary | null) =>
  hf && pm2 ? `${(hf.median / pm2.median).toFixed(2)}× pm2` : 'n/a';

/**
 * `holdfast up` of one file of N tasks beside `pm2 start ecosystem.config.cjs` of the same N apps,
 * each in a fresh home, one side at a time (the other torn down, so neither runs beside the other's
 * tasks), alternating which goes first; then today's N × `holdfast run`, and `up` of the unchanged file.
 */
export const up: Scenario = {
  name: 'up',
  title: 'start 200 tasks from one file: holdfast up against pm2 start ecosystem',
  async run(ctx): Promise<ScenarioResult> {
    const loadStart = loadAverage();
    const size = ctx.upTasks ?? DEFAULT_TASKS;
    const rounds = ctx.quick ? 1 : 3;
    const unchangedReps = ctx.quick ? 5 : 10;
    const warmup = 2;
    const width = Math.max(3, String(size - 1).length);
    const names = Array.from({ length: size }, (_, i) => `t${String(i).padStart(width, '0')}`);
    const samples = {
      upFresh: [] as StartTimes[],
      upDaemonFirst: [] as StartTimes[],
      pm2: [] as StartTimes[],
    };
    const measured: { unchanged: Unchanged | null } = { unchanged: null };
    for (let round = 0; round < rounds; round++) {
      ctx.log(`up: round ${round + 1}/${rounds}, ${size} tasks: holdfast up (twice) and pm2 start ecosystem`);
      const sides = [
        async () => {
          const r = await holdfastUp(ctx, names, {
            daemonFirst: false,
            unchanged: round === 0 ? { reps: unchangedReps, warmup } : null,
          });
          samples.upFresh.push({ callMs: r.callMs, allRunningMs: r.allRunningMs });
          measured.unchanged ??= r.unchanged;
        },
        async () => {
          samples.upDaemonFirst.push(await holdfastUp(ctx, names, { daemonFirst: true, unchanged: null }));
        },
        async () => {
          samples.pm2.push(await pm2Start(names));
        },
      ];
      // Each side goes first in one round of three, so a trend in the machine's load spreads over all.
      for (let i = 0; i < sides.length; i++) await sides[(i + round) % sides.length]!();
    }
    ctx.log(`up: ${size} × holdfast run, ${HF_CONCURRENCY} at a time`);
    const runs = await holdfastRuns(names);
    const loadEnd = loadAverage();

    const call = (k: keyof typeof samples) => summarize(samples[k].map((s) => s.callMs));
    const all = (k: keyof typeof samples) => summarize(samples[k].map((s) => s.allRunningMs));
    const u = measured.unchanged;
    const s = {
      call: { upFresh: call('upFresh'), upDaemonFirst: call('upDaemonFirst'), pm2: call('pm2') },
      allRunning: { upFresh: all('upFresh'), upDaemonFirst: all('upDaemonFirst'), pm2: all('pm2') },
      runs: { call: summarize([runs.callMs]), allRunning: summarize([runs.allRunningMs]) },
      unchanged: {
        up: summarize(u?.up ?? []),
        dryRun: summarize(u?.dryRun ?? []),
        nodeFloor: summarize(u?.nodeFloor ?? []),
      },
    };
    const goal = s.unchanged.up
      ? s.unchanged.up.median <= UNCHANGED_GOAL_MS
        ? 'met'
        : `missed (${(s.unchanged.up.median / UNCHANGED_GOAL_MS).toFixed(1)}× the goal)`
      : 'n/a';
    const goalFor = size === DEFAULT_TASKS ? '' : ` (set for ${DEFAULT_TASKS} tasks)`;
    const ecosystem = `\`pm2 start ecosystem.config.cjs\`, ${size} apps`;
    const n = `min – med – max, n=${rounds}`;
    return {
      rows: [
        {
          metric: `\`holdfast up\` of ${size} tasks, fresh homes (the call starts the daemon, as pm2's starts its God): wall time of the call, ${n}`,
          holdfast: `${seconds(s.call.upFresh)} (${ratio(s.call.upFresh, s.call.pm2)})`,
          peer: ecosystem,
          peerValue: seconds(s.call.pm2),
        },
        {
          metric: `  the same, until all ${size} processes run`,
          holdfast: `${seconds(s.allRunning.upFresh)} (${ratio(s.allRunning.upFresh, s.allRunning.pm2)})`,
          peer: ecosystem,
          peerValue: seconds(s.allRunning.pm2),
        },
        {
          metric: `\`holdfast up\` of ${size} tasks, fresh home, daemon started before (untimed): wall time of the call, ${n}`,
          holdfast: `${seconds(s.call.upDaemonFirst)} (${ratio(s.call.upDaemonFirst, s.call.pm2)})`,
          peer: ecosystem,
          peerValue: seconds(s.call.pm2),
        },
        {
          metric: `  the same, until all ${size} processes run`,
          holdfast: `${seconds(s.allRunning.upDaemonFirst)} (${ratio(s.allRunning.upDaemonFirst, s.allRunning.pm2)})`,
          peer: ecosystem,
          peerValue: seconds(s.allRunning.pm2),
        },
        {
          metric: `today: ${size} × \`holdfast run\`, ${HF_CONCURRENCY} at a time, fresh home: until the last call exits, n=1`,
          holdfast: `${(runs.callMs / 1000).toFixed(2)} s (${ratio(s.runs.call, s.call.pm2)}; ${medP99(summarize(runs.perCallMs), 'ms', 0)} each)`,
          peer: ecosystem,
          peerValue: `${((s.call.pm2?.median ?? Number.NaN) / 1000).toFixed(2)} s (median)`,
        },
        {
          metric: `\`holdfast up\`, file unchanged, ${size} tasks running: median / p99, n=${unchangedReps}`,
          holdfast: medP99(s.unchanged.up, 'ms', 0),
          peer: `goal ≤ ${UNCHANGED_GOAL_MS} ms (issue 13)${goalFor}`,
          peerValue: goal,
        },
        {
          metric: `\`holdfast up --dry-run\`, file unchanged, ${size} tasks: median / p99, n=${unchangedReps}`,
          holdfast: medP99(s.unchanged.dryRun, 'ms', 0),
          peer: '`node -e 0` (floor of any Node CLI)',
          peerValue: medP99(s.unchanged.nodeFloor, 'ms', 0),
        },
        loadRow(loadStart, loadEnd),
      ],
      data: {
        tasks: size,
        rounds,
        unchangedReps,
        warmup,
        holdfastRunConcurrency: HF_CONCURRENCY,
        loadavgStart: loadStart,
        loadavgEnd: loadEnd,
        summary: s,
        samples: { ...samples, runs, unchanged: u },
      },
    };
  },
};
