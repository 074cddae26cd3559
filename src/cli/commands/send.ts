import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { HoldfastError } from '../../core/errors.js';
import { DEFER_TEXT, OPEN_INPUT_STATES } from '../../core/input.js';
import { Loop } from '../../supervisor/loop.js';
import { sleep } from '../../supervisor/sleep.js';
import { Courier, queueInput } from '../../supervisor/steps/deliver.js';
import { toInputView } from '../../views/input.js';
import { action } from '../action.js';
import { daemonDisabled, ensureDaemon } from '../daemon-client.js';

export function register(program: Command): void {
  program
    .command('send')
    .summary("type input into an agent's prompt box, exactly once (a headless agent: its next resume prompt)")
    .argument('<task>', 'task name')
    .argument('[text]', 'the input (or --file)')
    .option('--file <file>', 'read the input from a file')
    .option(
      '--wait',
      "wait until the agent has it (claude: in its conversation's transcript; a TUI that dies first gets it again in its next run) (exit 0) or it failed (exit 1, with the reason)",
    )
    .option(
      '--now',
      'do not wait for a busy agent (it queues the input into its running turn); a human is still never typed over',
    )
    .option('--json', 'print the input as JSON')
    .action(
      action<{ file?: string; wait?: boolean; now?: boolean; json?: boolean }>(
        async (ctx, [name, given], options) => {
          const text = inputText(given, options.file);
          const task = ctx.task(name!);
          const input = queueInput(ctx.rt, task.id, text, 'send', { now: Boolean(options.now) });
          const current = () => ctx.rt.store.inputs.byId(input.id)!;
          const finished = () => !OPEN_INPUT_STATES.has(current().state);
          await ensureDaemon(ctx);
          if (daemonDisabled()) {
            // No supervisor will type it: this process does, until it is confirmed or has failed.
            // With the loop's passes for the task: a headless agent's input waits for its run to end.
            const courier = new Courier(ctx.rt, { only: new Set([task.id]) });
            const loop = new Loop(ctx.rt, { scope: new Set([task.id]), listMs: 500 });
            while (!finished()) {
              await loop.pass();
              courier.poke();
              await sleep(50);
            }
          } else if (options.wait) {
            while (!finished()) await sleep(50);
          }
          const view = toInputView(current(), task.name);
          if ((options.wait || daemonDisabled()) && view.state === 'failed') {
            throw new HoldfastError('EINPUT', `input ${view.id} to ${task.name} failed: ${view.reason}`);
          }
          ctx.out.result(view, () => {
            if (view.state === 'confirmed')
              return `input ${view.id} confirmed by ${task.name} (${view.latencyMs} ms)`;
            const why = view.deferred ? ` (${DEFER_TEXT[view.deferred]})` : '';
            return `input ${view.id} queued for ${task.name}${why}`;
          });
          return 0;
        },
      ),
    );
}

function inputText(given: string | undefined, file: string | undefined): string {
  if (given !== undefined && file !== undefined)
    throw new HoldfastError('EUSAGE', 'give the input once: as an argument or --file, not both');
  if (file !== undefined) {
    try {
      return readFileSync(file, 'utf8');
    } catch (error) {
      throw new HoldfastError('EUSAGE', `--file: cannot read ${file}: ${(error as Error).message}`);
    }
  }
  if (given === undefined || given.trim() === '')
    throw new HoldfastError('EUSAGE', 'send needs the input: holdfast send <task> "text", or --file FILE');
  return given;
}
