import { readFileSync } from 'node:fs';
import { CLK_TCK, childrenOf, cmdline, cpuTicks, rssKiB } from '../lib/proc.js';
import type { Scenario, ScenarioResult } from '../lib/scenario.js';
import { nowMs, sleep } from '../lib/time.js';

interface Watched {
  pid: number;
  ticks0: number;
  rss0: number;
  maxRss: number;
  /** RSS in KiB, once a second. */
  samples: number[];
}

function watch(pid: number | null, what: string): Watched {
  const ticks0 = pid === null ? null : cpuTicks(pid);
  const rss0 = pid === null ? null : rssKiB(pid);
  if (pid === null || ticks0 === null || rss0 === null) throw new Error(`no live ${what}`);
  return { pid, ticks0, rss0, maxRss: rss0, samples: [rss0] };
}

function finish(w: Watched, seconds: number) {
  const ticks = cpuTicks(w.pid);
  const rss = rssKiB(w.pid);
  if (ticks === null || rss === null) throw new Error(`process ${w.pid} ended during the idle window`);
  const cpuS = (ticks - w.ticks0) / CLK_TCK;
  return {
    pid: w.pid,
    rssStartMiB: w.rss0 / 1024,
    rssEndMiB: rss / 1024,
    rssMaxMiB: Math.max(w.maxRss, rss) / 1024,
    cpuS,
    cpuPercent: (cpuS / seconds) * 100,
    rssSamplesKiB: w.samples,
  };
}

/** The tmux server's children that are pane processes (not pipe-pane's dd): their Pss and CPU time. */
function paneProcesses(server: number): { count: number; pssKiB: number; cpuS: number } {
  let count = 0;
  let pssKiB = 0;
  let ticks = 0;
  for (const pid of childrenOf(server)) {
    if (!cmdline(pid).some((a) => a.endsWith('launch.pl'))) continue;
    count++;
    ticks += cpuTicks(pid) ?? 0;
    try {
      pssKiB += Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {
      // ended meanwhile
    }
  }
  return { count, pssKiB, cpuS: ticks / CLK_TCK };
}

const mib = (v: number) => `${v.toFixed(1)} MiB`;

/** Resident memory and CPU of the supervisors over the same idle window, the fleet's 200 tasks each. */
export const idle: Scenario = {
  name: 'idle',
  title: 'supervisor RSS and CPU, 200 idle tasks',
  usesFleet: true,
  async run(ctx): Promise<ScenarioResult> {
    const fleet = await ctx.fleet();
    const seconds = ctx.quick ? 10 : 60;
    const daemonPid = await fleet.hf.waitForDaemon();
    const server = fleet.hf.serverPid();
    ctx.log(`idle: ${seconds} s window, holdfast daemon ${daemonPid} and pm2 God ${fleet.pm2.godPid()}`);
    const watched = {
      daemon: watch(daemonPid, 'holdfast daemon'),
      tmux: watch(server, 'tmux server'),
      god: watch(fleet.pm2.godPid(), 'pm2 God daemon'),
    };
    const start = nowMs();
    for (let i = 1; i <= seconds; i++) {
      await sleep(start + i * 1000 - nowMs());
      for (const w of Object.values(watched)) {
        const rss = rssKiB(w.pid) ?? 0;
        w.samples.push(rss);
        w.maxRss = Math.max(w.maxRss, rss);
      }
    }
    const elapsed = (nowMs() - start) / 1000;
    const waiters = paneProcesses(server);
    const r = {
      daemon: finish(watched.daemon, elapsed),
      tmux: finish(watched.tmux, elapsed),
      god: finish(watched.god, elapsed),
    };
    if (fleet.hf.daemonPid() !== daemonPid) throw new Error('the holdfast daemon changed during the window');
    const cpu = (x: { cpuS: number; cpuPercent: number }) =>
      `${x.cpuS.toFixed(2)} s (${x.cpuPercent.toFixed(2)} %)`;
    return {
      rows: [
        {
          metric: `RSS start → end, ${fleet.size} idle tasks, ${seconds} s`,
          holdfast: `${mib(r.daemon.rssStartMiB)} → ${mib(r.daemon.rssEndMiB)}`,
          peer: 'pm2 God daemon',
          peerValue: `${mib(r.god.rssStartMiB)} → ${mib(r.god.rssEndMiB)}`,
        },
        {
          metric: 'RSS max (sampled every second)',
          holdfast: mib(r.daemon.rssMaxMiB),
          peer: 'pm2 God daemon',
          peerValue: mib(r.god.rssMaxMiB),
        },
        {
          metric: `CPU (utime+stime) over ${seconds} s`,
          holdfast: cpu(r.daemon),
          peer: 'pm2 God daemon',
          peerValue: cpu(r.god),
        },
        {
          metric: "holdfast's tmux server (hosts the panes): RSS max, CPU",
          holdfast: `${mib(r.tmux.rssMaxMiB)}, ${cpu(r.tmux)}`,
          peer: '',
          peerValue: '',
        },
        {
          metric: `the panes' own processes (launch.pl, each waiting for its task): Pss, CPU, all ${waiters.count}`,
          holdfast: `${mib(waiters.pssKiB / 1024)}, ${waiters.cpuS.toFixed(2)} s`,
          peer: '',
          peerValue: '',
        },
      ],
      data: { seconds: elapsed, tasks: fleet.size, ...r, waiters },
    };
  },
};
