import type { Command } from 'commander';
import { action } from '../../action.js';
import { mustGet } from './shared.js';
import { startMission } from './start.js';
import { missionView } from './view.js';

interface ResumeOptions {
  maxSessions?: string;
  maxHours?: string;
  maxCost?: string;
  daemon?: boolean;
  json?: boolean;
}

export function register(mission: Command): void {
  mission
    .command('resume')
    .summary('continue a paused mission, raising its budget if that is what paused it')
    .argument('<name>', 'mission name')
    .option('--max-sessions <n>', 'new budget: sessions in all (more than used so far)')
    .option('--max-hours <h>', 'new budget: hours since start (more than spent so far)')
    .option('--max-cost <usd>', 'new budget: cost in all (more than spent so far)')
    .option('--no-daemon', 'do not start the supervisor daemon (this command takes the next step itself)')
    .option('--json', 'print the mission as JSON')
    .action(
      action<ResumeOptions>(async (ctx, [name], options) => {
        const m = mustGet(ctx, name!);
        await startMission(
          ctx,
          m,
          'resume',
          {
            ...(options.maxSessions === undefined ? {} : { maxSessions: options.maxSessions }),
            ...(options.maxHours === undefined ? {} : { maxHours: options.maxHours }),
            ...(options.maxCost === undefined ? {} : { maxCostUsd: options.maxCost }),
          },
          options,
        );
        const view = missionView(ctx, ctx.rt.store.missions.byId(m.id)!);
        ctx.out.result(view, () => `mission ${m.name} resumed: ${view.next}`);
        return 0;
      }),
    );
}
