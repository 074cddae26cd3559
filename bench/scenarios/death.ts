import { SLEEP } from '../lib/fleet.js';
import { HoldfastHome } from '../lib/holdfast.js';
import { Pm2Home } from '../lib/pm2.js';
import { childrenRunning, grandchildrenRunning, isAlive } from '../lib/proc.js';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/scenario.js';
import { medP99, summarize } from '../lib/stats.js';
import { nowMs, pollSync, sleep, sleepSync, TimeoutError } from '../lib/time.js';

const WARMUP = 3;
const TIMEOUT_MS = 10_000;

/** A pause before each kill, varied so kills do not fall in step with the daemon's timers. */
const pause = (i: number) => sleepSync(40 + ((i * 37) % 60));

/** The one live child of `parent` running `argv`, other than `not`. */
function newChild(parent: number, argv: readonly string[], not: number | null): number | undefined {
  return childrenRunning(parent, argv).find((pid) => pid !== not);
}

/** The one live task of the tmux server `server` running `argv`, other than `not`. */
function newTask(server: number, argv: readonly string[], not: number | null): number | undefined {
  return grandchildrenRunning(server, argv).find((pid) => pid !== not);
}

interface HoldfastSample {
  exitedAt: number;
  exitedVisible: number;
  nextStartedAt: number;
  newProcess: number;
}

async function measureHoldfast(ctx: BenchContext, kills: number) {
  const hf = new HoldfastHome();
  try {
    await hf.cliOk([
      'run',
      '--name',
      'death',
      '--restart',
      'always',
      '--backoff',
      '0s',
      '--crash-loop',
      '1000000/1m',
      '--',
      'sleep',
      '600',
    ]);
    await hf.waitForDaemon();
    await sleep(500);
    const taskId = hf.taskId('death');
    const server = hf.serverPid();
    const exited = hf.db.prepare(
      "SELECT at FROM events WHERE task_id = ? AND run_id = ? AND type = 'exited'",
    );
    const nextRun = hf.db.prepare('SELECT started_at FROM runs WHERE task_id = ? AND n = ?');
    const samples: HoldfastSample[] = [];
    let failures = 0;
    let pid = pollSync('the first run', () => newTask(server, ['sleep', '600'], null));
    for (let i = 0; i < kills + WARMUP; i++) {
      const run = pollSync('the run row with its pid', () => {
        const r = hf.lastRun(taskId);
        return r && r.task_pid === pid && r.ended_at === null ? r : undefined;
      });
      pause(i);
      const t0 = nowMs();
      process.kill(pid, 'SIGKILL');
      const seen: Partial<HoldfastSample> = {};
      try {
        pid = pollSync(
          'death seen and a new run alive',
          () => {
            const t = nowMs();
            if (seen.exitedAt === undefined) {
              const row = exited.get(taskId, run.id) as { at: number } | undefined;
              if (row) {
                seen.exitedAt = row.at - t0;
                seen.exitedVisible = t - t0;
              }
            }
            if (seen.nextStartedAt === undefined) {
              const row = nextRun.get(taskId, run.n + 1) as { started_at: number } | undefined;
              if (row) seen.nextStartedAt = row.started_at - t0;
            }
            const child = newTask(server, ['sleep', '600'], pid);
            if (seen.newProcess === undefined && child !== undefined) seen.newProcess = t - t0;
            const done = seen.exitedAt !== undefined && seen.nextStartedAt !== undefined;
            return done ? child : undefined;
          },
          { timeoutMs: TIMEOUT_MS },
        );
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        failures++;
        ctx.log(`death/holdfast: kill ${i} not recovered in ${TIMEOUT_MS} ms: ${JSON.stringify(seen)}`);
        pid = pollSync('any run', () => newTask(server, ['sleep', '600'], pid), { timeoutMs: 30_000 });
      }
      if (i >= WARMUP && Object.keys(seen).length === 4) samples.push(seen as HoldfastSample);
    }
    return { samples, failures };
  } finally {
    hf.dispose();
  }
}

