import { type Command, Option } from 'commander';
import { policyFileOf } from '../../agents/policy.js';
import { AGENT_KINDS, getAdapter } from '../../agents/registry.js';
import { HoldfastError } from '../../core/errors.js';
import { nameFromCommand } from '../../core/names.js';
import { parseSinkArg, type SinkSpec } from '../../core/notify.js';
import { ON_BOOT_ACTIONS } from '../../core/task.js';
import { preassignedSession } from '../../supervisor/agent-run.js';
import { createTask, type NewTask, resolveProgram, startTask } from '../../supervisor/create.js';
import type { Runtime } from '../../supervisor/runtime.js';
import { grantTrust } from '../../supervisor/trust.js';
import { toTaskView } from '../../views/task.js';
import { action } from '../action.js';
import {
  type AgentOptions,
  agentSpecOf,
  DEFAULT_AGENT_STALL_MS,
  ON_LIMIT_ACTIONS,
  readInteractivePrompt,
  readPrompt,
} from '../agent-options.js';
import { type ApprovalOptions, collect, policyOf } from '../approval-options.js';
import { takesConfigDefaults } from '../config-defaults.js';
import { ensureDaemon } from '../daemon-client.js';
import { normalizeTaskSpec, RESTART_MODES, type SpecOptions, STALL_ACTIONS } from '../spec-options.js';

export interface RunOptions extends SpecOptions, AgentOptions, ApprovalOptions {
  name?: string;
  notify?: string[];
  /** `--worktree [branch]`: true = the default branch `holdfast/<task>`. */
  worktree?: string | boolean;
  /** `--worktree-root <dir>`: where worktrees go (relative: to the repository's top). */
  worktreeRoot?: string;
  json?: boolean;
  daemon?: boolean;
}

/**
 * Everything `run` checks and builds before it touches anything: the task's spec and approval
 * policy from its options. `config check` runs the config's defaults through it too.
 */
export function planRun(args: string[], options: RunOptions, userUmask: number) {
  const agentSpec = agentSpecOf(options, args);
  const policy = policyOf(options, agentSpec);
  const agent = agentSpec && policy ? { ...agentSpec, ...policy } : agentSpec;
  if (!agent && args.length === 0) {
    throw new HoldfastError('ENOCOMMAND', 'no command given', {
      hint: 'holdfast run [options] -- <command> [args…]',
    });
  }
  const adapter = agent ? getAdapter(agent.kind) : null;
  const command = adapter ? [adapter.binary] : args;
  const spec = {
    ...normalizeTaskSpec(command, options, {
      userUmask,
      defaultMode: agent ? 'on-failure' : 'no',
      defaultStallMs: agent ? DEFAULT_AGENT_STALL_MS : null,
    }),
    agent,
    ...(options.notify === undefined ? {} : { notify: notifySinks(options.notify) }),
  };
  return { agent, policy, adapter, command, spec, worktree: worktreeRequest(options) };
}

/**
 * What `--worktree` asks for, carried to `createTasks` (`NewTask.worktree`), which makes the
 * worktree once the task's name is known: null = none; `branch: null` = `holdfast/<task>`.
 */
export function worktreeRequest(
  options: Pick<RunOptions, 'worktree' | 'worktreeRoot'>,
): { branch: string | null; root?: string } | null {
  const value = options.worktree;
  if (value === undefined || value === false) return null;
  return {
    branch: value === true ? null : value,
    ...(options.worktreeRoot === undefined ? {} : { root: options.worktreeRoot }),
  };
}

