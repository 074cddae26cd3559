import type { Command } from 'commander';
import { action } from '../../action.js';
import { mustGet } from './shared.js';
import { missionView, renderMission } from './view.js';

export function register(mission: Command): void {
  mission
    .command('status')
    .summary('milestones, sessions, time and cost spent, what happens next')
    .argument('[name]', 'mission name (default: all)')
    .option('--json', 'print JSON')
    .action(
      action<{ json?: boolean }>(async (ctx, [name]) => {
        const missions = name ? [mustGet(ctx, name)] : ctx.rt.store.missions.all();
        const views = missions.map((m) => missionView(ctx, m));
        ctx.out.result(name ? views[0] : views, () =>
          views.length === 0 ? 'no missions' : views.map(renderMission).join('\n\n'),
        );
        return 0;
      }),
    );
}
