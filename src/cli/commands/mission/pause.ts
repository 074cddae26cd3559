import type { Command } from 'commander';
import { HoldfastError } from '../../../core/errors.js';
import { event } from '../../../core/events.js';
import { action } from '../../action.js';
import { mustGet, waitForDaemon, wakeMissions } from './shared.js';
import { missionView } from './view.js';

const REASON = 'paused by user';

export function register(mission: Command): void {
  mission
    .command('pause')
    .summary('stop the current session and start no other until resumed (nothing is deleted)')
    .argument('<name>', 'mission name')
    .option('--json', 'print the mission as JSON')
    .action(
      action<{ json?: boolean }>(async (ctx, [name]) => {
        const m = mustGet(ctx, name!);
        const rt = ctx.rt;
        rt.store.tx(() => {
          const current = rt.store.missions.byId(m.id)!;
          if (current.state !== 'running')
            throw new HoldfastError('ESTATE', `mission ${m.name} is ${current.state}, not running`);
          const now = rt.now();
          rt.store.missions.update(m.id, { state: 'paused', reason: REASON }, now);
          rt.store.events.record(
            { taskId: rt.store.tasks.byName(m.name)?.id ?? null, taskName: `mission:${m.name}`, at: now },
            event('mission-paused', { reason: REASON }),
          );
        });
        // Whoever runs missions ends the session and stops its run; this returns once that is done.
        await wakeMissions(ctx, { daemon: false });
        await waitForDaemon(ctx, () => {
          const task = rt.store.tasks.byName(m.name);
          const run = task?.currentRunId == null ? null : rt.store.runs.byId(task.currentRunId);
          return rt.store.missions.byId(m.id)!.phase !== 'session' && (run === null || run.endedAt !== null);
        });
        ctx.out.result(missionView(ctx, rt.store.missions.byId(m.id)!), () => `mission ${m.name} paused`);
        return 0;
      }),
    );
}
