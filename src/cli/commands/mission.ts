import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { AGENT_KINDS } from '../../agents/registry.js';
import { parseDuration } from '../../core/duration.js';
import { HoldfastError } from '../../core/errors.js';
import { validateTaskName } from '../../core/names.js';
import { type BudgetKey, budgetOver, raiseBudget, suggestedRaise, usedText } from '../../mission/budget.js';
import {
  type MissionDefinition,
  milestoneSlug,
  missionFromFlags,
  parseMissionFile,
} from '../../mission/mission-file.js';
import type { MissionRecord } from '../../store/missions.js';
import {
  advanceMission,
  gateTaskName,
  type MissionSettings,
  markMilestoneDone,
  missionCost,
  missionUse,
  saveMissionEnv,
  sessionPrompt,
} from '../../supervisor/missions.js';
import { escalateStop, requestStop } from '../../supervisor/stop.js';
import { action } from '../action.js';
import { type AgentOptions, DEFAULT_AGENT_STALL_MS, normalizeAgentSpec } from '../agent-options.js';
import type { Context } from '../context.js';
import { ensureDaemon, kickDaemon } from '../daemon-client.js';
import { table } from '../format.js';
import { plural } from '../plural.js';
import { normalizeCwd } from '../spec-options.js';

interface InitOptions extends AgentOptions {
  cwd?: string;
  file?: string;
  milestone?: string[];
  gate?: string;
  maxSessions: string;
  maxHours: string;
  maxCost?: string;
  continue: string;
  freshAfter: string;
  stallTimeout?: string;
  json?: boolean;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

export function register(program: Command): void {
  const mission = program
    .command('mission')
    .summary('missions: milestones worked by agent sessions, one after another, until every gate passes');

  addInitOptions(
    mission
      .command('init')
      .summary('define a mission (from a markdown file or --milestone flags)')
      .argument('<name>', 'mission name'),
  )
    .option('--json', 'print the mission as JSON')
    .action(
      action<InitOptions>(async (ctx, [name], options) => {
        const record = initMission(ctx, name!, options, readDefinition(name!, options));
        ctx.out.result(
          missionView(ctx, record),
          () =>
            `mission ${record.name} defined with ${plural((record.definition as MissionDefinition).milestones.length, 'milestone')}; start it: holdfast mission start ${record.name}`,
        );
        return 0;
      }),
    );

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

  mission
    .command('start')
    .summary('start working the mission')
    .argument('<name>', 'mission name')
    .option('--json', 'print the mission as JSON')
    .action(
      action<{ json?: boolean }>(async (ctx, [name]) => {
        const m = mustGet(ctx, name!);
        await startMission(ctx, m, 'start');
        const view = missionView(ctx, ctx.rt.store.missions.byId(m.id)!);
        ctx.out.result(view, () => `mission ${m.name} started: ${view.next}`);
        return 0;
      }),
    );

  mission
    .command('resume')
    .summary('continue a paused mission, raising its budget if that is what paused it')
    .argument('<name>', 'mission name')
    .option('--max-sessions <n>', 'new budget: sessions in all (more than used so far)')
    .option('--max-hours <h>', 'new budget: hours since start (more than spent so far)')
    .option('--max-cost <usd>', 'new budget: cost in all (more than spent so far)')
    .option('--json', 'print the mission as JSON')
    .action(
      action<{ maxSessions?: string; maxHours?: string; maxCost?: string; json?: boolean }>(
        async (ctx, [name], options) => {
          const m = mustGet(ctx, name!);
          await startMission(ctx, m, 'resume', {
            ...(options.maxSessions === undefined ? {} : { maxSessions: options.maxSessions }),
            ...(options.maxHours === undefined ? {} : { maxHours: options.maxHours }),
            ...(options.maxCost === undefined ? {} : { maxCostUsd: options.maxCost }),
          });
          const view = missionView(ctx, ctx.rt.store.missions.byId(m.id)!);
          ctx.out.result(view, () => `mission ${m.name} resumed: ${view.next}`);
          return 0;
        },
      ),
    );

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
          if (m.state !== 'running')
            throw new HoldfastError('ESTATE', `mission ${m.name} is ${m.state}, not running`);
          rt.store.missions.update(m.id, { state: 'paused', reason: 'paused by user' }, rt.now());
        });
        const task = rt.store.tasks.byName(m.name);
        if (task) {
          const { pid } = requestStop(rt, task.id, { timeoutMs: 10_000, reason: 'mission paused' });
          if (pid !== null) await escalateStop(rt, task.id, 10_000);
        }
        ctx.out.result(missionView(ctx, rt.store.missions.byId(m.id)!), () => `mission ${m.name} paused`);
        return 0;
      }),
    );

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
            {
              hint: `holdfast mission status ${m.name} shows how it went`,
            },
          );
        }
        ctx.out.write(await sessionPrompt(ctx.rt, m));
        return 0;
      }),
    );

  mission
    .command('done')
    .summary('mark a milestone done (for a human, or an agent)')
    .argument('<name>', 'mission name')
    .argument('<milestone>', 'milestone: its slug, title or number (1 = first)')
    .action(
      action(async (ctx, [name, which]) => {
        const m = mustGet(ctx, name!);
        const idx = findMilestone(m, which!);
        markMilestoneDone(
          ctx.rt,
          m,
          idx,
          process.env.HOLDFAST_TASK ? `agent (${process.env.HOLDFAST_TASK})` : 'user',
        );
        kickDaemon(ctx);
        ctx.out.write(`milestone ${(m.definition as MissionDefinition).milestones[idx]!.title} marked done`);
        return 0;
      }),
    );
}

