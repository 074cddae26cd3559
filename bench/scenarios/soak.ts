import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from '../lib/exec.js';
import { SLEEP } from '../lib/fleet.js';
import { HOLDFAST_BIN, HoldfastHome } from '../lib/holdfast.js';
import { loadAverage, loadRow } from '../lib/load.js';
import { Pm2Home } from '../lib/pm2.js';
import { rssKiB } from '../lib/proc.js';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/scenario.js';
import { nowMs, poll, sleep } from '../lib/time.js';

const IDLE_TASKS = 200;
/** Its own argument, so that no other bench's `sleep` is one of these. */
const SECONDS = '10002';
/** How often RSS and open descriptors are sampled. */
const SAMPLE_MS = 10_000;
/** Issue 14's bound on growth over the soak. */
const GROWTH_GOAL_MIB = 5;

/** A task that dies every second: `sleep 1`, then exit 1, restarted at once, never given up on. */
const DYING = ['sh', '-c', 'sleep 1; exit 1'];

function fleetYaml(): string {
  const idle = Array.from(
    { length: IDLE_TASKS },
    (_, i) =>
      `  idle${String(i).padStart(3, '0')}:\n    command: [sleep, "${SECONDS}"]\n    restart: always\n`,
  );
  const dying = `  dying:\n    command: ${JSON.stringify(DYING)}\n    restart: always\n    backoff: 0s\n    crash-loop: 1000000/1m\n`;
  return `tasks:\n${idle.join('')}${dying}`;
}

function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return -1;
  }
}

interface Sample {
  atS: number;
  rssKiB: number;
  fds: number;
}

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(1)}`;

function describe(samples: readonly Sample[]) {
  const first = samples[0]!;
  const last = samples.at(-1)!;
  return {
    rssStartKiB: first.rssKiB,
    rssEndKiB: last.rssKiB,
    rssMaxKiB: Math.max(...samples.map((s) => s.rssKiB)),
    growthMiB: (last.rssKiB - first.rssKiB) / 1024,
    fdsStart: first.fds,
    fdsEnd: last.fds,
    fdsMax: Math.max(...samples.map((s) => s.fds)),
  };
}

/**
 * A long window with one task dying every second among 200 idle ones, holdfast and pm2 side by side:
 * the daemons' RSS and open descriptors at its start and its end. A leak shows as growth; a
 * descriptor left open per run shows as thousands more descriptors by the end.
 */
export const soak: Scenario = {
  name: 'soak',
  title: 'soak: a task dying every second among 200 idle, RSS and open descriptors over the window',
  onlyWhenNamed: true,
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const loadStart = loadAverage();
    const minutes = ctx.soakMinutes ?? (ctx.quick ? 2 : 60);
    const hf = new HoldfastHome();
    const pm2 = new Pm2Home();
    try {
      ctx.log(`soak: ${IDLE_TASKS} idle tasks and one dying every second, on each side, for ${minutes} min`);
      const file = join(hf.dir, 'holdfast.yaml');
      writeFileSync(file, fleetYaml());
      const up = await exec(process.execPath, [HOLDFAST_BIN, 'up', '-f', file], {
        env: hf.env,
        cwd: hf.dir,
        timeoutMs: 120_000,
      });
      if (up.code !== 0) throw new Error(`holdfast up exited ${up.code}: ${up.stderr}`);
      const daemon = await hf.waitForDaemon();
      await pm2.start([
        ...Array.from({ length: IDLE_TASKS }, (_, i) => ({
          name: `idle${i}`,
          script: SLEEP,
          args: [SECONDS],
        })),
        { name: 'dying', script: DYING[0]!, args: DYING.slice(1) },
      ]);
      const god = pm2.godPid();
      if (god === null) throw new Error('no pm2 God daemon');
      const running = hf.db.prepare("SELECT count(*) AS c FROM tasks WHERE state = 'running'");
      await poll('the holdfast fleet running', () =>
        (running.get() as { c: number }).c >= IDLE_TASKS ? true : undefined,
      );
      // A first minute settles both (caches, the first rotations) before the window starts.
      await sleep(ctx.quick ? 10_000 : 60_000);
      const runs = hf.db.prepare(
        "SELECT count(*) AS c FROM runs r JOIN tasks t ON t.id = r.task_id WHERE t.name = 'dying'",
      );
      const runs0 = (runs.get() as { c: number }).c;
      const samples = { holdfast: [] as Sample[], pm2: [] as Sample[] };
      const start = nowMs();
      const end = start + minutes * 60_000;
      for (let at = start; ; at += SAMPLE_MS) {
        await sleep(Math.max(0, at - nowMs()));
        const atS = (nowMs() - start) / 1000;
        const d = rssKiB(daemon);
        const g = rssKiB(god);
        if (d === null) throw new Error(`the holdfast daemon ${daemon} ended during the soak`);
        if (g === null) throw new Error(`the pm2 God ${god} ended during the soak`);
        samples.holdfast.push({ atS, rssKiB: d, fds: openFds(daemon) });
        samples.pm2.push({ atS, rssKiB: g, fds: openFds(god) });
        if (nowMs() >= end) break;
        if (samples.holdfast.length % 30 === 0)
          ctx.log(`soak: ${(atS / 60).toFixed(0)} min, daemon ${mib(d)}, God ${mib(g)}`);
      }
      const deaths = (runs.get() as { c: number }).c - runs0;
      const loadEnd = loadAverage();
      const h = describe(samples.holdfast);
      const p = describe(samples.pm2);
      const goal = h.growthMiB <= GROWTH_GOAL_MIB ? 'met' : 'missed';
      return {
        rows: [
          {
            metric: `RSS start → end of ${minutes} min (growth), a task dying every second, ${IDLE_TASKS} idle`,
            holdfast: `${mib(h.rssStartKiB)} → ${mib(h.rssEndKiB)} (${signed(h.growthMiB)} MiB; goal ≤ +${GROWTH_GOAL_MIB}: ${goal})`,
            peer: 'pm2 God daemon',
            peerValue: `${mib(p.rssStartKiB)} → ${mib(p.rssEndKiB)} (${signed(p.growthMiB)} MiB)`,
          },
          {
            metric: '  RSS max (sampled every 10 s)',
            holdfast: mib(h.rssMaxKiB),
            peer: 'pm2 God daemon',
            peerValue: mib(p.rssMaxKiB),
          },
          {
            metric: '  open descriptors start → end (max)',
            holdfast: `${h.fdsStart} → ${h.fdsEnd} (${h.fdsMax})`,
            peer: 'pm2 God daemon',
            peerValue: `${p.fdsStart} → ${p.fdsEnd} (${p.fdsMax})`,
          },
          {
            metric: '  runs of the dying task during the window',
            holdfast: String(deaths),
            peer: '',
            peerValue: '',
          },
          loadRow(loadStart, loadEnd),
        ],
        data: { minutes, idleTasks: IDLE_TASKS, deaths, holdfast: h, pm2: p, samples, loadStart, loadEnd },
      };
    } finally {
      pm2.dispose();
      hf.dispose();
    }
  },
};
