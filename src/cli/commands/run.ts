import type { Command } from 'commander';
import { HoldfastError } from '../../core/errors.js';
import { nameFromCommand } from '../../core/names.js';
import { toTaskView } from '../../core/view.js';
import { createTask, resolveProgram } from '../../supervisor/create.js';
import { action } from '../action.js';
import { ensureDaemon } from '../daemon-client.js';
import { normalizeTaskSpec, type SpecOptions } from '../spec-options.js';

interface RunOptions extends SpecOptions {
  name?: string;
  json?: boolean;
  daemon?: boolean;
}

export function register(program: Command): void {
  program
    .command('run')
    .summary('start a command in its own tmux session, supervised')
    .description("Start a command detached, in its own session on holdfast's private tmux server.")
    .argument('[command...]', 'the command and its arguments (put them after --)')
    .option('-n, --name <name>', 'task name (default: derived from the command, made unique)')
    .option('-C, --cwd <dir>', 'working directory (default: the current one)')
    .option('--restart <policy>', 'no | on-failure | always (default: no)')
    .option('--max-restarts <n>', 'give up (state failed) after this many restarts')
    .option('--max-runtime <duration>', 'stop and fail the task this long after its first start')
    .option('--backoff <initial..max>', 'restart delay, doubling from initial up to max (default 1s..5m)')
    .option('--healthy-after <duration>', 'a run up this long resets the backoff (default 10m)')
    .option(
      '--crash-loop <count/window>',
      'more than count restarts within window → crash-loop (default 5/10m)',
    )
    .option('--probe-every <duration>', 'in crash-loop, one probe restart this often (default 30m)')
    .option('--stall-timeout <duration>', 'no output for this long → stalled (default: off for commands)')
    .option('--on-stall <action>', 'restart | notify (default: restart)')
    .option(
      '--checkpoint-every <duration>',
      'git checkpoint interval when the cwd is a git work tree (0 = off)',
    )
    .option('--no-daemon', 'do not start the supervisor daemon')
    .option('--json', 'print the task as JSON')
    .passThroughOptions()
    .action(
      action<RunOptions>(async (ctx, args, options) => {
        if (args.length === 0) {
          throw new HoldfastError('ENOCOMMAND', 'no command given', {
            hint: 'holdfast run [options] -- <command> [args…]',
          });
        }
        const spec = normalizeTaskSpec(args, options, {
          userUmask: ctx.userUmask,
          defaultMode: 'no',
          defaultStallMs: null,
        });
        resolveProgram(args[0]!, spec.cwd);
        const rt = ctx.rt;
        const { task, run } = await createTask(rt, {
          ...(options.name === undefined ? {} : { name: options.name }),
          nameBase: nameFromCommand(args),
          spec,
          env: process.env,
        });
        if (options.daemon !== false) await ensureDaemon(ctx);
        const view = toTaskView(task, run ? [run] : [], rt.now());
        ctx.out.result(view, () =>
          [
            `started ${task.name} (run 1, pid ${run?.pid ?? '?'})`,
            `  watch:   holdfast follow ${task.name}`,
            `  attach:  holdfast attach ${task.name}`,
            '  list:    holdfast ls',
          ].join('\n'),
        );
        return 0;
      }),
    );
}
