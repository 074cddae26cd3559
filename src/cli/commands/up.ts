import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { stringify } from 'yaml';
import { policyFileOf } from '../../agents/policy.js';
import { defaultBranch } from '../../checkpoint/worktree.js';
import { type FleetFile, findFleetFile, readFleetFile } from '../../config/fleet.js';
import { problemError } from '../../config/load.js';
import { HoldfastError } from '../../core/errors.js';
import { type FleetStep, planFleet } from '../../core/fleet-plan.js';
import type { TaskRecord, TaskSpec } from '../../core/task.js';
import { writePrivateFile } from '../../fs-safe.js';
import { gateTaskName } from '../../mission/types.js';
import type { NewTask } from '../../supervisor/create.js';
import { applyFleet } from '../../supervisor/fleet.js';
import { launchFailure } from '../../supervisor/intents.js';
import { grantTrust } from '../../supervisor/trust.js';
import { retireWorktree } from '../../supervisor/worktree.js';
import { action } from '../action.js';
import type { Context } from '../context.js';
import { ensureDaemon } from '../daemon-client.js';
import { entryOf } from '../fleet-entry.js';
import { type DeclaredTask, declaredMissions, declaredTasks } from '../fleet-tasks.js';
import { didYouMean } from '../suggest.js';
import { initMission } from './mission/init.js';
import { startMission } from './mission/start.js';
import { worktreeLines } from './rm.js';
import { newTaskOf } from './run.js';

interface UpOptions {
  file?: string;
  dryRun?: boolean;
  only?: string;
  prune?: boolean;
  explain?: boolean;
  daemon?: boolean;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('up')
    .summary('make the tasks match holdfast.yaml: create, restart what changed, leave the rest')
    .description(
      'Apply a holdfast.yaml (found in the current directory or above, as docker compose finds its file):\n' +
        'create the tasks it declares that do not exist, restart those whose entry changed (saying which\n' +
        'keys), start those that were stopped, and leave the rest running untouched.',
    )
    .option('-f, --file <file>', 'the file (default: holdfast.yaml here or in a directory above)')
    .option('--dry-run', 'print what would change, and change nothing')
    .option('--only <names>', 'only these tasks of the file (comma-separated)')
    .option('--prune', 'also remove the tasks this file declared before and no longer does')
    .option('--explain', "print each task's effective entry (defaults filled in), and change nothing")
    .option('--no-daemon', 'do not start the supervisor daemon')
    .option('--json', 'print the plan and what was done as JSON')
    .action(
      action<UpOptions>(async (ctx, _args, options) => {
        const file = fleetFileOf(options.file);
        const only = onlyNames(file, options.only);
        const declared = declaredTasks(selected(file, only), ctx.userUmask).map((d) => ({
          ...d,
          plan: { ...d.plan, spec: { ...d.plan.spec, declaredIn: file.path } },
        }));
        const missions = only === null ? declaredMissions(file) : [];
        if (options.explain) return explain(ctx, file, declared);
        const rt = ctx.rt;
        await ctx.refresh();
        const existing = rt.store.tasks.all();
        refuseMissionTasks(existing, declared);
        const steps = planFleet(
          declared.map((d) => ({ name: d.name, spec: d.plan.spec, worktree: worktreeBranch(d) })),
          existing,
          { file: file.path, prune: Boolean(options.prune) && only === null },
        ).filter((s) => only === null || only.has(s.name));
        const missionSteps = missions.map((m) => ({
          name: m.name,
          action: rt.store.missions.byName(m.name) ? ('unchanged' as const) : ('create' as const),
        }));
        // Refused before anything is applied, and by --dry-run too: one bad entry changes nothing.
        refuseWorktreeChanges(file, steps, existing);
        refuseMissionNames(file, missionSteps, declared, existing);
        if (options.dryRun) {
          ctx.out.result({ file: file.path, dryRun: true, steps, missions: missionSteps }, () =>
            planText(file, steps, missionSteps, false),
          );
          return 0;
        }
        const byName = new Map(declared.map((d) => [d.name, d]));
        const creations = new Map<string, NewTask>();
        const specs = new Map<string, TaskSpec>();
        for (const step of steps) {
          const d = byName.get(step.name);
          if (!d) continue;
          if (step.action === 'create')
            creations.set(d.name, newTaskOf(rt, d.plan, d.prompt, { name: d.name, nameBase: d.name }));
          if (step.action !== 'update') continue;
          // The hook reads the approval rules from the task's folder: a changed allow/deny is in force
          // from the restart on, not only in the spec.
          const policyFile = join(rt.paths.taskDir(d.name), 'policy.json');
          if (d.plan.policy) writePrivateFile(policyFile, `${JSON.stringify(policyFileOf(d.plan.policy))}\n`);
          else rmSync(policyFile, { force: true });
          // A worktree is made once, with its task: the new spec runs in the same one.
          const made = rt.store.tasks.byName(d.name)!.spec;
          specs.set(
            d.name,
            made.worktree ? { ...d.plan.spec, cwd: made.cwd, worktree: made.worktree } : d.plan.spec,
          );
        }
        const pruned = steps
          .filter((s) => s.action === 'remove')
          .map((s) => rt.store.tasks.byName(s.name))
          .filter((t) => t !== null);
        // Trust before a first run can start (a live daemon launches once the tasks are committed).
        const trust = (task: TaskRecord) => {
          if (task.spec.agent?.interactive && task.spec.agent.trust) grantTrust(rt, task, process.env);
        };
        const outcome = await applyFleet(rt, {
          steps,
          creations,
          specs,
          beforeStart: (created) => created.forEach(trust),
        });
        // What a pruned task did in its worktree is kept as `rm` keeps it.
        const retired: string[] = [];
        for (const task of pruned) {
          if (rt.store.tasks.byId(task.id) !== null) continue;
          const worktree = await retireWorktree(rt, task);
          if (worktree) retired.push(...worktreeLines(worktree));
        }
        const failures = [
          ...outcome.created.map((t) => launchFailure(rt, t.id, null)),
          ...outcome.touched.map((t) => launchFailure(rt, t.task.id, t.seenRunId)),
        ].filter((e): e is HoldfastError => e !== null);
        // Each new mission as `mission init` then `mission start` would make it: its own first step.
        for (const m of missions) {
          if (missionSteps.find((s) => s.name === m.name)?.action !== 'create') continue;
          const record = await initMission(ctx, m.name, m.options, m.definition);
          await startMission(ctx, record, 'start', {}, { daemon: options.daemon !== false });
        }
        if (options.daemon !== false && (existing.length > 0 || outcome.created.length > 0))
          await ensureDaemon(ctx);
        for (const error of failures) ctx.out.problem(error);
        ctx.out.result(
          {
            file: file.path,
            dryRun: false,
            steps,
            missions: missionSteps,
            settled: outcome.settled,
            failed: failures.length,
          },
          () => [planText(file, steps, missionSteps, true), ...retired].join('\n'),
        );
        return failures.length > 0 || !outcome.settled ? 1 : 0;
      }),
    );
}

