import type { Command } from 'commander';
import { event } from '../../../core/events.js';
import { missionOf } from '../../../supervisor/mission-observe.js';
import { action } from '../../action.js';
import { findMilestone, mustGet, wakeMissions } from './shared.js';

export function register(mission: Command): void {
  mission
    .command('done')
    .summary('mark a milestone done (for a human, or an agent)')
    .argument('<name>', 'mission name')
    .argument('<milestone>', 'milestone: its slug, title or number (1 = first)')
    .action(
      action(async (ctx, [name, which]) => {
        const m = mustGet(ctx, name!);
        const idx = findMilestone(m, which!);
        const title = missionOf(m).definition.milestones[idx]!.title;
        const by = process.env.HOLDFAST_TASK ? `agent (${process.env.HOLDFAST_TASK})` : 'user';
        const rt = ctx.rt;
        rt.store.tx(() => {
          const now = rt.now();
          rt.store.missions.setMilestone(m.id, idx, { status: 'done', doneAt: now, doneBy: by });
          rt.store.events.record(
            { taskId: rt.store.tasks.byName(m.name)?.id ?? null, taskName: `mission:${m.name}`, at: now },
            event('milestone-done', { milestone: title, by }),
          );
        });
        // The runner moves on: at once between sessions, else when the session under way ends.
        await wakeMissions(ctx);
        ctx.out.write(`milestone ${title} marked done`);
        return 0;
      }),
    );
}
