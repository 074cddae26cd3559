import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exec } from '../lib/exec.js';
import { SLEEP } from '../lib/fleet.js';
import { HOLDFAST_BIN, HoldfastHome } from '../lib/holdfast.js';
import { loadAverage, loadRow } from '../lib/load.js';
import { Pm2Home } from '../lib/pm2.js';
import { CLK_TCK, childrenOf, childrenRunning, cmdline, cpuTicks, isAlive, rssKiB } from '../lib/proc.js';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/scenario.js';
import { medP99, type Summary, summarize } from '../lib/stats.js';
import { nowMs, poll, pollSync, sleep, sleepSync, TimeoutError } from '../lib/time.js';

const DEFAULT_TASKS = 1000;
/** Its own argument, so that no other bench's `sleep` can be counted as one of these tasks. */
const SECONDS = '10001';
const ARGV = ['sleep', SECONDS];
const KILL_TIMEOUT_MS = 15_000;
const SEED = 1000;

/** How long starting `n` tasks may take on a loaded 2-core machine. */
const budgetMs = (n: number) => 60_000 + 200 * n;

/** A small seeded generator (mulberry32), so that every run kills the same tasks in the same order. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fleetYaml(names: readonly string[]): string {
  const entries = names.map(
    (n) =>
      `  ${n}:\n    command: [sleep, "${SECONDS}"]\n    restart: always\n    backoff: 0s\n    crash-loop: 1000000/1m\n`,
  );
  return `tasks:\n${entries.join('')}`;
}

/**
 * A new process running ARGV under one of `parent`'s children that is not in `known`: a holdfast
 * task is the child of its pane's process, which a respawn makes anew. Only new children are looked
 * into, so one look costs two reads however many tasks run.
 */
function newGrandchild(parent: number, known: ReadonlySet<number>): number | undefined {
  for (const child of childrenOf(parent)) {
    if (known.has(child)) continue;
    const task = childrenRunning(child, ARGV)[0];
    if (task !== undefined) return task;
  }
  return undefined;
}

function newChild(parent: number, known: ReadonlySet<number>, argv: readonly string[]): number | undefined {
  return childrenOf(parent).find((pid) => {
    if (known.has(pid)) return false;
    const args = cmdline(pid);
    return args.length === argv.length && args.every((a, i) => a === argv[i]) && isAlive(pid);
  });
}

interface Watch {
  pid: number;
  ticks0: number;
  maxRssKiB: number;
}

const startWatch = (pid: number): Watch => ({ pid, ticks0: cpuTicks(pid) ?? 0, maxRssKiB: rssKiB(pid) ?? 0 });

const mib = (kib: number) => `${(kib / 1024).toFixed(1)} MiB`;
const ratio = (a: Summary | null, b: Summary | null) =>
  a && b ? ` (${(a.median / b.median).toFixed(2)}×)` : '';

/**
 * 1,000 tasks on this machine, holdfast and pm2 side by side: both fleets run at once (as the shared
 * 200-task fleet does), so each figure of one side is taken under the other's idle load too.
 */
