import type { Command } from 'commander';
import { HoldfastError } from '../../../core/errors.js';
import { nextSessionPrompt } from '../../../supervisor/mission-observe.js';
import { action } from '../../action.js';
import { mustGet } from './shared.js';

export function register(mission: Command): void {
  mission
    .command('continue-prompt')
    .summary('print the prompt the next session will get')
    .argument('<name>', 'mission name')
    .action(
      action(async (ctx, [name]) => {
        const m = mustGet(ctx, name!);
        if (m.state === 'done') {
          throw new HoldfastError(
            'ESTATE',
            `mission ${m.name} is done: every milestone passed, no session will run`,
            { hint: `holdfast mission status ${m.name} shows how it went` },
          );
        }
        ctx.out.write(await nextSessionPrompt(ctx.rt, m));
        return 0;
      }),
    );
}
