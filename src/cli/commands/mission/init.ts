import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { AGENT_KINDS } from '../../../agents/registry.js';
import { createWorktree, discardWorktree } from '../../../checkpoint/index.js';
import { HoldfastError } from '../../../core/errors.js';
import { event } from '../../../core/events.js';
import { validateTaskName } from '../../../core/names.js';
import type { WorktreeSpec } from '../../../core/task.js';
import { type MissionDefinition, missionFromFlags, parseMissionFile } from '../../../mission/mission-file.js';
import { CONTINUE_MODES, settingsFromFlags } from '../../../mission/settings.js';
import { gateTaskName } from '../../../mission/types.js';
import type { MissionRecord } from '../../../store/missions.js';
import { saveMissionEnv } from '../../../supervisor/mission-tasks.js';
import { action } from '../../action.js';
import { type AgentOptions, normalizeAgentSpec } from '../../agent-options.js';
import type { Context } from '../../context.js';
import { plural } from '../../plural.js';
import { normalizeCwd } from '../../spec-options.js';
import { missionView } from './view.js';

export interface InitOptions extends AgentOptions {
  cwd?: string;
  /** `--worktree [branch]`: the mission works in a git worktree of its own (branch `holdfast/<mission>`). */
  worktree?: string | boolean;
  file?: string;
  milestone?: string[];
  gate?: string;
  maxSessions: string;
  maxHours: string;
  maxCost?: string;
  continue: string;
  freshAfter: string;
  stallTimeout: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(mission: Command): void {
  addInitOptions(
    mission
      .command('init')
      .summary('define a mission (from a markdown file or --milestone flags)')
      .argument('<name>', 'mission name'),
  )
    .option('--json', 'print the mission as JSON')
    .action(
      action<InitOptions>(async (ctx, [name], options) => {
        const record = await initMission(ctx, name!, options, readDefinition(name!, options));
        ctx.out.result(
          missionView(ctx, record),
          () =>
            `mission ${record.name} defined with ${plural((record.definition as MissionDefinition).milestones.length, 'milestone')}; start it: holdfast mission start ${record.name}`,
        );
        return 0;
      }),
    );
}

/** The options `mission init` and `build` share. */
export function addInitOptions(command: Command): Command {
  return command
    .option(
      '--worktree [branch]',
      'work in a git worktree of its own, on a new branch from HEAD (default branch: holdfast/<mission>)',
    )
    .addOption(
      new Option('--agent <kind>', 'the agent that works the sessions')
        .choices(AGENT_KINDS)
        .default('claude'),
    )
    .option('-C, --cwd <dir>', 'the work tree (default: the current directory)')
    .option(
      '--file <mission.md>',
      'the mission file: # title, context, one ## section per milestone (gate: lines)',
    )
    .option('--milestone <title: what to do>', 'a milestone (repeatable), instead of --file', collect)
    .option('--gate <command>', 'the default gate: a command, exit 0 = milestone done')
    .option('--max-sessions <n>', 'budget: sessions', '20')
    .option('--max-hours <h>', 'budget: hours since start', '12')
    .option('--max-cost <usd>', 'budget: cost, when the agent reports it')
    .addOption(
      new Option(
        '--continue <mode>',
        'next session: auto (resume while the conversation is small) | resume | fresh',
      )
        .choices(CONTINUE_MODES)
        .default('auto'),
    )
    .option(
      '--fresh-after <bytes>',
      'in auto mode: start fresh once the conversation log passes this size',
      '2000000',
    )
    .option('--model <model>', "the agent's model")
    .option('--unattended', 'let the agent act without asking')
    .option(
      '--interactive',
      "run the agent's TUI in the pane (claude, codex): a session is a turn of it; attach to it read-write",
    )
    .option(
      '--trust',
      "interactive: add the cwd to the agent's folder trust (changes ~/.claude.json for claude)",
    )
    .option('--stall-timeout <duration>', 'no output for this long → resume the session', '10m');
}

export function readDefinition(name: string, options: InitOptions): MissionDefinition {
  if (options.file && options.milestone?.length)
    throw new HoldfastError('EUSAGE', 'give --file or --milestone, not both');
  if (options.file) {
    let text: string;
    try {
      text = readFileSync(options.file, 'utf8');
    } catch (error) {
      throw new HoldfastError('EUSAGE', `--file: cannot read ${options.file}: ${(error as Error).message}`);
    }
    const def = parseMissionFile(text, options.file);
    return options.gate && def.defaultGate === null ? { ...def, defaultGate: options.gate } : def;
  }
  if (!options.milestone?.length)
    throw new HoldfastError(
      'EUSAGE',
      'a mission needs milestones: --file mission.md or --milestone "title: what to do"',
    );
  return missionFromFlags({ name, milestones: options.milestone, gate: options.gate ?? null });
}

/**
 * Checks everything, then records the mission (pending) and the environment its tasks get. With
 * `--worktree`, the worktree is made first and the mission's cwd is the same place inside it; a
 * mission that cannot be recorded takes it away again.
 */
export async function initMission(
  ctx: Context,
  name: string,
  options: InitOptions,
  definition: MissionDefinition,
): Promise<MissionRecord> {
  validateTaskName(name);
  const rt = ctx.rt;
  const sourceCwd = normalizeCwd(options.cwd);
  const agent = normalizeAgentSpec(options, []);
  const settings = settingsFromFlags({
    maxSessions: options.maxSessions,
    maxHours: options.maxHours,
    maxCost: options.maxCost,
    continue: options.continue,
    freshAfter: options.freshAfter,
    stallTimeout: options.stallTimeout,
    umask: ctx.userUmask.toString(8).padStart(3, '0'),
  });
  const free = () => {
    if (rt.store.missions.byName(name))
      throw new HoldfastError('EDUPLICATE', `a mission named ${name} already exists`);
    for (const taken of [name, gateTaskName(name)]) {
      if (rt.store.tasks.nameTaken(taken))
        throw new HoldfastError(
          'EDUPLICATE',
          `a task named ${taken} already exists; the mission needs that name`,
        );
    }
  };
  let cwd = sourceCwd;
  const wanted = options.worktree;
  let made: WorktreeSpec | null = null;
  if (wanted !== undefined && wanted !== false) {
    free();
    const created = await createWorktree({
      cwd: sourceCwd,
      task: name,
      branch: wanted === true ? null : wanted,
      umask: settings.umask,
    });
    made = created.worktree;
    cwd = created.cwd;
    settings.worktree = made;
  }
  const record = await insertMission(rt, made, () => {
    free();
    const m = rt.store.missions.insert({
      name,
      definition,
      agent,
      cwd,
      settings,
      milestones: definition.milestones.length,
      now: rt.now(),
    });
    rt.store.events.record(
      { taskName: `mission:${name}`, at: rt.now() },
      event('mission-created', { milestones: definition.milestones.length }),
    );
    return m;
  });
  saveMissionEnv(rt, name, process.env);
  return record;
}

async function insertMission(
  rt: Context['rt'],
  made: WorktreeSpec | null,
  insert: () => MissionRecord,
): Promise<MissionRecord> {
  try {
    return rt.store.tx(insert);
  } catch (error) {
    if (made) await discardWorktree(made).catch(() => {});
    throw error;
  }
}