/** The file `-f` names, else the nearest holdfast.yaml; none is a usage error. */
export function fleetFileOf(given: string | undefined): FleetFile {
  const path = findFleetFile(given);
  if (path === null) {
    throw new HoldfastError('EUSAGE', `no holdfast.yaml in ${process.cwd()} or any directory above it`, {
      hint: 'holdfast up -f <file>; holdfast export -f holdfast.yaml writes one for the tasks there are',
    });
  }
  return readFleetFile(path);
}

/** `--only a,b`: each must be a task the file declares. */
export function onlyNames(file: FleetFile, only: string | undefined): Set<string> | null {
  if (only === undefined) return null;
  const names = only
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n.length > 0);
  const declared = file.tasks.map((t) => t.name);
  for (const name of names) {
    if (!declared.includes(name))
      throw new HoldfastError('EUSAGE', `--only: ${file.path} declares no task ${JSON.stringify(name)}`, {
        hint: didYouMean(name, declared) ?? `it declares: ${declared.join(', ') || 'no tasks'}`,
      });
  }
  if (names.length === 0) throw new HoldfastError('EUSAGE', '--only: no task names given');
  return new Set(names);
}

export function selected(file: FleetFile, only: Set<string> | null): FleetFile {
  return only === null ? file : { ...file, tasks: file.tasks.filter((t) => only.has(t.name)) };
}

/** The branch of the worktree an entry asks for: `worktree: true` is `holdfast/<name>`. */
function worktreeBranch(d: DeclaredTask): string | null {
  if (!d.plan.worktree) return null;
  return d.plan.worktree.branch ?? defaultBranch(d.name);
}

/**
 * A task's worktree is made when the task is created, at the place of its cwd: an entry cannot move
 * a task into, out of or between worktrees, nor move a worktree task's cwd.
 */
