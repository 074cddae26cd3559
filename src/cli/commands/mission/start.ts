import type { Command } from 'commander';
import { HoldfastError } from '../../../core/errors.js';
import { event } from '../../../core/events.js';
import {
  type BudgetKey,
  budgetOver,
  raiseBudget,
  suggestedRaise,
  usedText,
} from '../../../mission/budget.js';
import { missionUse } from '../../../mission/decide.js';
import type { MissionRecord } from '../../../store/missions.js';
import { missionOf } from '../../../supervisor/mission-observe.js';
import { action } from '../../action.js';
import type { Context } from '../../context.js';
import { mustGet, wakeMissions } from './shared.js';
import { missionView } from './view.js';

export function register(mission: Command): void {
  mission
    .command('start')
    .summary('start working the mission')
    .argument('<name>', 'mission name')
    .option('--no-daemon', 'do not start the supervisor daemon (this command takes the first step itself)')
    .option('--json', 'print the mission as JSON')
    .action(
      action<{ json?: boolean; daemon?: boolean }>(async (ctx, [name], options) => {
        const m = mustGet(ctx, name!);
        await startMission(ctx, m, 'start', {}, options);
        const view = missionView(ctx, ctx.rt.store.missions.byId(m.id)!);
        ctx.out.result(view, () => `mission ${m.name} started: ${view.next}`);
        return 0;
      }),
    );
}

/**
 * Records that the mission should run (with its budget raised by `raises`), then wakes whoever
 * runs missions. Refuses, changing nothing, a mission that is done, a paused one for `start`, and
 * one whose budget is used up (a raise that is not above what was used is refused too).
 */
export async function startMission(
  ctx: Context,
  record: MissionRecord,
  verb: 'start' | 'resume',
  raises: Partial<Record<BudgetKey, string>> = {},
  options: { daemon?: boolean } = {},
): Promise<void> {
  const rt = ctx.rt;
  rt.store.tx(() => {
    const current = rt.store.missions.byId(record.id)!;
    if (current.state === 'done') throw new HoldfastError('ESTATE', `mission ${current.name} is done`);
    if (verb === 'start' && current.state === 'paused')
      throw new HoldfastError('ESTATE', `mission ${current.name} is paused`, {
        hint: `holdfast mission resume ${current.name}`,
      });
    const now = rt.now();
    const m = missionOf(current);
    const use = missionUse(m, rt.store.missions.sessions(current.id), now);
    const { budget, raised } = raiseBudget(m.settings, use, raises);
    if (Object.keys(raised).length > 0)
      rt.store.missions.setSettings(current.id, { ...m.settings, ...budget }, now);
    if (current.state === 'running') return;
    // A gate under way decides by itself; anything else would start a session.
    const over = current.phase === 'gate' ? null : budgetOver(budget, use);
    if (over) {
      // Starting now would only pause it again at once, for the same reason.
      throw new HoldfastError(
        'ESTATE',
        `mission ${current.name} has used its budget: ${over.label}, ${usedText(over.key, use)} so far`,
        { hint: `raise it: holdfast mission ${verb} ${current.name} ${over.flag} ${suggestedRaise(over)}` },
      );
    }
    rt.store.missions.update(
      current.id,
      { state: 'running', reason: null, startedAt: current.startedAt ?? now },
      now,
    );
    rt.store.events.record(
      // On the agent task's journal too, as the runner's own mission entries are.
      {
        taskId: rt.store.tasks.byName(current.name)?.id ?? null,
        taskName: `mission:${current.name}`,
        at: now,
      },
      event(
        verb === 'start' ? 'mission-started' : 'mission-resumed',
        Object.keys(raised).length > 0 ? { raised } : {},
      ),
    );
  });
  await wakeMissions(ctx, options);
}
