import { exec } from '../lib/exec.js';
import type { Scenario, ScenarioResult } from '../lib/scenario.js';
import { medP99, summarize } from '../lib/stats.js';

/** `holdfast ls --json` against `pm2 jlist`, each listing the fleet's 200 tasks, alternately. */
export const ls: Scenario = {
  name: 'ls',
  title: 'list 200 tasks as JSON (wall time of the CLI call)',
  usesFleet: true,
  async run(ctx): Promise<ScenarioResult> {
    const fleet = await ctx.fleet();
    const reps = ctx.quick ? 5 : 25;
    const warmup = 2;
    ctx.log(`ls: ${reps} × holdfast ls --json and pm2 jlist with ${fleet.size} each`);
    const hfMs: number[] = [];
    const pm2Ms: number[] = [];
    const floorMs: number[] = [];
    for (let i = 0; i < reps + warmup; i++) {
      const a = await fleet.hf.cli(['ls', '--json']);
      const b = await fleet.pm2.cli(['jlist']);
      // The floor of any Node CLI here, in the same environment (NODE_EXTRA_CA_CERTS as it is).
      const c = await exec(process.execPath, ['-e', '0'], { env: fleet.hf.env });
      if (i === 0) {
        const hfCount = (JSON.parse(a.stdout) as unknown[]).length;
        const pm2Count = (JSON.parse(b.stdout) as unknown[]).length;
        if (a.code !== 0 || b.code !== 0 || hfCount !== fleet.size || pm2Count !== fleet.size) {
          throw new Error(`listing returned ${hfCount} (holdfast) and ${pm2Count} (pm2) of ${fleet.size}`);
        }
      }
      if (i < warmup) continue;
      hfMs.push(a.ms);
      pm2Ms.push(b.ms);
      floorMs.push(c.ms);
    }
    const s = { holdfast: summarize(hfMs), pm2: summarize(pm2Ms), nodeFloor: summarize(floorMs) };
    return {
      rows: [
        {
          metric: `\`holdfast ls --json\`, ${fleet.size} tasks, median / p99, n=${reps}`,
          holdfast: medP99(s.holdfast, 'ms', 0),
          peer: `\`pm2 jlist\`, ${fleet.size} apps`,
          peerValue: medP99(s.pm2, 'ms', 0),
        },
        {
          metric: '`node -e 0` (floor of any Node CLI, same env)',
          holdfast: medP99(s.nodeFloor, 'ms', 0),
          peer: '',
          peerValue: '',
        },
        {
          metric: `create ${fleet.size} tasks (wall)`,
          holdfast: `${(fleet.createMs.holdfast / 1000).toFixed(1)} s (${fleet.createMs.holdfastConcurrency} parallel \`run\`, ${medP99(summarize(fleet.createMs.holdfastPerCall), 'ms', 0)} each)`,
          peer: 'pm2 start ecosystem',
          peerValue: `${(fleet.createMs.pm2 / 1000).toFixed(1)} s (one call)`,
        },
      ],
      data: {
        tasks: fleet.size,
        reps,
        warmup,
        nodeExtraCaCerts: process.env.NODE_EXTRA_CA_CERTS ? 'set' : 'unset',
        summary: s,
        createMs: fleet.createMs,
        samples: { holdfast: hfMs, pm2: pm2Ms, nodeFloor: floorMs },
      },
    };
  },
};