function refuseWorktreeChanges(
  file: FleetFile,
  steps: readonly FleetStep[],
  existing: readonly TaskRecord[],
): void {
  const byName = new Map(existing.map((t) => [t.name, t]));
  for (const step of steps) {
    if (step.action !== 'update') continue;
    const key = step.changed.includes('worktree')
      ? 'worktree'
      : step.changed.includes('cwd') && byName.get(step.name)?.spec.worktree
        ? 'cwd'
        : null;
    if (key === null) continue;
    throw problemError(
      {
        path: file.path,
        line: file.lineOf(['tasks', step.name, key]),
        key: `tasks.${step.name}.${key}`,
        message: `changed for an existing task: a task's worktree is made with the task, where its cwd is`,
      },
      `remove it first (holdfast rm ${step.name}: its work is kept), then holdfast up`,
    );
  }
}

/** A new mission needs its name and its gate's task name free, in the store and in the file. */
function refuseMissionNames(
  file: FleetFile,
  missions: readonly { name: string; action: 'create' | 'unchanged' }[],
  declared: readonly DeclaredTask[],
  existing: readonly TaskRecord[],
): void {
  const taken = new Set([...declared.map((d) => d.name), ...existing.map((t) => t.name)]);
  for (const m of missions) {
    if (m.action !== 'create') continue;
    const clash = [m.name, gateTaskName(m.name)].find((n) => taken.has(n));
    if (clash === undefined) continue;
    throw problemError(
      {
        path: file.path,
        line: file.lineOf(['missions', m.name]),
        key: `missions.${m.name}`,
        message: `the mission needs the task name ${clash}, which a task has`,
      },
      'give the mission or the task another name',
    );
  }
}

/** A mission's session tasks are the mission's: the file may not declare one of their names. */
function refuseMissionTasks(existing: readonly TaskRecord[], declared: readonly DeclaredTask[]): void {
  const byName = new Map(existing.map((t) => [t.name, t]));
  for (const d of declared) {
    const task = byName.get(d.name);
    if (task?.spec.mission)
      throw new HoldfastError('EDUPLICATE', `${d.name} is a task of mission ${task.spec.mission}`, {
        hint: 'give the task in the file another name',
      });
  }
}

function explain(ctx: Context, file: FleetFile, declared: readonly DeclaredTask[]): number {
  const tasks = Object.fromEntries(
    declared.map((d) => {
      const entry = entryOf(d.name, d.plan.spec, d.prompt, { all: true });
      // Asked for, not made yet: the worktree exists once the task does.
      const request = d.plan.worktree;
      if (request) {
        entry.worktree = request.branch ?? true;
        if (request.root !== undefined) entry['worktree-root'] = request.root;
      }
      return [d.name, entry];
    }),
  );
  ctx.out.result({ file: file.path, tasks }, () =>
    `# ${file.path}, every key as up applies it\n${stringify({ tasks })}`.trimEnd(),
  );
  return 0;
}

const MARK: Record<FleetStep['action'], string> = {
  create: '+',
  update: '~',
  start: '>',
  remove: '-',
  unchanged: '=',
  kept: '?',
};

const WORDS: Record<FleetStep['action'], [planned: string, done: string]> = {
  create: ['create', 'created'],
  update: ['restart', 'restarted'],
  start: ['start', 'started'],
  remove: ['remove', 'removed'],
  unchanged: ['unchanged', 'unchanged'],
  kept: ['keep', 'kept'],
};

/** The plan (or what was done) as kubectl and terraform show one: a line per task that changes. */
function planText(
  file: FleetFile,
  steps: readonly FleetStep[],
  missions: readonly { name: string; action: 'create' | 'unchanged' }[],
  done: boolean,
): string {
  const count = (action: FleetStep['action']) => steps.filter((s) => s.action === action).length;
  const totals = (['create', 'update', 'start', 'remove', 'unchanged'] as const)
    .filter((a) => count(a) > 0)
    .map((a) =>
      `${count(a)} ${done ? WORDS[a][1] : `to ${WORDS[a][0]}`}`.replace('to unchanged', 'unchanged'),
    );
  const width = Math.max(0, ...steps.map((s) => s.name.length));
  const lines = steps
    .filter((s) => s.action !== 'unchanged' || s.why !== null)
    .map((s) => {
      const what = WORDS[s.action][done ? 1 : 0];
      const detail =
        s.changed.length > 0 ? ` (changed: ${s.changed.join(', ')})` : s.why ? ` (${s.why})` : '';
      return `  ${MARK[s.action]} ${s.name.padEnd(width)}  ${what}${detail}`;
    });
  const head = `${file.path}: ${totals.join(', ') || 'no tasks declared'}${done ? '' : ' (dry run: nothing changed)'}`;
  const missionLines = missions.map(
    (m) =>
      `  ${MARK[m.action]} mission ${m.name}  ${m.action === 'create' ? (done ? 'created and started' : 'create and start') : 'exists (up does not change a mission)'}`,
  );
  return [head, ...lines, ...missionLines].join('\n');
}