export function addInitOptions(command: Command): Command {
  return command
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
    .option(
      '--continue <mode>',
      'next session: auto (resume while the conversation is small) | resume | fresh',
      'auto',
    )
    .option(
      '--fresh-after <bytes>',
      'in auto mode: start fresh once the conversation log passes this size',
      '2000000',
    )
    .option('--model <model>', "the agent's model")
    .option('--unattended', 'let the agent act without asking')
    .option('--stall-timeout <duration>', 'no output for this long → resume the session', '10m');
}

function readDefinition(name: string, options: InitOptions): MissionDefinition {
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

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new HoldfastError('EUSAGE', `${flag}: expected a positive number, got ${JSON.stringify(text)}`);
  return n;
}

export function initMission(
  ctx: Context,
  name: string,
  options: InitOptions,
  definition: MissionDefinition,
): MissionRecord {
  validateTaskName(name);
  const rt = ctx.rt;
  const cwd = normalizeCwd(options.cwd);
  const agent = normalizeAgentSpec(options, []);
  if (!['auto', 'resume', 'fresh'].includes(options.continue)) {
    throw new HoldfastError(
      'EUSAGE',
      `--continue: expected auto, resume or fresh, got ${JSON.stringify(options.continue)}`,
    );
  }
  const settings: MissionSettings = {
    maxSessions: Math.floor(positive(options.maxSessions, '--max-sessions')),
    maxHours: positive(options.maxHours, '--max-hours'),
    maxCostUsd: options.maxCost === undefined ? null : positive(options.maxCost, '--max-cost'),
    continueMode: options.continue as MissionSettings['continueMode'],
    freshAfterBytes: positive(options.freshAfter, '--fresh-after'),
    stallTimeoutMs: options.stallTimeout
      ? parseDuration(options.stallTimeout, '--stall-timeout')
      : DEFAULT_AGENT_STALL_MS,
    umask: ctx.userUmask.toString(8).padStart(3, '0'),
  };
  const record = rt.store.tx(() => {
    if (rt.store.missions.byName(name))
      throw new HoldfastError('EDUPLICATE', `a mission named ${name} already exists`);
    for (const taken of [name, gateTaskName(name)]) {
      if (rt.store.tasks.nameTaken(taken))
        throw new HoldfastError(
          'EDUPLICATE',
          `a task named ${taken} already exists; the mission needs that name`,
        );
    }
    const m = rt.store.missions.insert({
      name,
      definition,
      agent,
      cwd,
      settings,
      milestones: definition.milestones.length,
      now: rt.now(),
    });
    rt.store.events.append({
      taskName: `mission:${name}`,
      at: rt.now(),
      type: 'mission-created',
      data: { milestones: definition.milestones.length },
    });
    return m;
  });
  saveMissionEnv(rt, name, process.env);
  return record;
}

