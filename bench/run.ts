/**
 * holdfast's benchmarks, each beside its peer (pm2 7.0.4, or a bare tmux pane) in the same run.
 *
 *   npm run bench                       the full suite (~7 min on 2 cores, plus the dashboard's 10 min memory window)
 *   npm run bench -- --quick            fewer repetitions, shorter windows (a smoke check, ~2 min)
 *   npm run bench -- --only death,ls    a subset: death, ls, up, idle, log, daemon-kill, delivery, signals,
 *                                       freshness, reboot, scale, dashboard
 *   npm run bench -- --kills 1000       the death scenario with that many kills
 *   npm run bench -- --only up --up-tasks 1000
 *                                       the up scenario with that many tasks (default 200)
 *   npm run bench -- --only scale --scale-tasks 500
 *                                       the scale scenario with that many tasks a side (default 1000)
 *   npm run bench -- --only soak [--soak-minutes 60]
 *                                       a task dying every second among 200 idle for an hour (only when
 *                                       named: RSS and open descriptors at the window's start and end)
 *   npm run bench -- --only dashboard --dashboard-minutes 60
 *                                       the dashboard's memory window that long (default 10, 2 quick)
 *
 * Prints a table on stdout (progress goes to stderr) and writes bench/results/<timestamp>.json and
 * bench/results/latest.json. Everything runs in private temp homes that are removed at the end.
 */
import { execFileSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { startCleanupGuards } from './lib/cleanup.js';
import { createFleet, type Fleet } from './lib/fleet.js';
import { PM2_VERSION } from './lib/pm2.js';
import { writeResults } from './lib/results.js';
import type { BenchContext, Scenario, ScenarioResult } from './lib/scenario.js';
import { renderTable } from './lib/table.js';
import { nowMs } from './lib/time.js';
import { daemonKill } from './scenarios/daemon-kill.js';
import { dashboard } from './scenarios/dashboard.js';
import { death } from './scenarios/death.js';
import { delivery } from './scenarios/delivery.js';
import { freshness } from './scenarios/freshness.js';
import { idle } from './scenarios/idle.js';
import { logCapture } from './scenarios/log-capture.js';
import { ls } from './scenarios/ls.js';
import { reboot } from './scenarios/reboot.js';
import { scale } from './scenarios/scale.js';
import { signals } from './scenarios/signals.js';
import { soak } from './scenarios/soak.js';
import { up } from './scenarios/up.js';

const SCENARIOS: readonly Scenario[] = [
  death,
  ls,
  up,
  idle,
  logCapture,
  daemonKill,
  delivery,
  signals,
  freshness,
  reboot,
  scale,
  dashboard,
  soak,
];
const FLEET_SIZE = 200;

interface Args {
  quick: boolean;
  only: string[] | null;
  kills: number | null;
  dashboardMinutes: number | null;
  upTasks: number | null;
  scaleTasks: number | null;
  soakMinutes: number | null;
}

function parseArgs(argv: readonly string[]): Args {
  let quick = false;
  let only: string[] | null = null;
  let kills: number | null = null;
  let dashboardMinutes: number | null = null;
  let upTasks: number | null = null;
  let scaleTasks: number | null = null;
  let soakMinutes: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') quick = true;
    else if (arg === '--kills') {
      kills = Number(argv[++i]);
      if (!Number.isInteger(kills) || kills < 1) {
        process.stderr.write('bench: --kills takes a whole number of kills\n');
        process.exit(2);
      }
    } else if (arg === '--dashboard-minutes') {
      dashboardMinutes = Number(argv[++i]);
      if (!Number.isFinite(dashboardMinutes) || dashboardMinutes < 1) {
        process.stderr.write('bench: --dashboard-minutes takes a number of minutes, 1 or more\n');
        process.exit(2);
      }
    } else if (arg === '--up-tasks') {
      upTasks = Number(argv[++i]);
      if (!Number.isInteger(upTasks) || upTasks < 1) {
        process.stderr.write('bench: --up-tasks takes a whole number of tasks\n');
        process.exit(2);
      }
    } else if (arg === '--scale-tasks') {
      scaleTasks = Number(argv[++i]);
      if (!Number.isInteger(scaleTasks) || scaleTasks < 1) {
        process.stderr.write('bench: --scale-tasks takes a whole number of tasks\n');
        process.exit(2);
      }
    } else if (arg === '--soak-minutes') {
      soakMinutes = Number(argv[++i]);
      if (!Number.isFinite(soakMinutes) || soakMinutes < 1) {
        process.stderr.write('bench: --soak-minutes takes a number of minutes, 1 or more\n');
        process.exit(2);
      }
    } else if (arg === '--only' || arg.startsWith('--only=')) {
      const value = arg === '--only' ? argv[++i] : arg.slice('--only='.length);
      only = (value ?? '').split(',').filter(Boolean);
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(
        `usage: npm run bench -- [--quick] [--kills N] [--dashboard-minutes M] [--up-tasks N] [--scale-tasks N] [--soak-minutes M] [--only ${SCENARIOS.map((s) => s.name).join(',')}]\n`,
      );
      process.exit(0);
    } else {
      process.stderr.write(`bench: unknown argument ${arg}\n`);
      process.exit(2);
    }
  }
  const unknown = only?.filter((n) => !SCENARIOS.some((s) => s.name === n)) ?? [];
  if (unknown.length > 0) {
    process.stderr.write(
      `bench: unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}\n`,
    );
    process.exit(2);
  }
  return { quick, only, kills, dashboardMinutes, upTasks, scaleTasks, soakMinutes };
}