async function measurePm2(ctx: BenchContext, kills: number) {
  const pm2 = new Pm2Home();
  try {
    await pm2.start([{ name: 'death', script: SLEEP, args: ['600'] }]);
    const god = pm2.godPid();
    if (god === null || !isAlive(god)) throw new Error('no pm2 God daemon');
    await sleep(500);
    const samples: number[] = [];
    let failures = 0;
    let pid = pollSync('the first pm2 app', () => newChild(god, [SLEEP, '600'], null));
    for (let i = 0; i < kills + WARMUP; i++) {
      pause(i);
      const t0 = nowMs();
      process.kill(pid, 'SIGKILL');
      try {
        const old = pid;
        pid = pollSync('a new pm2 app process', () => newChild(god, [SLEEP, '600'], old), {
          timeoutMs: TIMEOUT_MS,
        });
        if (i >= WARMUP) samples.push(nowMs() - t0);
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        failures++;
        ctx.log(`death/pm2: kill ${i} not restarted in ${TIMEOUT_MS} ms`);
        pid = pollSync('any app', () => newChild(god, [SLEEP, '600'], pid), { timeoutMs: 30_000 });
      }
    }
    return { samples, failures };
  } finally {
    pm2.dispose();
  }
}

export const death: Scenario = {
  name: 'death',
  title: 'task death (kill -9) → noticed → running again',
  async run(ctx): Promise<ScenarioResult> {
    const kills = ctx.kills ?? (ctx.quick ? 20 : 100);
    ctx.log(`death: ${kills} kills of a holdfast task`);
    const hf = await measureHoldfast(ctx, kills);
    ctx.log(`death: ${kills} kills of a pm2 app`);
    const pm2 = await measurePm2(ctx, kills);
    const pick = (k: keyof HoldfastSample) => summarize(hf.samples.map((s) => s[k]));
    const s = {
      exitedAt: pick('exitedAt'),
      exitedVisible: pick('exitedVisible'),
      nextStartedAt: pick('nextStartedAt'),
      newProcess: pick('newProcess'),
      pm2NewProcess: summarize(pm2.samples),
    };
    const peerNew = `${medP99(s.pm2NewProcess)}`;
    const slow = (ms: number[], over = 15) => `${ms.filter((v) => v > over).length} of ${ms.length}`;
    return {
      rows: [
        {
          metric: `kill → \`exited\` event (its \`at\`), median / p99, n=${kills}`,
          holdfast: medP99(s.exitedAt),
          peer: '',
          peerValue: '',
        },
        {
          metric: 'kill → `exited` event visible in the store',
          holdfast: medP99(s.exitedVisible),
          peer: '',
          peerValue: '',
        },
        {
          metric: 'kill → next run `started_at`',
          holdfast: medP99(s.nextStartedAt),
          peer: '',
          peerValue: '',
        },
        {
          metric: 'kill → new process running the command',
          holdfast: medP99(s.newProcess),
          peer: 'pm2 (restart_delay 0)',
          peerValue: peerNew,
        },
        {
          metric: 'kills whose death took > 15 ms to notice / to restart',
          holdfast: `${slow(hf.samples.map((x) => x.exitedAt))} / ${slow(hf.samples.map((x) => x.newProcess))}`,
          peer: 'pm2 (to restart)',
          peerValue: slow(pm2.samples),
        },
        {
          metric: 'kills whose death took > 50 ms to reach the store',
          holdfast: slow(
            hf.samples.map((x) => x.exitedVisible),
            50,
          ),
          peer: '',
          peerValue: '',
        },
        {
          metric: 'kills not recovered within 10 s',
          holdfast: String(hf.failures),
          peer: 'pm2',
          peerValue: String(pm2.failures),
        },
      ],
      data: {
        kills,
        warmupKills: WARMUP,
        summary: s,
        holdfast: { failures: hf.failures, samples: hf.samples },
        pm2: { failures: pm2.failures, samples: pm2.samples },
      },
    };
  },
};