export function register(program: Command): void {
  const run = program
    .command('run')
    .summary('start a command in its own tmux session, supervised')
    .description("Start a command detached, in its own session on holdfast's private tmux server.")
    .argument('[command...]', 'the command and its arguments (put them after --)')
    .option('-n, --name <name>', 'task name (default: derived from the command, made unique)')
    .option('-C, --cwd <dir>', 'working directory (default: the current one)')
    .addOption(new Option('--restart <policy>', 'restart policy (default: no)').choices(RESTART_MODES))
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
    .addOption(
      new Option('--on-stall <action>', 'what a stall does (default: restart)').choices(STALL_ACTIONS),
    )
    .option(
      '--checkpoint-every <duration>',
      'git checkpoint interval when the cwd is a git work tree (0 = off)',
    )
    .option('--log-max <size>', "rotate a run's log at this size, keeping 5 files (default 50MB, 0 = never)")
    .option('--keep-runs <n>', 'keep the logs of the newest n runs (default 20)')
    .option(
      '--keep-finished <duration>',
      "remove a finished task's logs this long after (default 14d, 0 = never)",
    )
    .addOption(
      new Option(
        '--on-boot <action>',
        'a --restart no run a reboot cut short: resume or fail (default: resume for agents, fail for commands)',
      ).choices(ON_BOOT_ACTIONS),
    )
    .addOption(
      new Option('--agent <kind>', 'run a coding agent (arguments after -- go to the agent)').choices(
        AGENT_KINDS,
      ),
    )
    .option('--prompt <text>', "the agent's prompt (or --prompt-file, or on stdin); never put in argv")
    .option('--prompt-file <file>', "read the agent's prompt from a file")
    .option('--model <model>', "the agent's model")
    .option('--unattended', 'let the agent act without asking (its own bypass flag)')
    .addOption(
      new Option('--on-limit <action>', 'on a usage limit: wait (resume at the reset time) or fail')
        .choices(ON_LIMIT_ACTIONS)
        .default('wait'),
    )
    .option('--limit-backoff <list>', 'waits when a limit gives no reset time', '15m,30m,60m')
    .option(
      '--allow <rule>',
      'approve tool calls matching RULE without asking, e.g. Bash(npm test*) (repeatable)',
      collect,
    )
    .option('--deny <rule>', 'refuse tool calls matching RULE; deny wins over allow (repeatable)', collect)
    .option('--rules-file <file>', 'approval rules, one a line: "allow RULE" or "deny RULE"')
    .option('--interactive', "run the agent's TUI in the pane (claude, codex); attach to it read-write")
    .option(
      '--trust',
      "interactive: add the cwd to the agent's folder trust (changes ~/.claude.json for claude)",
    )
    .option(
      '--resume-prompt <text>',
      'interactive: typed into the agent resumed after a crash cut a turn short (default: continue)',
    )
    .option(
      '--notify <sink>',
      "send notifications to SINK: command:<path> [args…], webhook:<url>, desktop, or none (repeatable; default: the config file's sinks)",
      collect,
    )
    .option(
      '--worktree [branch]',
      'run in a git worktree of its own, on a new branch from HEAD (default branch: holdfast/<task>)',
    )
    .option('--no-worktree', 'run in the cwd itself even when the config file says worktree: true')
    .option(
      '--worktree-root <dir>',
      "with --worktree: where worktrees go (default: the repository's .git/holdfast-worktrees)",
    )
    .option('--no-daemon', 'do not start the supervisor daemon')
    .option('--json', 'print the task as JSON')
    .passThroughOptions()
    .addHelpText(
      'after',
      '\nA flag not given takes its default from the config file (holdfast config path); a boolean flag\nthe config turns on is turned off with --no-<flag>.',
    )
    .action(
      action<RunOptions>(async (ctx, args, options) => {
        const { agent, policy, adapter, command, spec, worktree } = planRun(args, options, ctx.userUmask);
        const prompt = agent?.interactive
          ? readInteractivePrompt(options)
          : agent
            ? readPrompt(options)
            : null;
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
        const created = await createTask(
          rt,
          newTaskOf(rt, { agent, policy, spec, worktree }, prompt, {
            ...(options.name === undefined ? {} : { name: options.name }),
            nameBase: agent ? agent.kind : nameFromCommand(args),
          }),
        );
        if (agent?.interactive && agent.trust) grantTrust(rt, created, process.env);
        const run = await startTask(rt, created.id);
        const task = rt.store.tasks.byId(created.id) ?? created;
        if (options.daemon !== false) await ensureDaemon(ctx);
        const view = toTaskView(task, run ? [run] : [], rt.now(), { prompt });
        ctx.out.result(view, () =>
          [
            `started ${task.name} (run 1, pid ${run?.taskPid ?? run?.pid ?? '?'})`,
            ...(task.spec.worktree
              ? [`  in:      ${task.spec.worktree.path} (branch ${task.spec.worktree.branch})`]
              : []),
            `  watch:   holdfast follow ${task.name}`,
            `  attach:  holdfast attach ${task.name}`,
            '  list:    holdfast ls',
          ].join('\n'),
        );
        return 0;
      }),
    );
  // Every option, those added above by anyone included, takes a default from the config file.
  takesConfigDefaults(run);
}

/** What `createTask` needs for a planned run: its spec, prompt and policy files, first input, session id. */
export function newTaskOf(
  rt: Runtime,
  plan: Pick<RunPlan, 'agent' | 'policy' | 'spec' | 'worktree'>,
  prompt: string | null,
  naming: { name?: string; nameBase: string },
): NewTask {
  const { agent, policy, spec } = plan;
  return {
    ...naming,
    spec,
    env: process.env,
    files: {
      ...(prompt === null ? {} : { 'prompt.txt': prompt }),
      ...(policy ? { 'policy.json': `${JSON.stringify(policyFileOf(policy))}\n` } : {}),
    },
    // An interactive agent's first prompt is typed into its TUI, once, like any input.
    ...(agent?.interactive && prompt !== null
      ? { inputs: [{ text: prompt, source: 'prompt' as const }] }
      : {}),
    ...(agent ? { sessionFor: (name: string) => preassignedSession(agent.kind, rt.paths, name) } : {}),
    ...(plan.worktree ? { worktree: plan.worktree } : {}),
  };
}

export type RunPlan = ReturnType<typeof planRun>;

/** `--notify`, repeated: `none` alone is no sinks at all (not even the config file's). */
export function notifySinks(values: string[]): SinkSpec[] {
  if (values.includes('none')) {
    if (values.length > 1)
      throw new HoldfastError('EUSAGE', '--notify none: cannot be combined with other sinks');
    return [];
  }
  return values.map(parseSinkArg);
}
