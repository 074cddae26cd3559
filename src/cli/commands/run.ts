import type { Command } from 'commander';
import { AGENT_KINDS, getAdapter } from '../../agents/registry.js';
import { HoldfastError } from '../../core/errors.js';
import { nameFromCommand } from '../../core/names.js';
import { toTaskView } from '../../core/view.js';
import { preassignedSession } from '../../supervisor/agent-run.js';
import { createTask, resolveProgram } from '../../supervisor/create.js';
import { action } from '../action.js';
import {
  type AgentOptions,
  DEFAULT_AGENT_STALL_MS,
  normalizeAgentSpec,
  readPrompt,
} from '../agent-options.js';
import { ensureDaemon } from '../daemon-client.js';
import { normalizeTaskSpec, type SpecOptions } from '../spec-options.js';

interface RunOptions extends SpecOptions, AgentOptions {
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
    .option(
      '--tool-timeout <duration>',
      "while an agent's tool call runs, the stall limit instead (default 30m, 0 = none)",
    )
    .option('--on-stall <action>', 'restart | notify (default: restart)')
    .option(
      '--checkpoint-every <duration>',
      'git checkpoint interval when the cwd is a git work tree (0 = off)',
    )
    .option(
      '--agent <kind>',
      `run a coding agent: ${AGENT_KINDS.join(', ')} (arguments after -- go to the agent)`,
    )
    .option('--prompt <text>', "the agent's prompt (or --prompt-file, or on stdin); never put in argv")
    .option('--prompt-file <file>', "read the agent's prompt from a file")
    .option('--model <model>', "the agent's model")
    .option('--unattended', 'let the agent act without asking (its own bypass flag)')
    .option('--on-limit <action>', 'on a usage limit: wait (resume at the reset time) or fail', 'wait')
    .option('--limit-backoff <list>', 'waits when a limit gives no reset time', '15m,30m,60m')
    .option('--no-daemon', 'do not start the supervisor daemon')
    .option('--json', 'print the task as JSON')
    .passThroughOptions()
    .action(
      action<RunOptions>(async (ctx, args, options) => {
        const agent = options.agent === undefined ? null : normalizeAgentSpec(options, args);
        if (!agent && args.length === 0) {
          throw new HoldfastError('ENOCOMMAND', 'no command given', {
            hint: 'holdfast run [options] -- <command> [args…]',
          });
        }
        const adapter = agent ? getAdapter(agent.kind) : null;
        const command = adapter ? [adapter.binary] : args;
        const spec = {
          ...normalizeTaskSpec(command, options, {
            userUmask: ctx.userUmask,
            defaultMode: agent ? 'on-failure' : 'no',
            defaultStallMs: agent ? DEFAULT_AGENT_STALL_MS : null,
          }),
          agent,
        };
        const prompt = agent ? readPrompt(options) : null;
        try {
          resolveProgram(command[0]!, spec.cwd);
        } catch (error) {
          if (!adapter) throw error;
          throw new HoldfastError(
            'ENOCOMMAND',
            `the ${adapter.kind} CLI (${adapter.binary}) is not on PATH`,
            {
              hint: `install it: npm install -g ${adapter.npmPackage}`,
            },
          );
        }
        const rt = ctx.rt;
        const { task, run } = await createTask(rt, {
          ...(options.name === undefined ? {} : { name: options.name }),
          nameBase: agent ? agent.kind : nameFromCommand(args),
          spec,
          env: process.env,
          ...(prompt === null ? {} : { files: { 'prompt.txt': prompt } }),
          ...(agent ? { sessionFor: (name: string) => preassignedSession(agent.kind, rt.paths, name) } : {}),
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