function environment() {
  const tmux = execFileSync('tmux', ['-V'], { encoding: 'utf8' }).trim();
  return {
    node: process.version,
    tmux,
    pm2: PM2_VERSION,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? null,
    nodeExtraCaCerts: process.env.NODE_EXTRA_CA_CERTS ? 'set' : 'unset',
    /** Other work on the machine skews every figure: recorded at the start and at the end. */
    loadavgStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

async function main(): Promise<number> {
  const { quick, only, kills, dashboardMinutes, upTasks, scaleTasks, soakMinutes } = parseArgs(
    process.argv.slice(2),
  );
  const cleanupAll = startCleanupGuards();
  const selected = SCENARIOS.filter((s) => (only === null ? !s.onlyWhenNamed : only.includes(s.name)));
  const log = (m: string) => process.stderr.write(`bench: ${m}\n`);
  const env = environment();
  log(
    `${quick ? 'quick' : 'full'} run: ${selected.map((s) => s.name).join(', ')} ` +
      `(node ${env.node}, ${env.tmux}, pm2 ${env.pm2}, ${env.cpus} cpus, NODE_EXTRA_CA_CERTS ${env.nodeExtraCaCerts})`,
  );

  const shared: { fleet: Promise<Fleet> | null } = { fleet: null };
  const lastFleetUser = selected.filter((s) => s.usesFleet).at(-1);
  const ctx: BenchContext = {
    quick,
    kills,
    dashboardMinutes,
    upTasks,
    scaleTasks,
    soakMinutes,
    log,
    fleet: () => {
      shared.fleet ??= createFleet(FLEET_SIZE, log);
      return shared.fleet;
    },
  };

  const startedAt = new Date();
  const begin = nowMs();
  const results: Record<string, ScenarioResult | { error: string }> = {};
  let failed = false;
  try {
    for (const scenario of selected) {
      const t = nowMs();
      try {
        results[scenario.name] = await scenario.run(ctx);
      } catch (error) {
        failed = true;
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        log(`${scenario.name} failed: ${message}`);
        results[scenario.name] = { error: message };
      } finally {
        if (scenario === lastFleetUser && shared.fleet) {
          (await shared.fleet.catch(() => null))?.dispose();
          shared.fleet = null;
        }
      }
      log(`${scenario.name} done in ${((nowMs() - t) / 1000).toFixed(1)} s`);
    }
  } finally {
    cleanupAll();
  }

  const durationS = Math.round((nowMs() - begin) / 100) / 10;
  const loadavgEnd = loadavg().map((l) => Math.round(l * 100) / 100);
  process.stdout.write(renderTable(selected, results));
  process.stdout.write(
    `\n${quick ? 'quick' : 'full'} run, ${durationS} s; node ${env.node}, ${env.tmux}, pm2 ${env.pm2}, ` +
      `${env.cpus} cpus; NODE_EXTRA_CA_CERTS ${env.nodeExtraCaCerts} for both sides; ` +
      `load average ${env.loadavgStart.join(' ')} at the start, ${loadavgEnd.join(' ')} at the end\n`,
  );
  const file = writeResults({
    startedAt: startedAt.toISOString(),
    durationS,
    quick,
    only,
    environment: env,
    results,
  });
  process.stdout.write(`results: ${file}\n`);
  return failed ? 1 : 0;
}

process.exitCode = await main();