export const scale: Scenario = {
  name: 'scale',
  title: '1,000 tasks: up, ls --json, detection, idle CPU and RSS, beside pm2 with 1,000 apps',
  async run(ctx: BenchContext): Promise<ScenarioResult> {
    const loadStart = loadAverage();
    const size = ctx.scaleTasks ?? DEFAULT_TASKS;
    const lsReps = ctx.quick ? 3 : 10;
    const kills = ctx.quick ? 10 : 30;
    const idleSeconds = ctx.quick ? 10 : 30;
    const width = String(size - 1).length;
    const names = Array.from({ length: size }, (_, i) => `s${String(i).padStart(width, '0')}`);
    const hf = new HoldfastHome();
    const pm2 = new Pm2Home();
    try {
      // Start: holdfast's `up` (its call starts the daemon, as pm2's starts its God).
      ctx.log(`scale: holdfast up of ${size} tasks`);
      const file = join(hf.dir, 'holdfast.yaml');
      writeFileSync(file, fleetYaml(names));
      const t0 = nowMs();
      const upCall = await exec(process.execPath, [HOLDFAST_BIN, 'up', '-f', file], {
        env: hf.env,
        cwd: hf.dir,
        timeoutMs: budgetMs(size),
      });
      if (upCall.code !== 0) throw new Error(`holdfast up exited ${upCall.code}: ${upCall.stderr}`);
      const running = hf.db.prepare("SELECT count(*) AS c FROM tasks WHERE state = 'running'");
      const server = hf.serverPid();
      await poll(
        `${size} running holdfast tasks`,
        () => {
          if ((running.get() as { c: number }).c !== size) return undefined;
          const n = childrenOf(server).reduce((sum, pane) => sum + childrenRunning(pane, ARGV).length, 0);
          return n === size ? true : undefined;
        },
        { timeoutMs: budgetMs(size), intervalMs: 100 },
      );
      const hfUp = { callMs: upCall.ms, allRunningMs: nowMs() - t0 };
      const daemon = await hf.waitForDaemon();

      ctx.log(`scale: pm2 start of ${size} apps from one ecosystem file`);
      const t1 = nowMs();
      const pmCall = await pm2.start(names.map((name) => ({ name, script: SLEEP, args: [SECONDS] })));
      const pm2Argv = [SLEEP, SECONDS];
      await poll(
        `${size} running pm2 apps`,
        () => {
          const god = pm2.godPid();
          return god !== null && childrenRunning(god, pm2Argv).length === size ? true : undefined;
        },
        { timeoutMs: budgetMs(size), intervalMs: 100 },
      );
      const pmUp = { callMs: pmCall.ms, allRunningMs: nowMs() - t1 };
      const god = pm2.godPid()!;

      ctx.log(`scale: ${lsReps} × holdfast ls --json and pm2 jlist with ${size} each`);
      const lsMs = { holdfast: [] as number[], pm2: [] as number[] };
      for (let i = 0; i < lsReps + 1; i++) {
        const a = await hf.cli(['ls', '--json']);
        const b = await pm2.cli(['jlist']);
        if (i === 0) {
          const counts = [
            (JSON.parse(a.stdout) as unknown[]).length,
            (JSON.parse(b.stdout) as unknown[]).length,
          ];
          if (counts[0] !== size || counts[1] !== size)
            throw new Error(`listing returned ${counts[0]} (holdfast) and ${counts[1]} (pm2) of ${size}`);
          continue;
        }
        lsMs.holdfast.push(a.ms);
        lsMs.pm2.push(b.ms);
      }

      ctx.log(`scale: ${idleSeconds} s idle window, ${size} tasks each`);
      const watched = { daemon: startWatch(daemon), god: startWatch(god), tmux: startWatch(server) };
      const idleStart = nowMs();
      for (let i = 1; i <= idleSeconds; i++) {
        await sleep(idleStart + i * 1000 - nowMs());
        for (const w of Object.values(watched)) w.maxRssKiB = Math.max(w.maxRssKiB, rssKiB(w.pid) ?? 0);
      }
      const idleS = (nowMs() - idleStart) / 1000;
      const idle = Object.fromEntries(
        Object.entries(watched).map(([k, w]) => {
          const cpuS = ((cpuTicks(w.pid) ?? w.ticks0) - w.ticks0) / CLK_TCK;
          return [
            k,
            { cpuS, cpuPercent: (cpuS / idleS) * 100, rssEndKiB: rssKiB(w.pid) ?? 0, maxRssKiB: w.maxRssKiB },
          ];
        }),
      ) as Record<
        keyof typeof watched,
        { cpuS: number; cpuPercent: number; rssEndKiB: number; maxRssKiB: number }
      >;

      ctx.log(`scale: ${kills} kills of a random task on each side (seed ${SEED})`);
      const pick = random(SEED);
      const lastRun = hf.db.prepare(
        'SELECT r.id, r.n, r.task_pid FROM runs r JOIN tasks t ON t.id = r.task_id WHERE t.name = ? ORDER BY r.n DESC LIMIT 1',
      );
      const exited = hf.db.prepare("SELECT at FROM events WHERE run_id = ? AND type = 'exited'");
      const det = { exited: [] as number[], holdfast: [] as number[], pm2: [] as number[], failures: 0 };
      for (let i = 0; i < kills; i++) {
        const name = names[Math.floor(pick() * size)]!;
        const run = lastRun.get(name) as { id: number; n: number; task_pid: number | null } | undefined;
        if (!run?.task_pid || !isAlive(run.task_pid)) throw new Error(`${name} has no live process to kill`);
        sleepSync(40 + ((i * 37) % 60));
        const known = new Set(childrenOf(server));
        const k0 = nowMs();
        process.kill(run.task_pid, 'SIGKILL');
        try {
          let newAt: number | undefined;
          const at = pollSync(
            'the death recorded and a new process',
            () => {
              if (newAt === undefined && newGrandchild(server, known) !== undefined) newAt = nowMs() - k0;
              const row = exited.get(run.id) as { at: number } | undefined;
              return row && newAt !== undefined ? row.at - k0 : undefined;
            },
            { timeoutMs: KILL_TIMEOUT_MS },
          );
          det.exited.push(at);
          det.holdfast.push(newAt!);
        } catch (error) {
          if (!(error instanceof TimeoutError)) throw error;
          det.failures++;
        }
        const apps = childrenRunning(god, pm2Argv);
        const app = apps[Math.floor(pick() * apps.length)]!;
        sleepSync(40 + ((i * 37) % 60));
        const godKnown = new Set(childrenOf(god));
        const p0 = nowMs();
        process.kill(app, 'SIGKILL');
        try {
          pollSync('a new pm2 app process', () => newChild(god, godKnown, pm2Argv), {
            timeoutMs: KILL_TIMEOUT_MS,
          });
          det.pm2.push(nowMs() - p0);
        } catch (error) {
          if (!(error instanceof TimeoutError)) throw error;
          det.failures++;
        }
      }
      const loadEnd = loadAverage();
      const s = {
        upCall: { holdfast: summarize([hfUp.callMs]), pm2: summarize([pmUp.callMs]) },
        upAll: { holdfast: summarize([hfUp.allRunningMs]), pm2: summarize([pmUp.allRunningMs]) },
        ls: { holdfast: summarize(lsMs.holdfast), pm2: summarize(lsMs.pm2) },
        exited: summarize(det.exited),
        newProcess: { holdfast: summarize(det.holdfast), pm2: summarize(det.pm2) },
      };
      const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
      const cpu = (x: { cpuS: number; cpuPercent: number }) =>
        `${x.cpuS.toFixed(2)} s (${x.cpuPercent.toFixed(2)} %)`;
      return {
        rows: [
          {
            metric: `\`holdfast up\` of ${size} tasks, fresh home: the call / until all ${size} processes run`,
            holdfast: `${sec(hfUp.callMs)} / ${sec(hfUp.allRunningMs)}${ratio(s.upAll.holdfast, s.upAll.pm2)}`,
            peer: `\`pm2 start ecosystem.config.cjs\`, ${size} apps`,
            peerValue: `${sec(pmUp.callMs)} / ${sec(pmUp.allRunningMs)}`,
          },
          {
            metric: `\`holdfast ls --json\`, ${size} tasks, median / p99, n=${lsReps}`,
            holdfast: `${medP99(s.ls.holdfast, 'ms', 0)}${ratio(s.ls.holdfast, s.ls.pm2)}`,
            peer: `\`pm2 jlist\`, ${size} apps`,
            peerValue: medP99(s.ls.pm2, 'ms', 0),
          },
          {
            metric: `kill -9 of a random task → \`exited\` event (its \`at\`), median / p99, n=${kills}`,
            holdfast: medP99(s.exited),
            peer: '',
            peerValue: '',
          },
          {
            metric: 'kill -9 of a random task → new process running the command',
            holdfast: `${medP99(s.newProcess.holdfast)}${ratio(s.newProcess.holdfast, s.newProcess.pm2)}`,
            peer: `pm2, ${size} apps`,
            peerValue: medP99(s.newProcess.pm2),
          },
          {
            metric: `idle ${idleS.toFixed(0)} s with ${size} tasks: daemon CPU`,
            holdfast: cpu(idle.daemon),
            peer: 'pm2 God daemon',
            peerValue: cpu(idle.god),
          },
          {
            metric: '  daemon RSS at the end / max (sampled every second)',
            holdfast: `${mib(idle.daemon.rssEndKiB)} / ${mib(idle.daemon.maxRssKiB)}`,
            peer: 'pm2 God daemon',
            peerValue: `${mib(idle.god.rssEndKiB)} / ${mib(idle.god.maxRssKiB)}`,
          },
          {
            metric: "  holdfast's tmux server (hosts the panes): CPU, RSS max",
            holdfast: `${cpu(idle.tmux)}, ${mib(idle.tmux.maxRssKiB)}`,
            peer: '',
            peerValue: '',
          },
          {
            metric: `kills not recovered within ${KILL_TIMEOUT_MS / 1000} s (both sides)`,
            holdfast: String(det.failures),
            peer: '',
            peerValue: '',
          },
          loadRow(loadStart, loadEnd),
        ],
        data: {
          tasks: size,
          seed: SEED,
          lsReps,
          kills,
          idleSeconds: idleS,
          hfUp,
          pmUp,
          idle,
          det,
          summary: s,
          loadStart,
          loadEnd,
        },
      };
    } finally {
      pm2.dispose();
      hf.dispose();
    }
  },
};