export async function startMission(
  ctx: Context,
  m: MissionRecord,
  verb: 'start' | 'resume',
  raises: Partial<Record<BudgetKey, string>> = {},
): Promise<void> {
  const rt = ctx.rt;
  rt.store.tx(() => {
    const current = rt.store.missions.byId(m.id)!;
    if (current.state === 'done') throw new HoldfastError('ESTATE', `mission ${m.name} is done`);
    if (verb === 'start' && current.state === 'paused')
      throw new HoldfastError('ESTATE', `mission ${m.name} is paused`, {
        hint: `holdfast mission resume ${m.name}`,
      });
    const now = rt.now();
    const use = missionUse(rt, current);
    const { budget, raised } = raiseBudget(current.settings as MissionSettings, use, raises);
    if (Object.keys(raised).length > 0) {
      rt.store.missions.setSettings(m.id, { ...(current.settings as MissionSettings), ...budget }, now);
    }
    if (current.state === 'running') return;
    // A session that was stopped by the pause is over: the next pass starts a continuation.
    const phase = current.phase === 'session' ? 'idle' : current.phase;
    const over = phase === 'idle' ? budgetOver(budget, use) : null;
    if (over) {
      // Starting now would only pause it again at once, for the same reason.
      throw new HoldfastError(
        'ESTATE',
        `mission ${m.name} has used its budget: ${over.label}, ${usedText(over.key, use)} so far`,
        { hint: `raise it: holdfast mission ${verb} ${m.name} ${over.flag} ${suggestedRaise(over)}` },
      );
    }
    rt.store.missions.update(
      m.id,
      { state: 'running', reason: null, phase, startedAt: current.startedAt ?? now },
      now,
    );
    if (phase === 'idle' && current.phase === 'session') {
      rt.store.missions.endSession(m.id, current.sessions, {
        endedAt: now,
        endedHow: 'the mission was paused',
      });
    }
    rt.store.events.append({
      // On the agent task's journal too, as the runner's own mission entries are.
      taskId: rt.store.tasks.byName(m.name)?.id ?? null,
      taskName: `mission:${m.name}`,
      at: now,
      type: `mission-${verb === 'start' ? 'started' : 'resumed'}`,
      data: Object.keys(raised).length > 0 ? { raised } : {},
    });
  });
  // The first step is taken here, with the user's environment; the daemon takes every step after it.
  await advanceMission(rt, m.id);
  await ensureDaemon(ctx);
}

function mustGet(ctx: Context, name: string): MissionRecord {
  const m = ctx.rt.store.missions.byName(name);
  if (!m)
    throw new HoldfastError('ENOTASK', `no mission named ${JSON.stringify(name)}`, {
      hint: 'holdfast mission status lists them',
    });
  return m;
}

function findMilestone(m: MissionRecord, which: string): number {
  const def = m.definition as MissionDefinition;
  const byNumber = /^\d+$/.test(which) ? Number(which) - 1 : -1;
  const idx = def.milestones.findIndex(
    (x, i) => i === byNumber || milestoneSlug(x.title) === which || x.title === which,
  );
  if (idx === -1) {
    throw new HoldfastError('EUSAGE', `mission ${m.name} has no milestone ${JSON.stringify(which)}`, {
      hint: `milestones: ${def.milestones.map((x) => milestoneSlug(x.title)).join(', ')}`,
    });
  }
  return idx;
}

export interface MissionView {
  name: string;
  title: string;
  state: string;
  reason: string | null;
  phase: string;
  cwd: string;
  agent: string;
  milestones: {
    n: number;
    title: string;
    slug: string;
    status: string;
    gate: string | null;
    doneAt: string | null;
    doneBy: string | null;
  }[];
  sessions: {
    n: number;
    milestone: string;
    fresh: boolean;
    startedAt: string;
    endedAt: string | null;
    endedHow: string | null;
    gateExit: number | null;
    costUsd: number | null;
  }[];
  checkpoints: number;
  spentMs: number;
  costUsd: number;
  budget: { maxSessions: number | null; maxHours: number | null; maxCostUsd: number | null };
  next: string;
}

