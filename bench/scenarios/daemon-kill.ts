import { HoldfastHome } from '../lib/holdfast.js';
import { grandchildrenRunning, isAlive } from '../lib/proc.js';
import type { BenchContext, Scenario, ScenarioResult } from '../lib/scenario.js';
import { medP99, minMedMax, summarize } from '../lib/stats.js';
import { nowMs, pollSync, sleep, TimeoutError } from '../lib/time.js';

const TIMEOUT_MS = 15_000;

interface Sample {
  /** A new live daemon holds the lease (its row in the store). */
  lease: number;
  /** The task killed right after the daemon: its `exited` event is in the store. */
  exited: number;
  /** …and a new process runs its command. */
  recovered: number;
  /** `holdfast daemon status --json` agrees afterwards (running, the new pid). */
  statusAgrees: boolean;
}

async function measure(ctx: BenchContext, kills: number) {
  const hf = new HoldfastHome();
  try {
    await hf.cliOk([
      'run',
      '--name',
      'rec',
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
    let daemon = await hf.waitForDaemon();
    const taskId = hf.taskId('rec');
    const server = hf.serverPid();
    const exited = hf.db.prepare(
      "SELECT at FROM events WHERE task_id = ? AND run_id = ? AND type = 'exited'",
    );
    const samples: Sample[] = [];
    let failures = 0;
    for (let i = 0; i < kills; i++) {
      await sleep(1000);
      const run = hf.lastRun(taskId);
      const task = run?.task_pid ?? null;
      if (!run || task === null || !isAlive(task) || hf.leaseHolder()?.pid !== daemon) {
        throw new Error(`not settled before kill ${i}: run ${JSON.stringify(run)}, daemon ${daemon}`);
      }
      const t0 = nowMs();
      process.kill(daemon, 'SIGKILL');
      process.kill(task, 'SIGKILL');
      const seen: Partial<Sample> = {};
      try {
        pollSync(
          'a new daemon and a new run',
          () => {
            const t = nowMs() - t0;
            if (seen.lease === undefined) {
              const holder = hf.leaseHolder();
              if (holder && holder.pid !== daemon) seen.lease = t;
            }
            if (seen.exited === undefined && exited.get(taskId, run.id)) seen.exited = t;
            if (
              seen.recovered === undefined &&
              grandchildrenRunning(server, ['sleep', '600']).some((p) => p !== task)
            ) {
              seen.recovered = t;
            }
            return seen.lease !== undefined && seen.exited !== undefined && seen.recovered !== undefined
              ? true
              : undefined;
          },
          { timeoutMs: TIMEOUT_MS },
        );
        const previous = daemon;
        daemon = await hf.waitForDaemon(previous);
        const status = JSON.parse((await hf.cliOk(['daemon', 'status', '--json'])).stdout) as {
          running: boolean;
          pid: number | null;
        };
        seen.statusAgrees = status.running && status.pid === daemon;
        samples.push(seen as Sample);
      } catch (error) {
        if (!(error instanceof TimeoutError)) throw error;
        failures++;
        ctx.log(`daemon-kill: kill ${i} not recovered in ${TIMEOUT_MS} ms: ${JSON.stringify(seen)}`);
        daemon = await hf.waitForDaemon(daemon);
      }
    }
    return { samples, failures };
  } finally {
    hf.dispose();
  }
}

export const daemonKill: Scenario = {
  name: 'daemon-kill',
  title: 'daemon kill -9 → supervising again',
  async run(ctx): Promise<ScenarioResult> {
    const kills = ctx.quick ? 5 : 20;
    ctx.log(`daemon-kill: ${kills} × kill -9 of the daemon, then of the task`);
    const { samples, failures } = await measure(ctx, kills);
    const s = {
      lease: summarize(samples.map((x) => x.lease)),
      exited: summarize(samples.map((x) => x.exited)),
      recovered: summarize(samples.map((x) => x.recovered)),
    };
    const both = (x: typeof s.lease) => `${medP99(x, 'ms', 0)} (max ${x?.max.toFixed(0) ?? 'n/a'})`;
    return {
      rows: [
        {
          metric: `kill -9 daemon → new daemon holds the lease, median / p99, n=${kills}`,
          holdfast: both(s.lease),
          peer: '',
          peerValue: '',
        },
        {
          metric: '… → task killed right after it: `exited` recorded',
          holdfast: both(s.exited),
          peer: '',
          peerValue: '',
        },
        {
          metric: '… → that task running again (end-to-end)',
          holdfast: both(s.recovered),
          peer: '',
          peerValue: '',
        },
        {
          metric: '`daemon status --json` agrees / not recovered in 15 s',
          holdfast: `${samples.filter((x) => x.statusAgrees).length}/${samples.length} / ${failures}`,
          peer: '',
          peerValue: '',
        },
        {
          metric: 'recovery min – median – max',
          holdfast: minMedMax(s.recovered, 'ms', 0),
          peer: '',
          peerValue: '',
        },
      ],
      data: { kills, failures, summary: s, samples },
    };
  },
};