function missionView(ctx: Context, m: MissionRecord): MissionView {
  const rt = ctx.rt;
  const def = m.definition as MissionDefinition;
  const settings = m.settings as MissionSettings;
  const statuses = rt.store.missions.milestones(m.id);
  const sessions = rt.store.missions.sessions(m.id);
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  const task = rt.store.tasks.byName(m.name);
  const checkpoints = task ? rt.store.events.count(task.id, 'checkpoint') : 0;
  const active = def.milestones[m.active];
  const next =
    m.state === 'done'
      ? 'nothing: every milestone is done'
      : m.state === 'paused'
        ? `paused (${m.reason ?? 'no reason'}): holdfast mission resume ${m.name}${raiseHint(rt, m)}`
        : m.state === 'pending'
          ? `holdfast mission start ${m.name}`
          : m.phase === 'gate'
            ? `running the gate of "${active?.title}"`
            : m.phase === 'session'
              ? `session ${m.sessions} is working on "${active?.title}"`
              : `a new session for "${active?.title}"`;
  return {
    name: m.name,
    title: def.title,
    state: m.state,
    reason: m.reason,
    phase: m.phase,
    cwd: m.cwd,
    agent: (m.agent as { kind: string }).kind,
    milestones: def.milestones.map((x, i) => ({
      n: i + 1,
      title: x.title,
      slug: milestoneSlug(x.title),
      status: statuses[i]!.status,
      gate: x.gate ?? def.defaultGate,
      doneAt: iso(statuses[i]!.doneAt),
      doneBy: statuses[i]!.doneBy,
    })),
    sessions: sessions.map((s) => ({
      n: s.n,
      milestone: def.milestones[s.milestone]!.title,
      fresh: s.fresh,
      startedAt: iso(s.startedAt)!,
      endedAt: iso(s.endedAt),
      endedHow: s.endedHow,
      gateExit: s.gateExit,
      costUsd: s.costUsd,
    })),
    checkpoints,
    spentMs: m.startedAt === null ? 0 : (m.state === 'done' ? m.updatedAt : rt.now()) - m.startedAt,
    costUsd: missionCost(rt, m),
    budget: {
      maxSessions: settings.maxSessions,
      maxHours: settings.maxHours,
      maxCostUsd: settings.maxCostUsd,
    },
    next,
  };
}

/** ` --max-sessions 6` when a budget is what keeps the mission from going on; else nothing. */
function raiseHint(rt: Context['rt'], m: MissionRecord): string {
  const over = budgetOver(m.settings as MissionSettings, missionUse(rt, m));
  return over ? ` ${over.flag} ${suggestedRaise(over)}` : '';
}

function renderMission(v: MissionView): string {
  const head = `mission ${v.name} — ${v.title}: ${v.state}${v.reason ? ` (${v.reason})` : ''}`;
  const milestones = table(
    ['#', 'MILESTONE', 'STATUS', 'GATE'],
    v.milestones.map((x) => [x.n, x.title, x.status, x.gate ?? '-']),
  );
  const sessions =
    v.sessions.length === 0
      ? 'no sessions yet'
      : table(
          ['SESSION', 'MILESTONE', 'STARTED', 'ENDED HOW', 'COST'],
          v.sessions.map((s) => [
            s.n,
            s.milestone,
            s.startedAt,
            s.endedHow ?? 'working',
            s.costUsd === null ? '-' : `$${s.costUsd.toFixed(2)}`,
          ]),
        );
  const spent = `spent: ${Math.round(v.spentMs / 60_000)} min, $${v.costUsd.toFixed(2)}, ${plural(v.sessions.length, 'session')}, ${plural(v.checkpoints, 'checkpoint')}`;
  return [head, '', milestones, '', sessions, '', spent, `next: ${v.next}`].join('\n');
}
